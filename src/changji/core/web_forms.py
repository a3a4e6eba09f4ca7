"""The one way a detail page runs a POSTed action form (claim, approve, escalate, acknowledge…).

A page offers the forms its object's state allows, keyed by action; a POST names one. The action runs
only when its form is offered and valid; a refusal from the domain (a ``core.errors.Refusal``, or the
water app's Django ``ValidationError``) goes back onto the form with ``refuse``: on the field it names
when the form has it, else on the whole form. Nothing changes on a refusal, and the page is rendered
again with status 400 instead of a 500. A page with a single form (not an action) calls ``refuse``
itself when the domain refuses what the form asked.

``field_of`` hands a page the field it narrows per request (a queryset or choices in the user's region), checked
to be of the kind the form declares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from changji.core.errors import Refusal

F = TypeVar("F", bound=forms.Field)


def field_of(form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """The form's own copy of field ``name``, checked to be a ``kind`` (``form.fields`` holds plain Fields)."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def _messages(error: Exception) -> list[str]:
    listed = getattr(error, "messages", None)  # django.core.exceptions.ValidationError
    if isinstance(listed, list) and listed:
        return [str(message) for message in listed]
    return [str(getattr(error, "message", None) or error)]


def refuse(form: forms.Form, error: Refusal | ValidationError, field: str | None = None) -> list[str]:
    """Put a refusal on ``form`` and return its messages (for a page that also shows them as a message).

    It goes on ``field`` (default: the field the refusal names) when the form has that field, else on the
    whole form.
    """
    name = field or getattr(error, "field", None)
    said = _messages(error)
    for message in said:
        form.add_error(name if name in form.fields else None, message)
    return said


def run_action(request: HttpRequest, available: Mapping[str, forms.Form], action: str,
               apply: Callable[[forms.Form], str | None],
               errors: tuple[type[Exception], ...] = (Refusal,), *,
               refused: str = "当前状态下不能进行该操作", refused_status: int = 400,
               flash_errors: bool = False) -> int | None:
    """Run the POSTed ``action``: None when it was applied (the caller redirects), else the status to render with.

    GET → 200. An action with no offered form → ``refused`` as a message and ``refused_status``; an invalid
    form → 400; an ``errors`` exception from ``apply`` (a ``Refusal`` unless told otherwise) → 400 with its
    message on its field (``refuse``; on the whole form, and also as a page message when ``flash_errors``).
    ``apply`` may return a success message.
    """
    if request.method != "POST":
        return 200
    form = available.get(action)
    if form is None:
        messages.error(request, refused)
        return refused_status
    if not form.is_valid():
        return 400
    try:
        done = apply(form)
    except errors as error:
        for message in refuse(form, error):  # type: ignore[arg-type]
            if flash_errors:
                messages.error(request, message)
        return 400
    if done:
        messages.success(request, done)
    return None
