"""Every ``/open311/v2/`` answer has the structure of the GeoReport v2 document's example, in XML and in JSON.

The examples are in ``open311_examples/`` (see its README). Structure means element and field names, their
nesting and their order; a repeated element (one ``<request>`` per request, one ``<format>`` per format) is
compared once. Values are not compared: they are ours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from changji.community.issues import categories
from changji.community.open311 import create_client

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parent / "open311_examples"
BASE = "/open311/v2/"

Outline = tuple[str, tuple[Any, ...]]


def xml_outline(element: ElementTree.Element) -> Outline:
    """The element's name and its children's outlines, a run of same-named children counted once."""
    children: list[Outline] = []
    for child in element:
        if not children or children[-1][0] != child.tag:
            children.append(xml_outline(child))
    return element.tag, tuple(children)


def json_outline(value: Any) -> Any:
    """Field names in order with their values' outlines; a list by its first entry; a scalar as ``None``."""
    if isinstance(value, dict):
        return tuple((key, json_outline(item)) for key, item in value.items())
    if isinstance(value, list):
        return ("[]", json_outline(value[0]) if value else None)
    return None


def example_xml(name: str) -> Outline:
    return xml_outline(ElementTree.parse(EXAMPLES / f"{name}.xml").getroot())


def example_json(name: str) -> Any:
    return json_outline(json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8")))


def answer(response, fmt: str) -> Any:
    """The outline of an answer, after checking its content type and, for XML, its declaration."""
    assert response.status_code in (200, 201), response.content[:300]
    if fmt == "xml":
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        return xml_outline(ElementTree.fromstring(response.content))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json_outline(response.json())


def with_token(outline: Any, fmt: str) -> Any:
    """The POST example with ``token`` after ``service_request_id``, where the spec's response table puts it.

    The spec returns either the id or a token; this endpoint returns both (see ``community.open311.views``).
    """
    if fmt == "xml":
        root, ((request, fields),) = outline
        return root, ((request, (fields[0], ("token", ()), *fields[1:])),)
    kind, fields = outline
    return kind, (fields[0], ("token", None), *fields[1:])


def example(name: str, fmt: str) -> Any:
    return example_xml(name) if fmt == "xml" else example_json(name)


@pytest.fixture
def key(community_world):
    categories.seed_categories()
    return create_client("市民热线", community_world.town)[1]


@pytest.fixture
def filed(client, key):
    """A request filed through the endpoint: (its id, its token)."""
    response = client.post(BASE + "requests.json", {"api_key": key, "service_code": "property", "lat": "43.835",
                                                    "long": "90.285", "description": "电梯停运"})
    assert response.status_code == 201, response.content
    return response.json()[0]["service_request_id"], response.json()[0]["token"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_discovery_services_and_errors_are_the_examples(client, key, fmt):
    for path, name in (("discovery", "discovery"), ("services", "services")):
        assert answer(client.get(f"{BASE}{path}.{fmt}"), fmt) == example(name, fmt), path
    error = client.get(f"{BASE}requests.{fmt}", {"api_key": "wrong"})
    assert error.status_code == 403
    outline = xml_outline(ElementTree.fromstring(error.content)) if fmt == "xml" else json_outline(error.json())
    assert outline == example("errors", fmt)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_service_definition_has_the_examples_outer_structure(client, key, fmt):
    """Our categories ask no attributes: the definition is the example's ``service_code`` and an empty list."""
    outline = answer(client.get(f"{BASE}services/noise.{fmt}"), fmt)
    if fmt == "xml":
        assert outline == ("service_definition", (("service_code", ()), ("attributes", ())))
        assert [child[0] for child in example_xml("service_definition")[1]] == ["service_code", "attributes"]
    else:
        assert outline == (("service_code", None), ("attributes", ("[]", None)))
        assert [field for field, _ in example_json("service_definition")] == ["service_code", "attributes"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_answer_is_the_example_with_the_token(client, key, fmt):
    response = client.post(f"{BASE}requests.{fmt}", {"api_key": key, "service_code": "property",
                                                     "address_string": "幸福小区1号楼"})
    assert answer(response, fmt) == with_token(example("post_request", fmt), fmt)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_requests_with_a_key_and_a_token_are_the_examples(client, key, filed, fmt):
    request_id, token = filed
    assert answer(client.get(f"{BASE}requests.{fmt}", {"api_key": key}), fmt) == example("requests", fmt)
    assert answer(client.get(f"{BASE}requests/{request_id}.{fmt}", {"api_key": key}), fmt) == example("requests", fmt)
    assert answer(client.get(f"{BASE}tokens/{token}.{fmt}"), fmt) == example("token", fmt)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_public_requests_keep_the_examples_order_without_the_private_fields(client, key, filed, fmt):
    outline = answer(client.get(f"{BASE}requests.{fmt}"), fmt)
    full = example("requests", fmt)
    if fmt == "xml":
        shown, spec = [f[0] for f in outline[1][0][1]], [f[0] for f in full[1][0][1]]
    else:
        shown, spec = [f[0] for f in outline[1]], [f[0] for f in full[1]]
    assert shown == [name for name in spec if name in shown]  # the spec's order
    assert set(spec) - set(shown) == {"status_notes", "description", "service_notice", "address", "address_id",
                                      "zipcode", "media_url"}
