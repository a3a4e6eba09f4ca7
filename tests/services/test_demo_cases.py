"""Demo case history: about 600 cases of 阜康市 over six months, marked as demo, idempotent, figures non-empty."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from changji.core.models import Region
from changji.services import workdays
from changji.services.catalogue import current_bundles
from changji.services.demo_cases import APPLICANTS, DEMO_NOTE, seed_demo_cases
from changji.services.models import Case, CaseEvent, DepartmentRating, Item, SubCase
from changji.services.statistics import case_statistics

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


@pytest.fixture
def instant_item(restaurant):
    """营业执照 made 即办 in a new version of 开办房屋租赁中介一件事 (the base catalogue has no 即办 item)."""
    from changji.services.catalogue import new_version, publish
    from changji.services.models import Bundle

    Item.objects.filter(code="SCJG-001").update(instant=True)
    publish(new_version(Bundle.objects.get(code="YJS-ZL", version=1), "admin"), "admin")


def test_six_months_of_marked_cases_with_figures(restaurant, instant_item):
    today = workdays.today_in_shanghai()  # the 即办 version is effective from today
    assert seed_demo_cases(today) == 600
    cases = Case.objects.filter(region_id="652302")
    assert cases.count() == 600 and set(cases.values_list("applicant_name", flat=True)) <= set(APPLICANTS)
    assert CaseEvent.objects.filter(note=DEMO_NOTE).count() == 600
    filed_on = {c.bundle_id for c in cases}
    assert filed_on <= set(current_bundles(today).values_list("pk", flat=True))  # the current versions only
    assert len(filed_on) > 20  # spread over the demo catalogue's bundles
    stats = case_statistics(Region.objects.get(code="652302"), today - timedelta(days=182), today, today=today)
    total = stats["total"]
    window, online = stats["channels"]
    assert window["cases"] > 200 and online["cases"] > 150
    assert 0.7 < total["within_share"] < 1 and total["instant"] > 0 and 0 < total["instant_case_share"] < 1
    assert 1 <= window["visits_avg"] < 1.3 and online["visits_avg"] < 1
    assert total["open"] > 0 and total["overdue"] > 0 and total["rated"] > 100
    assert stats["department_ratings"] and stats["rating_reasons"]
    assert all(row["cases"] for row in stats["bundles"])
    assert SubCase.objects.filter(decided_at_window=True, case__channel="online").count() == 0
    assert DepartmentRating.objects.count() >= total["rated"]
    events = CaseEvent.objects.filter(note=DEMO_NOTE).select_related("case")[:20]
    assert all(e.at == e.case.submitted_at for e in events)


def test_idempotent_and_clear_of_real_receipt_numbers(restaurant):
    assert seed_demo_cases(TODAY) == 600
    assert seed_demo_cases(TODAY) == 0
    assert Case.objects.count() == 600


def test_nothing_without_a_catalogue(db):
    assert seed_demo_cases(TODAY) == 0
