"""Open311's description in the OpenAPI document (``community.api.open311``) matches what ``/open311/v2/`` answers.

Each resource is called as a client would (public, with an api_key, and with the errors), and each answer is
validated with the model the document was generated from (``extra="forbid"``: a field the view sends and the
description lacks fails here, as does a missing one).
"""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from changji.community.api.open311 import (
    Open311Created,
    Open311Discovery,
    Open311Error,
    Open311Request,
    Open311Service,
    Open311ServiceDefinition,
    Open311Token,
)
from changji.community.issues import categories
from changji.community.open311 import create_client

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"


def _valid(model, response, status: int = 200):
    assert response.status_code == status, response.content[:200]
    return TypeAdapter(model).validate_python(response.json())


@pytest.fixture
def key(community_world):
    categories.seed_categories()
    return create_client("市民热线", community_world.town)[1]


def test_every_answer_is_what_the_document_describes(client, key):
    _valid(Open311Discovery, client.get(BASE + "discovery.json"))
    services = _valid(list[Open311Service], client.get(BASE + "services.json"))
    code = services[0].service_code
    _valid(Open311ServiceDefinition, client.get(f"{BASE}services/{code}.json"))
    created = _valid(list[Open311Created], client.post(BASE + "requests.json", {
        "api_key": key, "service_code": code, "lat": "43.835", "long": "90.285", "description": "路灯不亮",
        "first_name": "三", "last_name": "张", "phone": "13912345678"}), status=201)
    request_id = created[0].service_request_id
    assert _valid(list[Open311Token], client.get(f"{BASE}tokens/{created[0].token}.json"))[0].service_request_id == (
        request_id)
    public = _valid(list[Open311Request], client.get(BASE + "requests.json"))
    assert public[0].description is None and public[0].service_request_id == request_id
    full = _valid(list[Open311Request], client.get(BASE + "requests.json", {"api_key": key}))
    assert full[0].description == "路灯不亮"
    _valid(list[Open311Request], client.get(f"{BASE}requests/{request_id}.json"))
    _valid(list[Open311Request], client.get(f"{BASE}requests/{request_id}.json", {"api_key": key}))


@pytest.mark.parametrize(("method", "path", "data", "status"), [
    ("get", "services/nothing.json", {}, 404),
    ("get", "requests.json", {"api_key": "wrong"}, 403),
    ("get", "requests.json", {"start_date": "yesterday"}, 400),
    ("post", "requests.json", {"service_code": "x"}, 403),
    ("get", "services.html", {}, 400),
    ("get", "tokens/nothing.json", {}, 404),
    ("post", "services.json", {}, 405),
])
def test_errors_are_the_documented_list(client, key, method, path, data, status):
    errors = _valid(list[Open311Error], getattr(client, method)(BASE + path, data), status=status)
    assert errors[0].code == status
