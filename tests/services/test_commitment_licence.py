"""承诺即准入 records the licence number the department issues: nothing is made up, the case waits for it."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from changji.core.models import AuditEntry
from changji.services import cases
from changji.services.cases import Applicant, CaseError
from changji.services.models import Bundle, SubCase
from tests.services.test_cases import ANSWERS_NO_SIGN as ANSWERS
from tests.services.test_cases import MATERIALS_NO_SIGN as MATERIALS
from tests.services.test_cases import MONDAY, USCC

pytestmark = pytest.mark.django_db



@pytest.fixture
def committed(restaurant, staff):
    """The business licence approved, the food licence granted on the applicant's commitment."""
    clerk, reviewers = staff
    case = cases.submit(restaurant, Applicant("enterprise", "阜康市老王餐饮有限公司", USCC, "13800000000"), "online",
                        ANSWERS, MATERIALS, by="applicant", now=MONDAY)
    cases.accept(case, clerk, now=MONDAY)
    licence, food = (SubCase.objects.get(case=case, item__code=code) for code in ("SCJG-001", "SCJG-002"))
    cases.claim(licence, reviewers["SCJG"])
    cases.decide(licence, reviewers["SCJG"], True, "符合条件", "L-1")
    cases.commit(food, "applicant", "本人承诺经营场所符合食品安全要求", now=MONDAY)
    food.refresh_from_db()
    return case, food


def test_a_commitment_makes_up_no_number_and_the_case_waits_for_the_departments(committed, staff):
    case, food = committed
    _, reviewers = staff
    assert (food.state, food.licence_number, food.valid_until) == ("committed", "", None)
    case.refresh_from_db()
    assert case.state == "accepted"  # every other item is decided, but this licence is not yet issued
    cases.record_licence(food, reviewers["SCJG"], " JY16523020001234 ", date(2031, 3, 1), now=MONDAY)
    food.refresh_from_db()
    case.refresh_from_db()
    assert (food.state, food.licence_number, food.valid_until) == ("committed", "JY16523020001234", date(2031, 3, 1))
    assert (case.state, case.outcome) == ("results_ready", "granted")
    entry = AuditEntry.objects.get(action="services.sub_case.licence_recorded")
    assert (entry.actor_name, entry.detail["licence_number"], entry.detail["valid_until"]) == (
        "reviewer-SCJG", "JY16523020001234", "2031-03-01")


@pytest.mark.parametrize("number, valid_until, field", [
    ("", None, "licence_number"), ("  ", None, "licence_number"), ("X" * 65, None, "licence_number"),
    ("JY-1", date(2026, 3, 2), "valid_until"), ("L-1", None, "licence_number"),  # L-1: the department's already
])
def test_a_bad_licence_number_is_refused_and_nothing_changes(committed, staff, number, valid_until, field):
    case, food = committed
    _, reviewers = staff
    if number == "L-1":  # on record as one of the department's e-licences
        from changji.services.models import ELicence

        ELicence.objects.create(sub_case=SubCase.objects.get(case=case, item__code="SCJG-001"), number="L-1",
                                name="营业执照", department=food.department, holder_name="某", issued_on=MONDAY.date())
    with pytest.raises(CaseError) as error:
        cases.record_licence(food, reviewers["SCJG"], number, valid_until, now=MONDAY)
    assert error.value.field == field
    food.refresh_from_db()
    assert food.licence_number == "" and not AuditEntry.objects.filter(
        action="services.sub_case.licence_recorded").exists()


def test_only_the_departments_reviewer_records_it_and_only_once(committed, staff, make_user):
    case, food = committed
    clerk, reviewers = staff
    with pytest.raises(CaseError):
        cases.record_licence(food, reviewers["CGJ"], "JY-1")  # another department
    with pytest.raises(PermissionDenied):
        cases.record_licence(food, clerk, "JY-1")  # the window may not
    cases.record_licence(food, reviewers["SCJG"], "JY-1")
    with pytest.raises(CaseError) as error:
        cases.record_licence(food, reviewers["SCJG"], "JY-2")
    assert error.value.field == "state"
    licence = SubCase.objects.get(case=case, item__code="SCJG-001")
    with pytest.raises(CaseError):  # an approved sub-case has its number from the decision
        cases.record_licence(licence, reviewers["SCJG"], "JY-3")


def test_a_failed_case_does_not_wait_for_the_number(restaurant, staff):
    clerk, reviewers = staff
    Bundle.objects.filter(pk=restaurant.pk).update(refusal_fails_case=True)
    restaurant.refresh_from_db()
    case = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "window", ANSWERS, MATERIALS, by=clerk,
                        now=MONDAY)
    cases.accept(case, clerk, now=MONDAY)
    licence, food = (SubCase.objects.get(case=case, item__code=code) for code in ("SCJG-001", "SCJG-002"))
    cases.commit(food, "applicant", "本人承诺")
    cases.claim(licence, reviewers["SCJG"])
    cases.decide(licence, reviewers["SCJG"], False, "名称不符合规定")
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("results_ready", "refused")


def test_the_reviewer_records_the_number_on_the_inbox_page(client, committed, staff):
    case, food = committed
    _, reviewers = staff
    client.force_login(reviewers["SCJG"])
    url = reverse("services:inbox_sub_case", args=[food.pk])
    page = client.get(url).content.decode()
    assert 'id="form-licence"' in page and 'id="licence-pending"' in page
    bad = client.post(url, {"action": "licence", "licence-number": "", "licence-valid_until": "2031-03-01"})
    assert bad.status_code == 400 and 'data-error-for="licence-number"' in bad.content.decode()
    past = client.post(url, {"action": "licence", "licence-number": "JY-1", "licence-valid_until": "2020-01-01"})
    assert past.status_code == 400 and "有效期须晚于今天" in past.content.decode()
    ok = client.post(url, {"action": "licence", "licence-number": "JY16523020001234",
                           "licence-valid_until": "2031-03-01"})
    assert ok.status_code == 302
    page = client.get(url).content.decode()
    assert "JY16523020001234" in page and 'id="form-licence"' not in page
    case.refresh_from_db()
    assert case.state == "results_ready"
    assert client.post(url, {"action": "licence", "licence-number": "JY-2"}).status_code == 400  # not offered now
