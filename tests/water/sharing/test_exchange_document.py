"""The committed description of the exchange format (docs/exchange-openapi.yaml) agrees with the live routes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

from changji.core.guards import SIGNED_REQUEST, declared
from changji.water.sharing import endpoints
from changji.water.sharing.credentials import request_readings
from tests.water.sharing.conftest import batch, signed

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "exchange-openapi.yaml"


def _document() -> dict:
    return yaml.safe_load(DOCUMENT.read_text())


def _validator(schema: dict):
    """A JSON Schema 2020-12 validator of ``schema`` with the document's components resolvable."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": _document()["components"]})


def _schema(path: str, method: str, status: str) -> dict:
    answer = _document()["paths"][path][method]["responses"][status]
    if "$ref" in answer:
        answer = _document()["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    return answer["content"]["application/json"]["schema"]


def test_every_route_and_method_is_documented_and_nothing_else():
    live = {("/" + str(p.pattern), m.lower()) for p in endpoints.urlpatterns
            for m, need in declared(p.callback).methods.items() if need is SIGNED_REQUEST}
    documented = {(path, method) for path, ops in _document()["paths"].items() for method in ops}
    assert live == documented


def test_the_document_describes_the_signature_and_the_window():
    text = DOCUMENT.read_text()
    for needle in ("X-Changji-Key", "X-Changji-Timestamp", "X-Changji-Nonce", "X-Changji-Signature", "300 seconds",
                   "HMAC-SHA256", "GB/T 2260"):
        assert needle in text


@pytest.mark.parametrize("sample, valid", [
    (batch(1, [("652301-00012", "652301", {"day": "2026-05-01", "m3": 12.5})], stream="usage", backlog=3), True),
    (batch(7, [], stream="registry"), True),
    ({"stream": "usage", "seq": 0, "entries": []}, False),
    ({"stream": "usage", "seq": 1, "entries": [{"key": "k", "region_code": "65", "payload": {}}]}, False),
])
def test_sample_batches_validate_against_the_document(sample, valid):
    batch_schema = {"$ref": "#/components/schemas/Batch"}
    assert _validator(batch_schema).is_valid(sample) is valid


@pytest.mark.django_db
def test_live_answers_validate_against_the_document(client, issued, echo_stream):
    peer, secret = issued
    request_readings(peer, "652301-00001", date(2026, 5, 1), date(2026, 5, 2), None)
    answers = [
        ("/batches", "post", "200", signed(client, peer, secret, "POST", "batches", batch(1, [("W", "652301", {})]))),
        ("/batches", "post", "200", signed(client, peer, secret, "POST", "batches", batch(1, []))),
        ("/batches", "post", "409", signed(client, peer, secret, "POST", "batches", batch(9, []))),
        ("/batches", "post", "400", signed(client, peer, secret, "POST", "batches", raw=b"{")),
        ("/batches", "post", "401", client.post("/api/exchange/v1/batches", "{}", content_type="application/json")),
        ("/status", "get", "200", signed(client, peer, secret, "GET", "status")),
        ("/requests", "get", "200", signed(client, peer, secret, "GET", "requests")),
        ("/requests/done", "post", "200", signed(client, peer, secret, "POST", "requests/done", {"ids": [1]})),
        ("/targets", "get", "200", signed(client, peer, secret, "GET", "targets", query="year=2026")),
    ]
    for path, method, status, response in answers:
        assert str(response.status_code) == status, (path, response.content)
        _validator(_schema(path, method, status)).validate(response.json())
