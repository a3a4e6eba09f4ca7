"""Open311 GeoReport v2 in the platform's OpenAPI document: ``/open311/v2/`` keeps its own URLs and views.

GeoReport v2's paths (``discovery.json``, ``services.json``, ``requests.json`` …) are a published contract
that civic-reporting clients already speak, so ``community.open311`` keeps serving them under
``/open311/v2/``, outside django-ninja. This module describes those paths, their parameters and answers in
OpenAPI 3 terms; ``changji.api`` adds them to the one document (``/api/openapi.json``), so the docs page and
the fuzzing test (``tests/test_openapi_schemathesis.py``) cover Open311 like every other API.

The answers are described by the models below (``extra="forbid"``: a field the view adds and the
description lacks fails ``tests/community/test_open311_document.py``, which validates real answers with
them). Authentication is GeoReport v2's own ``api_key`` (a query parameter on GET, a form field on POST),
not the platform's token or session; errors are the spec's list of ``{code, description}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

PREFIX = "/open311/v2"
TAG = "community: Open311 GeoReport v2"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open311Error(_Model):
    """One error of GeoReport v2's error list; ``code`` repeats the HTTP status."""

    code: int
    description: str


class Open311Endpoint(_Model):
    """An endpoint of the discovery document."""

    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Open311Discovery(_Model):
    """The discovery document: this endpoint, who keys it, whom to contact."""

    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint]


class Open311Service(_Model):
    """A service: one active issue category (``service_code`` is ``IssueCategory.code``)."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class Open311ServiceDefinition(_Model):
    """A service definition; this endpoint asks no extra attributes."""

    service_code: str
    attributes: list[dict[str, Any]]


class Open311Request(_Model):
    """A service request.

    Without ``api_key`` only the public fields (the ones without a default here) and ``lat``/``long`` rounded to
    3 decimals; with a valid key the full row, never the reporter's name, phone or e-mail.
    """

    service_request_id: str
    status: Literal["open", "closed"]
    service_name: str
    service_code: str
    agency_responsible: str
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None
    lat: float | None
    long: float | None
    status_notes: str | None = None
    description: str | None = None
    service_notice: str | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    media_url: str | None = None


class Open311Created(_Model):
    """The answer to a POST: the new request's id and what happens next."""

    service_request_id: str
    service_notice: str
    account_id: str | None


MODELS = (Open311Error, Open311Endpoint, Open311Discovery, Open311Service, Open311ServiceDefinition,
          Open311Request, Open311Created)

_ERRORS = {"type": "array", "items": {"$ref": "#/components/schemas/Open311Error"}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {400: "A parameter is missing, malformed or out of range (the description names it)",
               403: "The api_key is missing, invalid or inactive", 404: "No such service or request",
               405: "The method is not offered here"}
    return {str(code): _json(_ERRORS, meaning[code]) for code in codes}


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"in": "query", "name": name, "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name: str, description: str) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "description": description, "schema": {"type": "string"}}


API_KEY = _query("api_key", "An Open311 client's key: full rows of the requests within its region. Without it, "
                            "the public fields of every request; an invalid or inactive key is refused (403).")


def _operation(operation_id: str, summary: str, description: str, responses: dict[str, Any],
               parameters: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    found = {"operationId": operation_id, "summary": summary, "description": description, "tags": [TAG],
             "security": [], "responses": responses, **extra}
    if parameters:
        found["parameters"] = parameters
    return found


_CREATE_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "api_key": ("The client's key (an Open311Client of the platform)", {"type": "string"}),
    "service_code": ("The category, from services.json", {"type": "string"}),
    "lat": ("Latitude (WGS 84); the request goes to the grid holding the point", {"type": "number"}),
    "long": ("Longitude (WGS 84)", {"type": "number"}),
    "address_string": ("The address as the resident gives it (a location is still required)", {"type": "string"}),
    "description": ("What the resident reports", {"type": "string"}),
    "first_name": ("The reporter's given name (kept, never shown by GET)", {"type": "string"}),
    "last_name": ("The reporter's family name", {"type": "string"}),
    "email": ("The reporter's e-mail", {"type": "string"}),
    "phone": ("The reporter's phone", {"type": "string"}),
    "media_url": ("A picture of the problem", {"type": "string"}),
}
_REQUIRED = ["api_key", "service_code", "lat", "long"]


def paths() -> dict[str, dict[str, Any]]:
    """The OpenAPI path items of ``/open311/v2/`` (the ``.json`` format; ``.xml`` is answered 400)."""
    single = _path("service_request_id", "The request's id (诉求编号)")
    return {
        f"{PREFIX}/discovery.json": {"get": _operation(
            "open311_discovery", "Discovery", "The GeoReport v2 discovery document of this endpoint.",
            {"200": _json(_ref("Open311Discovery"), "The discovery document"), **_errors(400, 405)})},
        f"{PREFIX}/services.json": {"get": _operation(
            "open311_services", "Service list", "Every active issue category as a GeoReport v2 service.",
            {"200": _json(_list("Open311Service"), "The services"), **_errors(400, 405)})},
        f"{PREFIX}/services/{{service_code}}.json": {"get": _operation(
            "open311_service_definition", "Service definition", "A service's definition (no extra attributes).",
            {"200": _json(_ref("Open311ServiceDefinition"), "The definition"), **_errors(400, 404, 405)},
            [_path("service_code", "The category's code")])},
        f"{PREFIX}/requests.json": {
            "get": _operation(
                "open311_requests", "Get service requests",
                "Requests, newest first, at most 1,000. With service_request_id the other filters are ignored; "
                "without dates the window is the 90 days before end_date (default: now).",
                {"200": _json(_list("Open311Request"), "The requests"), **_errors(400, 403, 405)},
                [API_KEY, _query("service_request_id", "Comma-separated request ids (at most 1,000)"),
                 _query("service_code", "Comma-separated categories"),
                 _query("start_date", "W3C datetime (years 1970–2100); naive times are Asia/Shanghai",
                        type="string"),
                 _query("end_date", "W3C datetime (years 1970–2100)", type="string"),
                 _query("status", "open, closed, or both comma-separated", type="string")]),
            "post": _operation(
                "open311_create_request", "Create a service request",
                "File a resident issue at a location (lat and long; an address alone is refused). It is routed to "
                "the grid holding the point, which must lie within the client's region.",
                {"201": _json(_list("Open311Created"), "The request was filed"), **_errors(400, 403, 405)},
                requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": _REQUIRED,
                    "properties": {name: {**schema, "description": text}
                                   for name, (text, schema) in _CREATE_FIELDS.items()}}}}}),
        },
        f"{PREFIX}/requests/{{service_request_id}}.json": {"get": _operation(
            "open311_request", "Get a service request", "One request, as a list of one (the spec's shape).",
            {"200": _json(_list("Open311Request"), "The request"), **_errors(400, 403, 404, 405)},
            [single, API_KEY])},
    }


def components() -> dict[str, dict[str, Any]]:
    """The JSON schemas of the answers, for ``components.schemas``."""
    found: dict[str, dict[str, Any]] = {}
    for model in MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found


def describe(document: dict[str, Any]) -> dict[str, Any]:
    """Add Open311's paths, schemas and tag to an OpenAPI document (in place) and return it."""
    document.setdefault("paths", {}).update(paths())
    document.setdefault("components", {}).setdefault("schemas", {}).update(components())
    return document
