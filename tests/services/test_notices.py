"""The applicant's notices go through the platform's outbox (``services.notices``): SMS and in-app, never the 查询码."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from django.db import transaction

from changji.core.models import AuditEntry, Notification
from changji.services import cases, delivery, ratings
from changji.services.cases import Applicant
from changji.services.models import Case, SubCase
from tests.services.test_cases import ANSWERS_NO_SIGN as ANSWERS
from tests.services.test_cases import MATERIALS_NO_SIGN as MATERIALS
from tests.services.test_cases import MONDAY, USCC

pytestmark = pytest.mark.django_db

QUERY_CODE = "987654"


@pytest.fixture
def fixed_code(monkeypatch):
    """Every case gets the query code ``QUERY_CODE`` (a value found nowhere else in a case), to look for it."""
    monkeypatch.setattr(cases.secrets, "randbelow", lambda _: int(QUERY_CODE))
    return QUERY_CODE


class Refused(Exception):
    pass


def submit(bundle, phone="+86 138 0000 1234", choice=delivery.WINDOW_PICKUP, materials=MATERIALS) -> Case:
    return cases.submit(bundle, Applicant("enterprise", "阜康市老王餐饮有限公司", USCC, phone), "online", ANSWERS,
                        materials, by="applicant", now=MONDAY, delivery_choice=choice)


def notices(event: str, channel: str = "sms") -> list[Notification]:
    return list(Notification.objects.filter(event=event, channel=channel).order_by("pk"))


def test_a_full_case_tells_the_applicant_each_milestone_and_never_the_query_code(restaurant, staff, make_user,
                                                                                caplog, fixed_code):
    caplog.set_level(logging.DEBUG)
    clerk, reviewers = staff
    scjg = reviewers["SCJG"]
    choice = delivery.choose("postal", "阜康市天池街 1 号老王面馆", "王某")
    case = submit(restaurant, choice=choice, materials={k: v for k, v in MATERIALS.items() if k != "layout"})
    assert case.query_code == fixed_code
    Case.objects.filter(pk=case.pk).update(applicant_user=make_user("applicant", None, role="township_viewer"))
    cases.request_correction(case, clerk, cases.missing_for(case), now=MONDAY)
    cases.resubmit(case, {}, {"layout": ("layout.pdf", b"%PDF layout")}, by="applicant", now=MONDAY)
    cases.accept(case, clerk, now=MONDAY)
    licence, food = (SubCase.objects.get(case=case, item__code=code) for code in ("SCJG-001", "SCJG-002"))
    cases.claim(licence, scjg)
    cases.extend(licence, scjg, 2, "经局长批准")
    cases.decide(licence, scjg, True, "符合条件", "L-2026-1", date(2046, 3, 1))
    cases.commit(food, "applicant", "本人承诺")
    cases.record_licence(food, scjg, "JY16523020001234", date(2031, 3, 1))
    case.refresh_from_db()
    cases.issue(case, clerk, tracking_number="SF1234567890")
    case.refresh_from_db()
    ratings.rate(case, "applicant", 5, "一次办好", ["one_visit"])

    sms = list(Notification.objects.filter(channel="sms").order_by("pk"))
    assert [n.event for n in sms] == [
        "services.case.submitted", "services.case.correction", "services.case.submitted", "services.case.accepted",
        "services.sub_case.extended", "services.sub_case.approved", "services.sub_case.licence_recorded",
        "services.case.results_ready", "services.case.issued"]
    assert {n.address for n in sms} == {"13800001234"}  # normalised
    in_app = Notification.objects.filter(channel="in_app", user__username="applicant")
    assert in_app.count() == 8  # every milestone after the account was linked
    body = {n.event: n.body for n in reversed(sms)}  # the first of each event
    assert case.receipt_number in body["services.case.submitted"] and "查询码" in body["services.case.submitted"]
    assert "经营场所平面布局图" in body["services.case.correction"]
    assert "延期至" in body["services.sub_case.extended"] and "经局长批准" in body["services.sub_case.extended"]
    assert "营业执照" in body["services.sub_case.approved"] and "L-2026-1" in body["services.sub_case.approved"]
    assert "JY16523020001234" in body["services.sub_case.licence_recorded"]
    assert "邮政快递寄送至 王某" in body["services.case.results_ready"]
    assert "SF1234567890" in body["services.case.issued"]
    assert all(n.link == "/services/track/" for n in sms)

    stored = [json.dumps([n.title, n.body, n.sms_params, n.link], ensure_ascii=False)
              for n in Notification.objects.all()]
    assert stored and not [text for text in stored if fixed_code in text]
    audited = [json.dumps([e.reason, e.detail], ensure_ascii=False) for e in AuditEntry.objects.all()]
    assert audited and not [text for text in audited if fixed_code in text]
    logged = [record.getMessage() for record in caplog.records]
    assert any("notices" in line for line in logged)  # the outbox logged at all
    assert not [line for line in logged if fixed_code in line]


def test_the_results_ready_notice_says_where_the_results_are(restaurant, staff):
    clerk, reviewers = staff
    where = {}
    for method in ("window", "postal", "e_licence"):
        choice = delivery.choose(method, "阜康市天池街 1 号", "王某")
        case = submit(restaurant, choice=choice)
        for sub in cases.accept(case, clerk, now=MONDAY):
            cases.claim(sub, reviewers["SCJG"])
            cases.decide(sub, reviewers["SCJG"], True, "符合条件", f"{method}-{sub.item.code}")
        where[method] = notices("services.case.results_ready")[-1].body
    assert "综合窗口领取" in where["window"] and "邮寄" not in where["window"]
    assert "邮政快递寄送至 王某（阜康市天池街 1 号）" in where["postal"]
    assert "证照核验" in where["e_licence"] and "结果：准予许可" in where["e_licence"]


def test_the_window_is_told_of_results_to_issue_and_the_reviewers_are_not(restaurant, staff):
    clerk, reviewers = staff
    case = submit(restaurant)
    for sub in cases.accept(case, clerk, now=MONDAY):
        cases.claim(sub, reviewers["SCJG"])
        cases.decide(sub, reviewers["SCJG"], True, "符合条件", f"X-{sub.item.code}")
    staff_notices = Notification.objects.filter(user__isnull=False)
    assert list(staff_notices.values_list("event", "channel", "user__username")) == [
        ("services.case.results_ready", "in_app", "clerk")]


@pytest.mark.parametrize("phone", ["", "0994-1234567", "1380000"])
def test_no_sms_without_a_mobile_number(restaurant, staff, phone):
    clerk, _ = staff
    case = submit(restaurant, phone=phone)
    cases.accept(case, clerk, now=MONDAY)
    assert not Notification.objects.filter(channel="sms").exists()


def test_a_refusal_is_told_with_its_reason(restaurant, staff):
    clerk, _ = staff
    case = submit(restaurant)
    cases.refuse(case, clerk, "申请事项不属于本中心受理范围")
    [refused] = notices("services.case.refused")
    assert "不予受理" in refused.title and "不属于本中心受理范围" in refused.body


def test_a_rolled_back_move_tells_nobody(restaurant, staff):
    clerk, _ = staff
    case = submit(restaurant)
    with pytest.raises(Refused), transaction.atomic():
        cases.accept(case, clerk, now=MONDAY)  # accepted and its notice written in here, then rolled back
        raise Refused
    case.refresh_from_db()
    assert case.state == "submitted" and not notices("services.case.accepted")
    assert len(notices("services.case.submitted")) == 1
    cases.accept(case, clerk, now=MONDAY)
    assert len(notices("services.case.accepted")) == 1
