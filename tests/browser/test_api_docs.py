"""``/api/docs`` works offline: chromium loads it and every request it makes goes to the platform itself.

Swagger UI comes from core/static/vendor/swagger-ui (scripts/vendor_assets.py), the document from
/api/openapi.json; a request to any other origin (a CDN, an online validator) fails the test. The page shows the
operations of every app and of Open311 under the Content-Security-Policy without a violation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_docs_page_loads_only_from_the_platform(page, live_server, shot):
    origin = urlsplit(live_server.url)
    requested: list[str] = []
    violations: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))

    page.goto("/api/docs")
    page.wait_for_selector("#swagger-ui .info")
    page.wait_for_selector(".opblock-tag-section")
    tags = page.locator(".opblock-tag").all_inner_texts()
    shot(page, "api-docs")

    foreign = [url for url in requested
               if urlsplit(url).scheme not in ("data", "blob")
               and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)]
    assert foreign == []
    assert any(url.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for url in requested)
    assert any(url.endswith("/api/openapi.json") for url in requested)
    for tag in ("water", "services", "community", "platform", "Open311"):
        assert any(tag in text for text in tags), (tag, tags)
    assert violations == []
