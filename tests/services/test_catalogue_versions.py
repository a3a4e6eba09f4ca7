"""Bundle versions (draft copy, publish retires the old, running cases keep theirs) and sub-case extension."""

from __future__ import annotations

from datetime import date

import pytest

from changji.core.models import AuditEntry
from changji.services import cases
from changji.services.cases import Applicant, CaseError
from changji.services.catalogue import BUNDLE_MOVES, CatalogueError, new_version, publish, withdraw
from changji.services.models import Bundle, BundleStatus, SubCase
from tests.services.test_cases import ANSWERS, MATERIALS, MONDAY, USCC

pytestmark = pytest.mark.django_db


def test_a_new_version_is_a_draft_copy_and_publishing_retires_the_old(restaurant, staff):
    clerk, _ = staff
    seeded = AuditEntry.objects.filter(action__startswith="services.bundle.").count()  # the demo's own versions
    running = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "window", ANSWERS, MATERIALS,
                           by=clerk, now=MONDAY)
    draft = new_version(restaurant, "admin")
    assert (draft.version, draft.status) == (2, BundleStatus.DRAFT)
    assert list(draft.bundle_items.values_list("item__code", "condition")) == list(
        restaurant.bundle_items.values_list("item__code", "condition"))
    with pytest.raises(CatalogueError):
        new_version(restaurant, "admin")  # one draft at a time
    with pytest.raises(CaseError):
        cases.submit(draft, Applicant("enterprise", "某公司", USCC), "window", ANSWERS, MATERIALS, by=clerk)
    publish(draft, "admin")
    restaurant.refresh_from_db()
    assert restaurant.status == BundleStatus.WITHDRAWN
    running.refresh_from_db()
    assert running.bundle_id == restaurant.pk  # the running case keeps its version
    subs = cases.accept(running, clerk, now=MONDAY)
    assert len(subs) == 3
    withdraw(draft, "admin")
    with pytest.raises(CatalogueError):
        publish(draft, "admin")
    assert AuditEntry.objects.filter(action__startswith="services.bundle.").count() == seeded + 4
    assert BUNDLE_MOVES[BundleStatus.WITHDRAWN] == frozenset()
    assert Bundle.objects.filter(code="YJS-CY").count() == 2


def test_extension_moves_both_ends_and_needs_a_reason(restaurant, staff):
    clerk, reviewers = staff
    case = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "window", ANSWERS, MATERIALS, by=clerk,
                        now=MONDAY)
    cases.accept(case, clerk, now=MONDAY)
    sign = SubCase.objects.get(case=case, item__code="CGJ-001")
    assert sign.due_on == date(2026, 3, 9)
    with pytest.raises(CaseError) as error:
        cases.extend(sign, reviewers["CGJ"], 5, " ")
    assert error.value.field == "reason"
    with pytest.raises(CaseError) as error:
        cases.extend(sign, reviewers["CGJ"], 11, "局长批准")
    assert error.value.field == "days"
    cases.extend(sign, reviewers["CGJ"], 5, "需现场勘验，局长批准")
    sign.refresh_from_db()
    # legal end Mar 30 + 5 working days: Mar 31, Apr 1, 2, 3, then 清明 (Apr 4–6 off), Apr 7
    assert (sign.due_on, sign.legal_due_on) == (date(2026, 3, 16), date(2026, 4, 7))
    assert AuditEntry.objects.filter(action="services.sub_case.extended").count() == 1
    with pytest.raises(CaseError):
        cases.extend(sign, reviewers["SCJG"], 1, "越权")  # another department's sub-case
