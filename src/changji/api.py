"""The platform's JSON API (``/api/``): one NinjaAPI, one OpenAPI document (``/api/openapi.json``), every app.

* ``/api/`` answers with an index: each app's root, the document, the docs page and the versions (public).
* ``/api/water/``, ``/api/services/``, ``/api/community/``: each app's router (``<app>.api.routes``); each app
  root answers with the operations under it (public, like the document).
* Open311 GeoReport v2 keeps its published URLs under ``/open311/v2/`` (``community.open311``); its paths are
  described in the same document (``community.api.open311``).
* ``/api/notifications``: the caller's in-app inbox (``core.notifications.api``).
* ``/api/docs``: Swagger UI from the platform's own static files (``core.api_docs``).

Every operation declares its permission of ``core.access`` (``core.guards.operation``): a public one also says
``auth=None``, every other one authenticates (``core.api_auth``: a token or the session) and scopes its queries
with ``core.scope``. Errors are 4xx JSON with the field at fault, never 500: a refusal (``core.errors.Refusal``)
and Django's ValidationError both become 400 ``{"detail": {field: [messages]}}`` (``__all__`` when no field is
named), PermissionDenied 403.

The document is also committed as docs/openapi.json (``changji openapi`` writes it, ``changji openapi --check``
and tests/test_openapi_document.py fail when it drifts from the code).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import import_module
from importlib.metadata import version
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, reverse
from ninja import NinjaAPI, Router, Schema

from changji.community.api.open311 import describe as describe_open311
from changji.core.api_auth import API_AUTH
from changji.core.api_docs import VendoredSwagger
from changji.core.errors import Refusal
from changji.core.guards import PUBLIC, operation, route

#: The version of the API's contract (``info.version`` of the document); the platform's own is in the index.
API_VERSION = "1"
#: The apps with a router, in the order of the index and the document: (app label, module of its router).
APP_ROUTERS = (
    ("water", "changji.water.api.routes"),
    ("services", "changji.services.api.routes"),
    ("community", "changji.community.api.routes"),
)
#: Routers of the platform's core, mounted under their own prefix: (prefix, module of its router).
CORE_ROUTERS = (("/notifications", "changji.core.notifications.api"),)
OPEN311_DISCOVERY = "/open311/v2/discovery.json"
DESCRIPTION = ("井电双控、一件事一次办、网格化社区治理的 JSON 接口，"
               "以及 Open311 GeoReport v2 诉求接口（`/open311/v2/`）。"
               "认证：`Authorization: Bearer <token>`（`changji createuser … --token 用途` 或后台签发），"
               "或页面内的登录会话；"
               "Open311 使用其自己的 `api_key`。索引见 `/api/`。")


class PlatformAPI(NinjaAPI):
    """The platform's NinjaAPI: its document also describes Open311, and its root is the index.

    Open311 GeoReport v2 keeps its own URLs (``/open311/v2/``); django-ninja's own root pattern, which only
    answers 404, is left out by ``urls``.
    """

    def get_root_path(self, path_params: dict[str, Any]) -> str:
        """The API's root URL: the index's."""
        return reverse(f"{self.urls_namespace}:index", kwargs=path_params)

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> Any:
        """The OpenAPI 3 document of every operation, Open311's paths included."""
        return describe_open311(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


#: The OpenAPI document and its page are public documentation (core.guards.PUBLIC).
api = PlatformAPI(title="昌吉州智慧治理平台 API", version=API_VERSION, auth=API_AUTH, urls_namespace="api",
                  docs=VendoredSwagger(), docs_decorator=route(get=PUBLIC),
                  description=DESCRIPTION)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    detail = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(Refusal)
def _refusal(request: HttpRequest, error: Refusal) -> HttpResponse:
    return api.create_response(request, {"detail": {error.field or "__all__": [error.message]}}, status=error.status)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(error) or "没有权限"}, status=403)


# --- the index ----------------------------------------------------------------------------------------------


class AppOut(Schema):
    """An app's API: its root (which lists its operations) and its section of the docs page."""

    name: str
    title: str
    root: str
    docs: str


class IndexOut(Schema):
    """What ``/api/`` answers: where everything is, and which versions answer."""

    title: str
    api_version: str
    platform_version: str
    openapi: str
    docs: str
    apps: list[AppOut]
    open311: str


class OperationOut(Schema):
    """One operation of an app's API, as the OpenAPI document names it."""

    method: str
    path: str
    operation_id: str
    summary: str


class AppIndexOut(Schema):
    """What an app's root answers: the app and its operations."""

    name: str
    title: str
    root: str
    operations: list[OperationOut]


platform = Router(tags=["platform"])


def _app(name: str) -> dict[str, str]:
    root = reverse("api:index") + f"{name}/"
    return {"name": name, "title": str(apps.get_app_config(name).verbose_name), "root": root,
            "docs": reverse("api:openapi-view") + f"#/{name}"}


@platform.get("/", response=IndexOut, auth=None, url_name="index")
@operation(PUBLIC)
def index(request: HttpRequest) -> dict[str, Any]:
    """The API's index: each app's root, the OpenAPI document, the docs page, the API's and the platform's version."""
    return {"title": api.title, "api_version": api.version, "platform_version": version("changji"),
            "openapi": reverse("api:openapi-json"), "docs": reverse("api:openapi-view"),
            "apps": [_app(name) for name, _ in APP_ROUTERS], "open311": OPEN311_DISCOVERY}


@cache
def _operations() -> dict[str, list[dict[str, str]]]:
    """Each app's operations from the document (fixed once the URL conf is loaded), by app label."""
    found: dict[str, list[dict[str, str]]] = {name: [] for name, _ in APP_ROUTERS}
    for path, item in api.get_openapi_schema()["paths"].items():
        for method, spec in item.items():
            for name in found:  # an app's tag, or a tag of its own such as "community: Open311 GeoReport v2"
                if any(tag == name or tag.startswith(f"{name}:") for tag in spec.get("tags", ())):
                    found[name].append({"method": method.upper(), "path": path, "operation_id": spec["operationId"],
                                        "summary": spec.get("summary", "")})
    return found


def _add_app_index(name: str) -> None:
    def app_index(request: HttpRequest) -> dict[str, Any]:
        return {**_app(name), "operations": _operations()[name]}

    app_index.__name__ = f"{name}_index"
    app_index.__doc__ = f"The {name} app's API root: its operations (method, path, operation id, summary)."
    platform.get(f"/{name}/", response=AppIndexOut, auth=None, url_name=f"{name}_index")(operation(PUBLIC)(app_index))


def _add_routers() -> None:
    for name, _ in APP_ROUTERS:
        _add_app_index(name)
    api.add_router("", platform)
    for name, module in APP_ROUTERS:
        api.add_router(f"/{name}/", import_module(module).router)
    for prefix, module in CORE_ROUTERS:
        api.add_router(prefix, import_module(module).router)


_add_routers()


def openapi_document() -> str:
    """The OpenAPI document as committed in docs/openapi.json: keys sorted, indented, UTF-8, a final newline."""
    return json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"


def urls() -> tuple[list[URLResolver | URLPattern], str, str]:
    """The API's URL patterns for the root URL conf, each with its access declared (``core.guards``).

    django-ninja adds a root pattern of its own that always answers 404; the index answers ``/api/`` instead,
    so that pattern is left out.
    """
    patterns, app_name, namespace = api.urls
    return [p for p in patterns if getattr(p, "name", None) != "api-root"], app_name, namespace
