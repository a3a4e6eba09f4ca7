"""Refusals answered once for every page: NUL refused before any view reads it, a view's ``Refusal`` as a 400.

``RefusalMiddleware`` answers a ``core.errors.Refusal`` raised by any view (a domain's refusal that the
view did not put on a form) with ``core.error_pages.refused``: the 400 page in the platform's layout with
the refusal's Chinese message, or JSON where the request went to a JSON interface. Views need no
``try``/``except`` to turn a refusal into a 400.

``RefuseNulMiddleware`` refuses a NUL character anywhere in a request's path, query or form fields.

PostgreSQL cannot store or even compare text containing NUL (U+0000): a lookup with one fails inside the
database, a 500 on every page, the admin's searches and filters, the login form and the Open311 API alike.
No legitimate value carries one, so the whole class is answered here, once, as a 400 (``ParamError``)
naming the parameter. Uploaded files' contents are not looked at.

A multipart body is read only for views whose form Django's CSRF check reads anyway: reading it consumes
the request's stream, and a CSRF-exempt view (the JSON API) may need the raw body instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from changji.core.error_pages import refused
from changji.core.errors import Refusal
from changji.core.params import ParamError, refuse_nul

FORM_ENCODED = "application/x-www-form-urlencoded"


class RefuseNulMiddleware:
    """Raise ``ParamError`` for NUL in the path, a query parameter or a posted form field (name or value)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            raise ParamError("路径", "含有非法字符")
        refuse_nul(request.GET)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any) -> None:
        if request.method != "POST":
            return
        if request.content_type == FORM_ENCODED or not getattr(view, "csrf_exempt", False):
            refuse_nul(request.POST)


class RefusalMiddleware:
    """Answer a ``Refusal`` raised by a view with the 400 page (``core.error_pages.refused``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return refused(request, exception) if isinstance(exception, Refusal) else None
