"""前台综合受理: a walk-in application filed by the window clerk, its materials, delivery, visits and receipt."""

from __future__ import annotations

import pytest

from changji.core.models import AuditEntry
from changji.services import cases, intake, receipt
from changji.services.cases import Applicant, CaseError
from changji.services.models import Case, CaseEvent, Material
from tests.services.repair_shop import MA_WENJIE, walk_in_answers, walk_in_materials
from tests.services.test_certificate import content_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _file(repair_shop, clerk, *, seen_all=False, skip=(), accept_now=True, delivery=None, answers=None):
    answers = answers or walk_in_answers(repair_shop)
    materials = [m.code for m in walk_in_materials(repair_shop, answers) if m.code not in skip]
    seen = set(materials) if seen_all else {materials[0]}
    scans = {code: (f"{code}.pdf", b"%PDF-1.4 " + code.encode()) for code in materials if code not in seen}
    return intake.file_at_window(repair_shop, Applicant("person", *MA_WENJIE), answers, scans, seen,
                                 delivery or intake.Delivery(), clerk, accept_now=accept_now)


def test_a_walk_in_case_is_filed_at_the_window_and_accepted_in_the_same_step(repair_shop, window_clerk):
    case = _file(repair_shop, window_clerk)
    assert (case.channel, case.state, case.visits) == ("window", "accepted", 1)
    assert case.window.number == 3 and case.identity_checked_at is not None
    assert case.applicant_identifier == MA_WENJIE[1]
    filed = CaseEvent.objects.get(case=case, sub_case=None, to_state="submitted")
    assert filed.in_person and filed.by_name == "wx-clerk"
    original = Material.objects.get(case=case, seen_in_original=True)
    assert not original.file and original.checked_by_name == "wx-clerk" and original.item_codes
    assert case.materials.exclude(file="").count() == case.materials.count() - 1
    assert case.sub_cases.count() == 2


def test_originals_seen_count_as_supplied(repair_shop, window_clerk):
    case = _file(repair_shop, window_clerk, seen_all=True)
    assert case.state == "accepted" and not case.materials.exclude(file="").exists()


def test_an_incomplete_walk_in_case_waits_for_correction(repair_shop, window_clerk):
    answers = walk_in_answers(repair_shop)
    last = walk_in_materials(repair_shop, answers)[-1]
    case = _file(repair_shop, window_clerk, skip={last.code})
    assert case.state == "submitted" and cases.missing_for(case) == [f"材料：{last.name}"]


def test_hidden_answers_and_materials_are_ignored(repair_shop, window_clerk):
    """The lease is asked only for rented premises: with 自有 its answer and its upload are dropped."""
    answers = {**walk_in_answers(repair_shop), "premises": "自有"}
    case = _file(repair_shop, window_clerk, answers=answers)
    assert "lease_years" not in case.form_data and case.form_data["premises"] == "自有"
    assert not case.materials.filter(code="wx_lease").exists() and case.state == "accepted"


def test_a_wrong_identifier_is_refused_and_nothing_is_stored(repair_shop, window_clerk):
    before = (Case.objects.count(), AuditEntry.objects.count())
    with pytest.raises(CaseError) as error:
        intake.file_at_window(repair_shop, Applicant("person", "马文杰", "652302198506120518"),
                              walk_in_answers(repair_shop), {}, set(), intake.Delivery(), window_clerk)
    assert error.value.field == "applicant_identifier" and "校验" in error.value.message
    assert (Case.objects.count(), AuditEntry.objects.count()) == before


def test_postal_delivery_needs_an_address_and_a_recipient(repair_shop, window_clerk):
    with pytest.raises(CaseError) as error:
        _file(repair_shop, window_clerk, delivery=intake.Delivery("postal", "", "马文杰"))
    assert error.value.field == "postal_address"
    case = _file(repair_shop, window_clerk, delivery=intake.Delivery("postal", "阜康市博峰街 8 号", "马文杰"))
    assert (case.delivery_method, case.postal_recipient) == ("postal", "马文杰")


def test_a_correction_at_the_window_another_day_is_a_second_visit(repair_shop, window_clerk):
    answers = walk_in_answers(repair_shop)
    last = walk_in_materials(repair_shop, answers)[-1]
    case = _file(repair_shop, window_clerk, skip={last.code})
    cases.request_correction(case, window_clerk, cases.missing_for(case))
    CaseEvent.objects.filter(case=case).update(at="2026-01-05T02:00:00Z")  # filed on an earlier day
    cases.resubmit(case, {}, {last.code: ("x.pdf", b"%PDF x")}, window_clerk, in_person=True)
    case.refresh_from_db()
    assert case.visits == 2 and case.events.filter(in_person=True).count() == 2


def test_receipt_pdf_carries_numbers_items_and_materials(repair_shop, window_clerk):
    case = _file(repair_shop, window_clerk)
    from changji.services.web.intake import _receipt_data

    data = _receipt_data(case)
    pdf = receipt.render_receipt(data)
    assert pdf.startswith(b"%PDF-") and receipt.render_receipt(data) == pdf  # deterministic
    text = content_text(pdf)
    for expected in (case.receipt_number, case.query_code, repair_shop.name, "原件已核验", "扫描件", "窗口领取",
                     "当场办结", "3号窗口", "受理回执"):
        assert expected in text, expected
    assert MA_WENJIE[1] not in text  # a resident ID is printed masked
