"""One refusal (core.errors.Refusal) for the whole platform, answered as a 400 once each for pages, the API and forms.

Every domain's refusal is a Refusal; a view that lets one escape gets the 400 page in the platform's layout with the
Chinese message (JSON on JSON paths), the API answers ``{"detail": {field: [message]}}``, and ``refuse`` puts one on
the form field it names.
"""

from __future__ import annotations

import json

import pytest
from django import forms
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from changji.community.actors import InputError
from changji.community.grids.geo import GeometryError
from changji.community.issues.changes import IssueError
from changji.community.open311 import Open311Error
from changji.community.venues.bookings import BookingError
from changji.core.errors import Refusal
from changji.core.identity import IdentifierError
from changji.core.params import ParamError
from changji.core.transitions import TransitionError
from changji.core.uploads import UploadError
from changji.core.web_forms import refuse
from changji.services.cases import CaseError
from changji.water.registry.xlsx_import import WorkbookError

LAYOUT = ('<html lang="zh-hans">', "core/shell.css", "昌吉州智慧治理平台")


def refusing(request: HttpRequest):
    raise CaseError("reason", "请填写理由")


urlpatterns = [
    path("refused/", csrf_exempt(refusing)),
    path("refused/data.json", csrf_exempt(refusing)),
    path("", include("changji.urls")),
]


@pytest.mark.parametrize("kind", [ParamError, IdentifierError, UploadError, WorkbookError, TransitionError,
                                  GeometryError, InputError, IssueError, BookingError, Open311Error, CaseError])
def test_every_domain_refusal_is_a_refusal(kind):
    assert issubclass(kind, Refusal) and issubclass(kind, ValueError)


def test_a_refusal_carries_its_field_and_message():
    error = Refusal("reason", "请填写理由")
    assert (error.field, error.message, str(error), error.status) == ("reason", "请填写理由", "请填写理由", 400)
    assert repr(error) == "Refusal(field='reason', message='请填写理由')"
    assert repr(TransitionError("state", "不能")) == "TransitionError(field='state', message='不能')"


def test_refusals_of_a_whole_value_are_built_from_the_message():
    for kind in (IdentifierError, UploadError, GeometryError):
        error = kind("号码有误")
        assert (error.field, error.message) == (None, "号码有误")
    assert ParamError("year", "坏").field == "year"
    assert Open311Error(404, "service_code x not found").status == 404


@pytest.mark.django_db
def test_a_page_answers_a_refusal_with_the_400_page_in_the_layout(settings):
    settings.ROOT_URLCONF = __name__
    response = Client().get("/refused/")
    assert response.status_code == 400
    body = response.content.decode()
    assert all(word in body for word in (*LAYOUT, "请填写理由"))


@pytest.mark.django_db
def test_a_json_path_answers_a_refusal_as_json(settings):
    settings.ROOT_URLCONF = __name__
    response = Client().get("/refused/data.json")
    assert response.status_code == 400 and response.json() == {"detail": "请填写理由"}


def test_the_api_answers_a_refusal_with_its_field():
    from changji.api import api

    request = RequestFactory().get("/api/water/alarms")
    response = api.on_exception(request, CaseError("reason", "请填写理由"))
    assert response.status_code == 400
    assert json.loads(response.content) == {"detail": {"reason": ["请填写理由"]}}
    whole = api.on_exception(request, UploadError("文件无法读取"))
    assert json.loads(whole.content) == {"detail": {"__all__": ["文件无法读取"]}}


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False)


def test_refuse_puts_a_refusal_on_the_field_it_names_or_on_the_whole_form():
    form = ReasonForm({"reason": ""})
    assert form.is_valid()
    assert refuse(form, CaseError("reason", "请填写理由")) == ["请填写理由"]
    assert form.errors == {"reason": ["请填写理由"]}
    form = ReasonForm({"reason": ""})
    form.is_valid()
    refuse(form, TransitionError("state", "办件不能从「待预审」转为「已出件」"))
    assert form.non_field_errors() == ["办件不能从「待预审」转为「已出件」"]
    form = ReasonForm({"reason": ""})
    form.is_valid()
    refuse(form, IdentifierError("号码有误"), field="reason")
    assert form.errors == {"reason": ["号码有误"]}
