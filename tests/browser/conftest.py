"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, which Django's async-safety check
takes for async code; the ORM calls in these tests are plain synchronous ones, so allow them.
Nothing is downloaded: the system chromium is used, and the pages load only vendored assets.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "x-Secret-2026"

# `make test` installs Debian's chromium (the Makefile's browser step): a missing browser fails the run
# rather than silently skipping the page tests.
if not CHROMIUM.exists():
    raise RuntimeError("浏览器测试需要 /usr/bin/chromium：请运行 `make test`（它会安装 chromium）")


@pytest.fixture(scope="session")
def serialized_contents(django_db_setup):
    """The database contents serialized at setup (the seeded regions), taken before Playwright starts."""
    from django.db import connections

    return {alias: connections[alias]._test_serialized_contents for alias in connections
            if hasattr(connections[alias], "_test_serialized_contents")}


@pytest.fixture(autouse=True)
def keep_serialized_rollback(serialized_contents, transactional_db):
    """Keep the serialized rollback of transactional tests working once Playwright runs in this thread.

    With Playwright's event loop in the test thread, Django hands out a fresh connection wrapper that
    lacks the contents serialized at setup, so the flush after a test would lose the migration data
    (the seeded regions) for every later test. Put them back on the wrapper in use.
    """
    from django.db import connections

    from changji.core.models import Region

    for alias, contents in serialized_contents.items():
        if not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = contents
    # The module-scoped browser starts Playwright before the first test's database setup, so after a
    # transactional test outside tests/browser that setup restored nothing: put the seeded regions back.
    if not Region.objects.filter(code="652300").exists():
        for alias, contents in serialized_contents.items():
            connections[alias].creation.deserialize_db_from_string(contents)


@pytest.fixture(scope="package")
def browser(serialized_contents):
    """One chromium for tests/browser, each test in its own context; Playwright stops after the package.

    So later tests that call asyncio.run are not inside a running loop (Playwright runs one in this thread).
    Launching chromium per module cost a second or two of CPU twenty times a pass (.ci/run).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        # Playwright's event loop brings a fresh connection wrapper: give it the contents serialized at
        # setup before this module's first test sets up its database, so a flush can be rolled back.
        from django.db import connections

        for alias, contents in serialized_contents.items():
            if not hasattr(connections[alias], "_test_serialized_contents"):
                connections[alias]._test_serialized_contents = contents
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    # Browser console errors and failed requests show in the captured output of a failing test.
    page.on("console", lambda message: print("console", message.type, message.text))
    page.on("pageerror", lambda error: print("pageerror", error))
    page.on("requestfailed", lambda request: print("requestfailed", request.url))
    page.on("response", lambda response: response.status >= 400 and print("http", response.status, response.url))
    yield page
    context.close()


@pytest.fixture
def shot():
    """Save a full-page screenshot under test-artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


def _sign_in(page, username: str, next_url: str = "/") -> None:
    """Log an existing account in through the login form (the page's earlier session cookies cleared first)."""
    page.context.clear_cookies()
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"**{next_url}")


@pytest.fixture
def sign_in():
    """Log an existing account (password ``x-Secret-2026``) in: ``sign_in(page, username, next_url)``."""
    return _sign_in


@pytest.fixture
def contexts(browser, live_server):
    """Open a browser context per person of a test (each its own session); each call returns its new page."""
    opened = []

    def new():
        context = browser.new_context(base_url=live_server.url, accept_downloads=True, locale="zh-CN")
        opened.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda error: print("pageerror", error))
        page.on("response", lambda r: r.status >= 400 and print("http", r.status, r.url))
        return page

    yield new
    for context in opened:
        context.close()


def _retry_while_locked(step, attempts: int = 100):
    """Run ``step`` again while the in-memory test database says a table is locked by a background writer.

    The suite's SQLite database is in memory with a shared cache, where a writer meets another thread's
    table lock at once instead of waiting (a gateway thread writing readings, in the pump-stop test);
    the platform's file database in WAL mode waits instead.
    """
    import time

    from django.db import OperationalError

    for attempt in range(attempts):
        try:
            return step()
        except OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05)  # back off before the retry; the lock is a writer thread's, held for one commit


@pytest.fixture
def login(make_user):
    """Create an account and log in through the login form; return the user."""
    from changji.core.models import Role

    def do(page, username: str = "pref-admin", region: str | None = "652300", role: str = Role.PREFECTURE_ADMIN,
           next_url: str = "/water/"):
        user = _retry_while_locked(lambda: make_user(username, region, role))
        _sign_in(page, username, next_url)
        return user

    return do


@pytest.fixture
def terminal(transactional_db):
    """A well in 呼图壁县 (652323) with one SZY206 terminal."""
    from changji.water.models import Terminal, Well

    well = Well.objects.create(code="652323-00001", name="呼图壁县1号机井", region_id="652323", latitude=44.3,
                               longitude=86.9, pump_rated_power_kw=30, pump_rated_flow_m3h=55)
    return Terminal.objects.create(protocol="szy206", address="6523230001", well=well, region_id="652323")
