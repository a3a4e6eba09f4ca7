"""Results reach the applicant the way they chose: window pickup, postal delivery, e-licence (``services.delivery``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from changji.core.models import AuditEntry
from changji.services import cases, delivery
from changji.services.cases import Applicant, CaseError
from changji.services.delivery import DeliveryError
from changji.services.models import Case, CaseEvent, ELicence, SubCase
from tests.services.test_cases import ANSWERS_NO_SIGN as ANSWERS
from tests.services.test_cases import MATERIALS_NO_SIGN as MATERIALS
from tests.services.test_cases import MONDAY, USCC

pytestmark = pytest.mark.django_db

POSTAL = delivery.choose("postal", "阜康市天池街 1 号老王面馆", "王某")


def results_ready(restaurant, staff, choice=delivery.WINDOW_PICKUP, refuse_food=False) -> Case:
    """A restaurant case (licence + food licence) decided by the market regulator, waiting at the window."""
    clerk, reviewers = staff
    case = cases.submit(restaurant, Applicant("enterprise", "阜康市老王餐饮有限公司", USCC, "13800000000"), "online",
                        ANSWERS, MATERIALS, by="applicant", now=MONDAY, delivery_choice=choice)
    for sub in cases.accept(case, clerk, now=MONDAY):
        cases.claim(sub, reviewers["SCJG"])
        approve = not (refuse_food and sub.item.code == "SCJG-002")
        cases.decide(sub, reviewers["SCJG"], approve, "符合条件" if approve else "场所不符合要求",
                     f"{sub.item.code}-{case.receipt_number}" if approve else "", date(2031, 3, 1))
    case.refresh_from_db()
    assert case.state == "results_ready"
    return case


@pytest.mark.parametrize("method, address, recipient, field", [
    ("pigeon", "", "", "delivery_method"),
    ("postal", "", "王某", "postal_address"),
    ("postal", "阜康市天池街 1 号", " ", "postal_recipient"),
])
def test_a_postal_choice_needs_an_address_and_a_recipient(method, address, recipient, field):
    with pytest.raises(DeliveryError) as error:
        delivery.choose(method, address, recipient)
    assert error.value.field == field


def test_only_postal_delivery_keeps_an_address():
    assert delivery.choose("e_licence", "某地址", "某人") == delivery.Choice("e_licence")
    assert POSTAL == delivery.Choice("postal", "阜康市天池街 1 号老王面馆", "王某")


def test_window_pickup_is_an_in_person_step_and_every_granted_item_gets_an_e_licence(restaurant, staff):
    clerk, _ = staff
    case = results_ready(restaurant, staff)
    with pytest.raises(CaseError) as error:
        cases.issue(case, clerk, handed_to=" ")
    assert error.value.field == "handed_to" and not ELicence.objects.exists()
    cases.issue(case, clerk, handed_to="王某", now=datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    case.refresh_from_db()
    assert (case.state, case.handed_to, case.visits) == ("issued", "王某", 1)
    event = CaseEvent.objects.get(case=case, to_state="issued")
    assert event.in_person and "领取人：王某" in event.note
    licences = ELicence.objects.order_by("sub_case__item__code")
    assert [(e.number, e.department.code, e.holder_name, e.issued_on, e.valid_until, e.status) for e in licences] == [
        (f"SCJG-001-{case.receipt_number}", "652302-SCJG", "阜康市老王餐饮有限公司", date(2026, 3, 10),
         date(2031, 3, 1), "valid"),
        (f"SCJG-002-{case.receipt_number}", "652302-SCJG", "阜康市老王餐饮有限公司", date(2026, 3, 10),
         date(2031, 3, 1), "valid"),
    ]


def test_postal_delivery_needs_the_tracking_number_and_records_it(restaurant, staff):
    clerk, _ = staff
    case = results_ready(restaurant, staff, POSTAL)
    for bad in ("", "SF12", "顺丰1234567890", "SF1234567890<script>"):
        with pytest.raises(CaseError) as error:
            cases.issue(case, clerk, tracking_number=bad)
        assert error.value.field == "tracking_number"
    case.refresh_from_db()
    assert (case.state, case.postal_tracking_number) == ("results_ready", "")
    cases.issue(case, clerk, tracking_number=" SF1234567890 ")
    case.refresh_from_db()
    assert (case.state, case.handed_to, case.postal_tracking_number, case.visits) == (
        "issued", "邮寄：王某", "SF1234567890", 0)
    assert not CaseEvent.objects.get(case=case, to_state="issued").in_person
    assert ELicence.objects.filter(sub_case__case=case).count() == 2  # whatever the method


def test_an_e_licence_needs_no_pickup_and_a_refused_item_gets_none(restaurant, staff):
    clerk, _ = staff
    case = results_ready(restaurant, staff, delivery.choose("e_licence"), refuse_food=True)
    cases.issue(case, clerk)
    case.refresh_from_db()
    assert (case.state, case.outcome, case.handed_to) == ("issued", "partial", "")
    assert list(ELicence.objects.values_list("sub_case__item__code", flat=True)) == ["SCJG-001"]


def test_a_revoking_verification_revokes_the_e_licence(restaurant, staff):
    clerk, reviewers = staff
    case = cases.submit(restaurant, Applicant("enterprise", "阜康市老王餐饮有限公司", USCC), "online", ANSWERS,
                        MATERIALS, by="applicant", now=MONDAY)
    cases.accept(case, clerk, now=MONDAY)
    licence, food = (SubCase.objects.get(case=case, item__code=code) for code in ("SCJG-001", "SCJG-002"))
    cases.claim(licence, reviewers["SCJG"])
    cases.decide(licence, reviewers["SCJG"], True, "符合条件", "L-1")
    cases.commit(food, "applicant", "本人承诺符合条件")
    cases.record_licence(food, reviewers["SCJG"], "JY-1", date(2031, 1, 1))
    case.refresh_from_db()
    cases.issue(case, clerk, handed_to="王某")
    cases.verify(food, reviewers["SCJG"], "revoked", "现场核查不符合承诺")
    assert dict(ELicence.objects.values_list("number", "status")) == {"L-1": "valid", "JY-1": "revoked"}
    entry = AuditEntry.objects.get(action="services.e_licence.revoked")
    assert entry.detail["licence_number"] == "JY-1"


def test_a_licence_number_already_on_record_in_the_department_is_refused(restaurant, staff):
    clerk, reviewers = staff
    first = results_ready(restaurant, staff)
    cases.issue(first, clerk, handed_to="王某")
    taken = ELicence.objects.first().number
    second = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "window", ANSWERS, MATERIALS,
                          by=clerk, now=MONDAY)
    sub = cases.accept(second, clerk, now=MONDAY)[0]
    cases.claim(sub, reviewers["SCJG"])
    with pytest.raises(CaseError) as error:
        cases.decide(sub, reviewers["SCJG"], True, "符合条件", taken)
    assert error.value.field == "licence_number" and "已在本部门" in error.value.message
    sub.refresh_from_db()
    assert (sub.state, sub.licence_number) == ("claimed", "")


@pytest.mark.parametrize("name, enterprise, shown", [
    ("王小明", False, "王**"), ("李四", False, "李*"), ("阜康市老王餐饮有限公司", True, "阜康*****有限公司"),
    ("某某公司", True, "某***"), ("", True, ""),
])
def test_the_public_page_shows_a_masked_holder(name, enterprise, shown):
    assert delivery.mask_holder(name, enterprise) == shown
