# Two commands for a newcomer: `make demo` and `make test`.
# Everything else here is plumbing they depend on; each step is idempotent
# and skipped when its inputs have not changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test

demo: $(STAMP)
	$(BIN)/changji demo

test: $(STAMP)
	$(BIN)/python -m pytest

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)
