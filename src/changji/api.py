"""The platform's JSON API (``/api/``), with its OpenAPI document at ``/api/openapi.json``.

One NinjaAPI; each app adds its router. Every endpoint authenticates (``core.api_auth``) and
scopes its queries with ``core.scope``. Errors are 4xx JSON with the field at fault, never 500:
Django's ValidationError becomes 400 ``{"detail": {field: [messages]}}``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI

from changji.core.api_auth import API_AUTH
from changji.core.guards import PUBLIC, route

#: The OpenAPI document and its page are public documentation (core.guards.PUBLIC).
api = NinjaAPI(title="昌吉州智慧治理平台 API", version="1", auth=API_AUTH, urls_namespace="api",
               docs_decorator=route(get=PUBLIC))


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    detail = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(error) or "没有权限"}, status=403)


def _add_routers() -> None:
    from changji.water.api.routes import (
        router as water,  # deferred: the app's routes import its models, loaded after settings
    )

    api.add_router("/water/", water)


_add_routers()


def urls() -> tuple[list[URLResolver | URLPattern], str, str]:
    """The API's URL patterns for the root URL conf, each with its access declared (``core.guards``).

    django-ninja adds a root pattern of its own that always answers 404 (it only anchors the API's path); it is
    guarded here as a public GET so that the access walk knows every route.
    """
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and pattern.name == "api-root":
            pattern.callback = route(get=PUBLIC)(pattern.callback)
    return patterns, app_name, namespace
