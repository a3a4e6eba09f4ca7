"""The pages of result delivery: the choice on the application, 出件 per method, the public e-licence lookup."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from changji.core.models import AuditEntry
from changji.services import cases, delivery
from changji.services.models import Case, ELicence, SubCase

from .test_services_pages import application

pytestmark = pytest.mark.django_db


def test_the_application_takes_the_delivery_choice(client, restaurant):
    url = reverse("services:apply", args=[restaurant.pk])
    form = client.get(url).content.decode()
    assert 'name="delivery_method"' in form and "邮寄送达" in form and "电子证照" in form
    bad = client.post(url, application(delivery_method="postal", postal_address="", postal_recipient="王某"))
    assert bad.status_code == 400 and 'data-error-for="postal_address"' in bad.content.decode()
    assert not Case.objects.exists()
    ok = client.post(url, application(delivery_method="postal", postal_address="阜康市天池街 1 号老王面馆",
                                      postal_recipient="王某"))
    assert ok.status_code == 302
    case = Case.objects.get()
    assert (case.delivery_method, case.postal_address, case.postal_recipient) == (
        "postal", "阜康市天池街 1 号老王面馆", "王某")
    assert "邮寄送达：王某" in client.get(ok["Location"]).content.decode()


def _ready(submitted, clerk, reviewers, method):
    Case.objects.filter(pk=submitted.pk).update(delivery_method=method, postal_address="阜康市天池街 1 号",
                                                postal_recipient="王某")
    for sub in cases.accept(submitted, clerk):
        reviewer = reviewers[sub.department.code.split("-")[1]]
        cases.claim(sub, reviewer)
        cases.decide(sub, reviewer, True, "符合条件", f"LIC-{sub.item.code}")
    return reverse("services:window_case", args=[submitted.pk])


def test_the_window_asks_a_postal_case_for_the_tracking_number(client, clerk, reviewers, submitted):
    url = _ready(submitted, clerk, reviewers, "postal")
    client.force_login(clerk)
    page = client.get(url).content.decode()
    assert 'id="delivery-method"' in page and "邮寄送达：王某" in page
    assert 'name="issue-tracking_number"' in page and 'name="issue-handed_to"' not in page
    bad = client.post(url, {"action": "issue", "issue-tracking_number": "顺丰"})
    assert bad.status_code == 400 and 'data-error-for="issue-tracking_number"' in bad.content.decode()
    assert client.post(url, {"action": "issue", "issue-tracking_number": "SF1234567890"}).status_code == 302
    submitted.refresh_from_db()
    assert (submitted.state, submitted.handed_to, submitted.postal_tracking_number) == (
        "issued", "邮寄：王某", "SF1234567890")
    assert "SF1234567890" in client.get(url).content.decode()


def test_the_window_issues_an_e_licence_case_without_a_pickup(client, clerk, reviewers, submitted):
    url = _ready(submitted, clerk, reviewers, "e_licence")
    client.force_login(clerk)
    page = client.get(url).content.decode()
    assert 'id="form-issue"' in page and 'name="issue-handed_to"' not in page
    assert client.post(url, {"action": "issue"}).status_code == 302
    assert ELicence.objects.filter(sub_case__case=submitted).count() == 3


def test_the_public_e_licence_lookup_shows_only_what_it_should(client, clerk, reviewers, submitted):
    cache.clear()
    _ready(submitted, clerk, reviewers, "window")
    submitted.refresh_from_db()
    cases.issue(submitted, clerk, handed_to="王某")
    url = reverse("services:verify_licence")
    assert client.get(url).status_code == 200
    page = client.get(url, {"number": "LIC-CGJ-001"}).content.decode()
    sign = SubCase.objects.get(case=submitted, item__code="CGJ-001").item
    for text in ("LIC-CGJ-001", sign.result_name or sign.name, "城市管理局", "阜康*****有限公司", "有效"):
        assert text in page
    for secret in (submitted.receipt_number, submitted.query_code, submitted.applicant_identifier, "13800000000",
                   "阜康市老王餐饮有限公司"):
        assert secret not in page
    ELicence.objects.filter(number="LIC-CGJ-001").update(status="revoked")
    assert "已撤销" in client.get(url, {"number": "LIC-CGJ-001"}).content.decode()
    assert "证照编号" in client.get(reverse("services:verify")).content.decode()  # the lookup's form is there


def test_the_e_licence_lookup_is_throttled_like_tracking(client):
    cache.clear()
    url = reverse("services:verify_licence")
    for attempt in range(5):
        response = client.get(url, {"number": f"GUESS-{attempt}"})
        assert response.status_code == 404 and "未找到" in response.content.decode()
    locked = client.get(url, {"number": "GUESS-9"})
    assert locked.status_code == 429 and "查询失败次数过多" in locked.content.decode()
    assert AuditEntry.objects.filter(action="services.verify_licence.locked").count() == 1
    assert client.get(url, {"number": "x" * 65}).status_code == 400  # core.params: too long
    cache.clear()


def test_the_choice_helper_is_what_the_walk_in_form_uses():
    assert delivery.choose("window") == delivery.WINDOW_PICKUP
