"""The OpenAPI document: committed as docs/openapi.json, current with the code, and covering every JSON API.

``changji openapi`` writes the document; when an operation, a parameter or a schema changes without the file
being regenerated, ``test_the_committed_document_is_current`` fails and says how to regenerate it.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import URLPattern, URLResolver, get_resolver

from changji.api import openapi_document
from changji.core.guards import declared
from changji.core.management.commands.openapi import DOCUMENT, drift

#: The api/ routes that serve the documentation itself rather than an operation.
DOCUMENTATION = ("api/openapi.json", "api/docs")
#: The exchange between instances has its own committed document (docs/exchange-openapi.yaml, checked by
#: tests/water/sharing/test_exchange_document.py): machines of other levels read it, not the platform's.
OWN_DOCUMENT = ("api/exchange/v1/",)


def test_the_committed_document_is_current():
    assert drift() is None, drift()


def test_the_served_document_is_the_committed_one(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(DOCUMENT.read_text(encoding="utf-8"))


def test_the_document_is_stable_and_readable():
    """Keys sorted and indented, so a change to one operation is a small diff."""
    text = openapi_document()
    assert text == openapi_document()
    assert text.endswith("}\n") and text.startswith('{\n  "components"')
    assert "井电双控" in text  # UTF-8, not \\u escapes


def test_check_fails_on_a_stale_file_and_says_how_to_regenerate(tmp_path):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="changji openapi"):
        call_command("openapi", "--check", "--output", str(stale))
    call_command("openapi", "--output", str(stale))
    call_command("openapi", "--check", "--output", str(stale))
    assert stale.read_text(encoding="utf-8") == openapi_document()


def _routes(prefixes: tuple[str, ...]) -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []

    def visit(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                visit(entry.url_patterns, route)
            elif route.startswith(prefixes):
                found.append((route, entry))

    visit(get_resolver().url_patterns, "")
    return found


def _openapi_path(route: str) -> str:
    r"""A URL route as the document writes its path.

    For example ``api/water/wells/<int:well_id>`` or ``^requests/(?P<service_request_id>[^/]+?)\.(?P<fmt>…)$``.
    """
    route = re.sub(r"\^|\$", "", route)
    route = re.sub(r"\\\.\(\?P<fmt>[^)]*\)", ".json", route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    route = re.sub(r"<(?:[^>:]+:)?([^>]+)>", r"{\1}", route)
    return "/" + route


def test_every_api_route_is_in_the_document():
    document = json.loads(openapi_document())
    routes = [route for route, _ in _routes(("api/",))
              if route not in DOCUMENTATION and not route.startswith(OWN_DOCUMENT)]
    assert {"api/", "api/water/", "api/services/", "api/community/"} <= set(routes)
    missing = [route for route in routes if _openapi_path(route) not in document["paths"]]
    assert missing == []
    tags = {tag for item in document["paths"].values() for op in item.values() for tag in op["tags"]}
    assert {"water", "services", "community", "platform"} <= tags


def test_every_open311_route_is_in_the_document_with_its_methods():
    """GeoReport v2 keeps its URLs (/open311/v2/); each of its resources is described with the methods it takes."""
    document = json.loads(openapi_document())
    described = 0
    for route, pattern in _routes(("open311/v2/",)):
        if pattern.name == "open311_not_found":
            continue
        methods = {method.lower() for method in declared(pattern.callback).methods}
        path = _openapi_path(route)
        assert path in document["paths"], path
        assert set(document["paths"][path]) == methods, path
        described += 1
    assert described == 6
