"""Open311 GeoReport v2 in the platform's OpenAPI document: ``/open311/v2/`` keeps its own URLs and views.

GeoReport v2's paths (``discovery.xml``, ``services.json``, ``requests.xml`` …) are a published contract
that civic-reporting clients already speak, so ``community.open311`` keeps serving them under
``/open311/v2/``, outside django-ninja. Every resource is described twice: ``.json`` (``application/json``)
and ``.xml`` (``text/xml``, the same schema with the spec's element names as OpenAPI ``xml`` objects); the
suffix is case-insensitive and any other one is answered 400. This module describes those paths, their
parameters and answers in OpenAPI 3 terms; ``changji.api`` adds them to the one document
(``/api/openapi.json``), so the docs page and the fuzzing test (``tests/test_openapi_schemathesis.py``)
cover Open311 like every other API.

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
    """The answer to a POST: the new request's id, its token (both, unlike the spec's either) and what happens next."""

    service_request_id: str
    token: str
    service_notice: str
    account_id: str | None


class Open311Token(_Model):
    """GET tokens/{token}: the request a POST's token stands for."""

    service_request_id: str
    token: str


MODELS = (Open311Error, Open311Endpoint, Open311Discovery, Open311Service, Open311ServiceDefinition,
          Open311Request, Open311Created, Open311Token)
#: The XML content type of every ``.xml`` answer (``community.open311.formats``).
XML_TYPE = "text/xml"
#: Each schema's XML element, and the root element of a list of it (GeoReport v2's response tables).
XML_NAMES = {"Open311Error": ("error", "errors"), "Open311Discovery": ("discovery", None),
             "Open311Service": ("service", "services"), "Open311ServiceDefinition": ("service_definition", None),
             "Open311Request": ("request", "service_requests"), "Open311Created": ("request", "service_requests"),
             "Open311Token": ("request", "service_requests")}

def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _schema(name: str, many: bool, fmt: str) -> dict[str, Any]:
    """The schema of one ``name`` or a list of them; for XML with the spec's root and item element names."""
    if fmt == "json":
        return {"type": "array", "items": _ref(name)} if many else _ref(name)
    item, root = XML_NAMES[name]
    if many:
        return {"type": "array", "xml": {"name": root, "wrapped": True},
                "items": {"allOf": [_ref(name)], "xml": {"name": item}}}
    return {"allOf": [_ref(name)], "xml": {"name": item}}


def _answer(name: str, many: bool, fmt: str, description: str) -> dict[str, Any]:
    media = "application/json" if fmt == "json" else XML_TYPE
    return {"description": description, "content": {media: {"schema": _schema(name, many, fmt)}}}


def _errors(fmt: str, *codes: int) -> dict[str, Any]:
    meaning = {400: "A parameter is missing, malformed or out of range (the description names it)",
               403: "The api_key is missing, invalid or inactive", 404: "No such service, request or token",
               405: "The method is not offered here"}
    return {str(code): _answer("Open311Error", True, fmt, meaning[code]) for code in codes}


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"in": "query", "name": name, "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name: str, description: str) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "description": description, "schema": {"type": "string"}}


API_KEY = _query("api_key", "An Open311 client's key: full rows of the requests within its region. Without it, "
                            "the public fields of every request (unlike the standard, which shows description and "
                            "address to anyone); an invalid or inactive key is refused (403).")
CORS = (" A GET answer carries Access-Control-Allow-Origin: * (a browser page on any origin may read it); "
        "OPTIONS answers the preflight.")


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
    "lat": ("Latitude (WGS 84, degrees); with long, the request goes to the grid holding the point",
            {"type": "number"}),
    "long": ("Longitude (WGS 84, degrees)", {"type": "number"}),
    "address_string": ("The address as the resident gives it. Alone (no lat/long, no address_id) it must name a "
                       "compound of the register and optionally one of its buildings, e.g. 幸福小区1号楼; unknown "
                       "or ambiguous is refused (400)", {"type": "string"}),
    "address_id": ("The register's id of the place, used when lat/long are absent: B<building id> or "
                   "C<compound id>, e.g. B12", {"type": "string"}),
    "description": ("What the resident reports (optional, at most 4,000 characters)", {"type": "string"}),
    "first_name": ("The reporter's given name (kept, never shown by GET)", {"type": "string"}),
    "last_name": ("The reporter's family name", {"type": "string"}),
    "email": ("The reporter's e-mail", {"type": "string"}),
    "phone": ("The reporter's phone", {"type": "string"}),
    "media_url": ("A picture of the problem", {"type": "string"}),
}
_REQUIRED = ["api_key", "service_code"]


def _suffixed(operation_id: str, summary: str, fmt: str) -> tuple[str, str]:
    return (operation_id, summary) if fmt == "json" else (f"{operation_id}_xml", f"{summary} (XML)")


def _format_paths(fmt: str) -> dict[str, dict[str, Any]]:
    """The path items of one format (``json`` or ``xml``)."""
    single = _path("service_request_id", "The request's id (诉求编号)")

    def op(operation_id: str, summary: str, *args: Any, **extra: Any) -> dict[str, Any]:
        return _operation(*_suffixed(operation_id, summary, fmt), *args, **extra)

    return {
        f"{PREFIX}/discovery.{fmt}": {"get": op(
            "open311_discovery", "Discovery", "The GeoReport v2 discovery document of this endpoint." + CORS,
            {"200": _answer("Open311Discovery", False, fmt, "The discovery document"), **_errors(fmt, 400, 405)})},
        f"{PREFIX}/services.{fmt}": {"get": op(
            "open311_services", "Service list", "Every active issue category as a GeoReport v2 service." + CORS,
            {"200": _answer("Open311Service", True, fmt, "The services"), **_errors(fmt, 400, 405)})},
        f"{PREFIX}/services/{{service_code}}.{fmt}": {"get": op(
            "open311_service_definition", "Service definition", "A service's definition (no extra attributes)." + CORS,
            {"200": _answer("Open311ServiceDefinition", False, fmt, "The definition"), **_errors(fmt, 400, 404, 405)},
            [_path("service_code", "The category's code")])},
        f"{PREFIX}/requests.{fmt}": {
            "get": op(
                "open311_requests", "Get service requests",
                "Requests, newest first, at most 1,000. With service_request_id the other filters are ignored; "
                "without dates the window is the last 90 days (only start_date: the 90 days after it; only "
                "end_date: the 90 days before it); a start_date–end_date span over 90 days is refused (400)." + CORS,
                {"200": _answer("Open311Request", True, fmt, "The requests"), **_errors(fmt, 400, 403, 405)},
                [API_KEY, _query("service_request_id", "Comma-separated request ids (at most 1,000)"),
                 _query("service_code", "Comma-separated categories"),
                 _query("start_date", "W3C datetime (years 1970–2100); naive times are Asia/Shanghai",
                        type="string"),
                 _query("end_date", "W3C datetime (years 1970–2100), at most 90 days after start_date",
                        type="string"),
                 _query("status", "open, closed, or both comma-separated", type="string")]),
            "post": op(
                "open311_create_request", "Create a service request",
                "File a resident issue at a location: lat and long, or address_string alone, or address_id alone "
                "(both resolved through the compound and building register). It is routed to the grid holding the "
                "place, which must lie within the client's region. The answer holds the service_request_id and a "
                "token for tokens/{token}. Not opened to browsers of other origins (no CORS header).",
                {"201": _answer("Open311Created", True, fmt, "The request was filed"), **_errors(fmt, 400, 403, 405)},
                requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": _REQUIRED,
                    "properties": {name: {**schema, "description": text}
                                   for name, (text, schema) in _CREATE_FIELDS.items()}}}}}),
        },
        f"{PREFIX}/requests/{{service_request_id}}.{fmt}": {"get": op(
            "open311_request", "Get a service request", "One request, as a list of one (the spec's shape)." + CORS,
            {"200": _answer("Open311Request", True, fmt, "The request"), **_errors(fmt, 400, 403, 404, 405)},
            [single, API_KEY])},
        f"{PREFIX}/tokens/{{token}}.{fmt}": {"get": op(
            "open311_token", "Get service_request_id from a token",
            "The request a POST's token stands for, as a list of one (GeoReport v2)." + CORS,
            {"200": _answer("Open311Token", True, fmt, "The request id"), **_errors(fmt, 400, 404, 405)},
            [_path("token", "The token a POST returned (32 hex characters)")])},
    }


def paths() -> dict[str, dict[str, Any]]:
    """The OpenAPI path items of ``/open311/v2/``: each resource in ``.json`` and in ``.xml``."""
    return {**_format_paths("json"), **_format_paths("xml")}


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
