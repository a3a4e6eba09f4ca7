"""``/api/docs`` references only same-origin assets, vendored into core's static files (no CDN)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from django.conf import settings
from django.contrib.staticfiles import finders


class _Assets(HTMLParser):
    """Every URL a page's tags load (src, href) and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[dict[str, str]] = []
        self.json_scripts: dict[str, str] = {}
        self._script: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.urls += [found[name] for name in ("src", "href") if name in found]
        if tag == "script" and "src" not in found:
            self._script = found

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            if self._script.get("type") == "application/json":
                self.json_scripts[self._script.get("id", "")] = data
            else:
                self.inline_scripts.append(self._script)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def test_the_docs_page_references_only_vendored_same_origin_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = _Assets()
    page.feed(response.content.decode())
    assert page.urls, "the page loads nothing?"
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not on this origin"
        assert url.startswith(settings.STATIC_URL), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), f"{url} is not in the static files (make)"
    assert any("vendor/swagger-ui/swagger-ui-bundle.js" in url for url in page.urls)
    assert page.inline_scripts == []
    swagger = json.loads(page.json_scripts["swagger-settings"])
    assert swagger["url"] == "/api/openapi.json" and swagger["validatorUrl"] is None


def test_nothing_of_the_cdn_templates_is_installed():
    """django-ninja's own docs templates (and their CDN fallbacks) are not what /api/docs renders."""
    assert "ninja" not in settings.INSTALLED_APPS
