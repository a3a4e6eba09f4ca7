"""Route guards: each view declares, per HTTP method, the permission of ``core.access`` it needs.

A page view is wrapped by ``route(get=..., post=...)``; a JSON API operation (django-ninja) by
``operation(...)``. The declaration is kept on the view (``ACCESS_ATTRIBUTE``), so
``tests/test_access_matrix.py`` can find, for every URL pattern of the URL conf, what the policy
expects of every role and method, and fail for a route that declares nothing. ``PUBLIC`` marks a
route anyone may use (the public catalogue, the resident's report form, Open311 with its own API keys);
``SIGNED_IN`` one that every signed-in account may use (its own password); ``SIGNED_REQUEST`` one that
authenticates each request by its own signature instead of a session or token (the exchange API between
instances, ``water.sharing.endpoints``): no session grants it, so a visitor or a signed-in user without the
signature gets 401.

For a page: a method not declared is 405; an anonymous visitor of a non-public page is sent to the
login page; a signed-in user without the permission gets 403 (``PermissionDenied``, rendered by the
Chinese ``403.html``). Region scope is not decided here: the view still asks ``core.scope``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase

from changji.core.access import Permission, require

ACCESS_ATTRIBUTE = "route_access"


class _Marker(str):
    """A declaration that is not a permission of the policy (``PUBLIC``, ``SIGNED_IN``)."""


PUBLIC = _Marker("public")
SIGNED_IN = _Marker("signed-in")
SIGNED_REQUEST = _Marker("signed-request")

Requirement = Permission | _Marker

#: A view, declared as it is (``declare_public`` returns the view it was given).
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


@dataclass(frozen=True)
class RouteAccess:
    """What each HTTP method of one route requires; a method missing here is not allowed (405)."""

    methods: Mapping[str, Requirement]

    def requirement(self, method: str) -> Requirement | None:
        """Return what ``method`` needs (HEAD as GET), or None when the route does not take it."""
        return self.methods.get("GET" if method == "HEAD" else method)


def _check(request: HttpRequest, needed: Requirement) -> HttpResponse | None:
    """Return the login redirect for an anonymous visitor, raise 403 for a refused user, else None."""
    if needed is PUBLIC:
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if needed is not SIGNED_IN:
        require(request.user, needed)
    return None


def route(*, get: Requirement | None = None, post: Requirement | None = None
          ) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Declare and enforce what a page view needs for GET (and HEAD) and for POST."""
    methods = {name: needed for name, needed in (("GET", get), ("POST", post)) if needed is not None}
    if not methods:
        raise ValueError("a route must declare at least one method")
    for needed in methods.values():
        if not isinstance(needed, _Marker):
            Permission(needed)  # an unknown name fails at import, not at the first request
    access = RouteAccess(methods)

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            needed = access.requirement(request.method or "GET")
            if needed is None:
                return HttpResponseNotAllowed(sorted({*methods, *(["HEAD"] if "GET" in methods else [])}))
            refused = _check(request, needed)
            return refused if refused is not None else view(request, *args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, access)
        return guarded

    return decorator


def declare_public(view: View, methods: tuple[str, ...]) -> View:
    """Declare a view that anyone may call with ``methods`` and that answers other methods itself.

    For protocol endpoints with their own error format (Open311 answers 405 as a GeoReport error list, and
    checks its own API keys): the declaration is for the access walk; nothing is wrapped.
    """
    setattr(view, ACCESS_ATTRIBUTE, RouteAccess(dict.fromkeys(methods, PUBLIC)))
    return view


def declare_signed(view: View, methods: tuple[str, ...]) -> View:
    """Declare a view authenticated by a request signature only (``SIGNED_REQUEST``); the view checks it."""
    setattr(view, ACCESS_ATTRIBUTE, RouteAccess(dict.fromkeys(methods, SIGNED_REQUEST)))
    return view


def guard_view(view: Callable[..., HttpResponseBase], *, get: Requirement | None = None,
               post: Requirement | None = None) -> Callable[..., HttpResponseBase]:
    """Guard a view written elsewhere (Django's login and password views) for the URL conf."""
    return route(get=get, post=post)(view)


def operation(needed: Requirement) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare and enforce the permission of a JSON API operation (put it below ``@router.get``/``post``).

    Authentication is django-ninja's (``core.api_auth``: 401 without credentials); a refused permission
    raises ``PermissionDenied``, which ``changji.api`` answers with 403.
    """
    if not isinstance(needed, _Marker):
        Permission(needed)

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if needed is not PUBLIC and needed is not SIGNED_IN:
                require(request.user, needed)
            return func(request, *args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, RouteAccess({"*": needed}))
        return guarded

    return decorator


def declared(callback: Callable[..., Any]) -> RouteAccess | None:
    """Return the access declared by a URL pattern's callback, or None when it declares none.

    A django-ninja path view serves several operations (one per method) behind one callback; their
    declarations are gathered into one ``RouteAccess`` keyed by method.
    """
    found = getattr(callback, ACCESS_ATTRIBUTE, None)
    if found is not None:
        return found
    path_view = inspect.getclosurevars(callback).nonlocals.get("self") if inspect.isfunction(callback) else None
    operations = getattr(path_view, "operations", None)
    if not operations:
        return None
    methods: dict[str, Requirement] = {}
    for op in operations:
        access = getattr(op.view_func, ACCESS_ATTRIBUTE, None)
        if access is None:
            return None
        for method in op.methods:
            methods[method] = access.methods["*"]
    return RouteAccess(methods)
