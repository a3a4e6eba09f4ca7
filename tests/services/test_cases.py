"""A restaurant bundle from online application through correction, parallel approval, issue and rating."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from changji.core.models import AuditEntry, Notification
from changji.services import cases, ratings
from changji.services.cases import Applicant, CaseError
from changji.services.demo_catalogue import DEPARTMENT_NAMES
from changji.services.models import Bundle, CaseEvent, Department, SubCase

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Changji, a working Monday
ANSWERS = {"business_name": "老王面馆", "address": "阜康市天池街 1 号", "legal_person": "王某",
           "registered_capital": 10, "food_category": "热食类", "outdoor_sign": True, "sign_size": "3×1"}
MATERIALS = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in
             ("id", "lease", "articles", "layout", "food_safety", "sign_design")}
#: The restaurant without an outdoor sign: two items apply (营业执照, 食品经营许可), five materials.
ANSWERS_NO_SIGN = {**{k: v for k, v in ANSWERS.items() if k != "sign_size"}, "outdoor_sign": False}
MATERIALS_NO_SIGN = {code: upload for code, upload in MATERIALS.items() if code != "sign_design"}






def test_a_restaurant_case_from_application_to_rating(restaurant, staff):
    clerk, reviewers = staff
    lacking = {k: v for k, v in MATERIALS.items() if k != "layout"}
    case = cases.submit(restaurant, Applicant("enterprise", "阜康市老王餐饮有限公司", USCC, "13800000000"), "online",
                        ANSWERS, lacking, by="applicant", now=MONDAY)
    assert case.receipt_number.startswith("65230220260302") and len(case.query_code) == 6
    lease = case.materials.get(code="lease")
    assert sorted(lease.item_codes) == ["CGJ-001", "SCJG-001", "SCJG-002"]  # uploaded once, linked thrice
    with pytest.raises(CaseError) as error:
        cases.accept(case, clerk, now=MONDAY)
    assert error.value.field == "materials" and "经营场所平面布局图" in error.value.message
    cases.request_correction(case, clerk, cases.missing_for(case), now=MONDAY)
    cases.resubmit(case, {}, {"layout": ("layout.pdf", b"%PDF layout")}, by="applicant",
                   now=datetime(2026, 3, 4, 2, 0, tzinfo=UTC))
    case.refresh_from_db()
    assert case.suspended_days == 2 and case.state == "submitted"
    subs = cases.accept(case, clerk, now=datetime(2026, 3, 4, 3, 0, tzinfo=UTC))
    assert {s.item.code for s in subs} == {"SCJG-001", "SCJG-002", "CGJ-001"}
    licence, food, sign = (SubCase.objects.get(case=case, item__code=c) for c in ("SCJG-001", "SCJG-002", "CGJ-001"))
    assert licence.due_on == date(2026, 3, 5) and licence.legal_due_on == date(2026, 3, 25)
    cases.claim(licence, reviewers["SCJG"])
    cases.decide(licence, reviewers["SCJG"], True, "符合条件", "91350100M000100Y43", date(2046, 3, 4))
    cases.commit(food, "applicant", "本人承诺经营场所符合食品安全要求", now=datetime(2026, 3, 4, 4, 0, tzinfo=UTC))
    case.refresh_from_db()
    assert case.state == "accepted"  # the sign permit is still open: no join yet
    cases.claim(sign, reviewers["CGJ"])
    cases.decide(sign, reviewers["CGJ"], True, "同意设置", "CGJ-2026-001")
    case.refresh_from_db()
    assert case.state == "accepted"  # the food licence granted on commitment waits for its licence number
    cases.record_licence(food, reviewers["SCJG"], "JY16523020001234", date(2031, 3, 3),
                         now=datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    case.refresh_from_db()
    assert case.state == "results_ready" and case.outcome == "granted"
    cases.issue(case, clerk, handed_to="王某")
    ratings.rate(case, "applicant", 5, "一次办好")
    case.refresh_from_db()
    assert (case.state, case.rating) == ("rated", 5)
    food.refresh_from_db()
    assert food.state == "committed" and food.verification_due_on is not None
    cases.verify(food, reviewers["SCJG"], "confirmed", "现场核查属实")
    view = cases.progress(case)
    assert [step["state"] for step in view["history"]][:4] == ["待预审", "待补正", "待预审", "审批中"]
    assert view["expected_end"] == date(2026, 3, 11)  # the sign permit: 5 working days from Mar 4
    assert food.licence_number == "JY16523020001234"  # the department's number, none made up
    assert Notification.objects.filter(event__startswith="services.", channel="sms").count() == 9
    assert AuditEntry.objects.filter(action__startswith="services.case.").count() == 7  # one per case move
    assert CaseEvent.objects.filter(case=case).count() == 17  # 7 case moves, 9 sub-case moves, 1 licence recorded


def test_one_refusal_fails_the_whole_case_when_the_bundle_says_so(restaurant, staff):
    clerk, reviewers = staff
    Bundle.objects.filter(pk=restaurant.pk).update(refusal_fails_case=True)
    restaurant.refresh_from_db()
    answers = {**ANSWERS, "outdoor_sign": False}
    materials = {k: v for k, v in MATERIALS.items() if k != "sign_design"}
    case = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "window", answers, materials, by=clerk,
                        now=MONDAY)
    subs = cases.accept(case, clerk, now=MONDAY)
    assert len(subs) == 2
    licence = next(s for s in subs if s.item.code == "SCJG-001")
    cases.claim(licence, reviewers["SCJG"])
    cases.decide(licence, reviewers["SCJG"], False, "名称不符合规定")
    case.refresh_from_db()
    assert case.state == "results_ready" and case.outcome == "refused"
    assert SubCase.objects.get(case=case, item__code="SCJG-002").state == "withdrawn"


@pytest.mark.parametrize("applicant, field", [
    (Applicant("enterprise", "某公司", "91350100M000100Y44"), "applicant_identifier"),
    (Applicant("person", "张三", "110105194912310021"), "applicant_identifier"),
    (Applicant("alien", "某", USCC), "applicant_kind"),
    (Applicant("enterprise", "  ", USCC), "applicant_name"),
])
def test_bad_applicants_are_refused_and_nothing_is_stored(restaurant, applicant, field):
    with pytest.raises(CaseError) as error:
        cases.submit(restaurant, applicant, "online", ANSWERS, MATERIALS, by="applicant", now=MONDAY)
    assert error.value.field == field
    assert not restaurant.cases.exists()


def test_a_reviewer_of_another_department_cannot_claim_or_decide(restaurant, staff, make_user):
    clerk, reviewers = staff
    case = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "window", ANSWERS, MATERIALS, by=clerk,
                        now=MONDAY)
    cases.accept(case, clerk, now=MONDAY)
    licence = SubCase.objects.get(case=case, item__code="SCJG-001")
    outsider = make_user("outsider", "652301", role="department_reviewer")
    with pytest.raises(CaseError):
        cases.claim(licence, outsider)
    with pytest.raises(CaseError):  # same region, another department
        cases.claim(licence, reviewers["CGJ"])
    cases.claim(licence, reviewers["SCJG"])
    with pytest.raises(CaseError) as error:
        cases.decide(licence, reviewers["CGJ"], True, "同意", "X-1")
    assert error.value.field == "sub_case"
    with pytest.raises(CaseError) as error:
        cases.decide(licence, reviewers["SCJG"], True, "同意", "")
    assert error.value.field == "licence_number"
    assert Department.objects.filter(region_id="652302").count() == len(DEPARTMENT_NAMES)  # none made by the steps


def test_the_demo_seeds_bundles_and_staff_idempotently(db):
    from django.apps import apps

    config = apps.get_app_config("services")
    first = config.prepare_demo()
    assert "89 demo bundles" in first and "fukang-clerk" in first
    config.prepare_demo()
    assert Bundle.objects.filter(demo=True).count() == 89
    scjg = Department.objects.get(code="652302-SCJG")
    assert list(scjg.reviewers.values_list("username", flat=True)) == ["fukang-scjg"]
