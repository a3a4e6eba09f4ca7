"""``core.web_forms.run_action``: a POSTed action runs only through its offered, valid form; refusals land on it."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from changji.core.web_forms import run_action


class NoteForm(forms.Form):
    note = forms.CharField()


class Refusal(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def post(data: dict | None = None):
    request = RequestFactory().post("/", data or {}) if data is not None else RequestFactory().get("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def texts(request) -> list[str]:
    return [str(m) for m in get_messages(request)]


def test_get_renders_and_runs_nothing():
    ran = []
    assert run_action(post(None), {"note": NoteForm()}, "note", ran.append, (Refusal,)) == 200
    assert ran == []


def test_an_action_not_offered_is_refused_with_the_given_status():
    request = post({"note": "x"})
    assert run_action(request, {}, "claim", lambda form: "done", (Refusal,), refused="不行", refused_status=403) == 403
    assert texts(request) == ["不行"]


def test_an_invalid_form_is_400_and_nothing_runs():
    ran = []
    assert run_action(post({}), {"note": NoteForm({})}, "note", ran.append, (Refusal,)) == 400
    assert ran == []


@pytest.mark.parametrize(("error", "field", "flash"), [
    (Refusal("note", "备注不对"), "note", False), (Refusal("nope", "整体不对"), None, True),
    (ValidationError(["甲", "乙"]), None, False),
])
def test_a_domain_refusal_goes_onto_the_form(error, field, flash):
    request = post({"note": "x"})
    form = NoteForm({"note": "x"})

    def apply(form):
        raise error

    assert run_action(request, {"note": form}, "note", apply, (Refusal, ValidationError), flash_errors=flash) == 400
    expected = [str(m) for m in getattr(error, "messages", [getattr(error, "message", "")])]
    assert form.errors[field or "__all__"] == expected
    assert texts(request) == (expected if flash else [])


def test_an_applied_action_returns_none_with_its_success_message():
    request = post({"note": "x"})
    assert run_action(request, {"note": NoteForm({"note": "x"})}, "note", lambda form: "已完成", (Refusal,)) is None
    assert texts(request) == ["已完成"]
