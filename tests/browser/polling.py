"""Wait for a condition in the page without Playwright's ``wait_for_function``.

``wait_for_function`` polls by evaluating the expression inside the page, which the platform's Content Security
Policy (``script-src 'self'``, no ``unsafe-eval``) refuses once the first check fails — so it passed only when the
condition already held. ``page.evaluate`` goes through the DevTools protocol, which the policy does not govern.
"""

from __future__ import annotations

import time

from playwright.sync_api import Page


def wait_for_expression(page: Page, expression: str, timeout_s: float = 15.0) -> None:
    """Poll ``expression`` (a JavaScript expression) every 50 ms until it is truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(50)
