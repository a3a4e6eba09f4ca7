"""The periodic jobs: stale claims go back to the department inbox; open sub-cases near their due day are listed.

The case is accepted on Mon 16 Mar 2026 (no holiday that month): SCJG-001 (promised 1 working day) is due Tue 17,
SCJG-002 (promised 5) Mon 23 Mar; yellow means at most max(1, limit // 5) = 1 working day left, red none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.core.models import AuditEntry
from changji.services import cases, jobs
from changji.services.cases import Applicant
from changji.services.models import CaseEvent, Department, SubCase

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"
ANSWERS = {"business_name": "老王面馆", "address": "阜康市天池街 1 号", "legal_person": "王某",
           "registered_capital": 10, "food_category": "热食类", "outdoor_sign": False}
MATERIALS = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in
             ("id", "lease", "articles", "layout", "food_safety")}
ACCEPTED = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # Mon 16 Mar, 10:00 in Shanghai




@pytest.fixture
def staff(make_user):
    clerk = make_user("clerk", "652302", role="window_clerk")
    reviewer = make_user("reviewer-SCJG", "652302", role="department_reviewer")
    colleague = make_user("reviewer-SCJG-2", "652302", role="department_reviewer")
    Department.objects.get(code="652302-SCJG").reviewers.add(reviewer, colleague)
    return clerk, reviewer, colleague


@pytest.fixture
def accepted(restaurant, staff):
    clerk = staff[0]
    case = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "window", ANSWERS, MATERIALS, by=clerk,
                        now=ACCEPTED)
    cases.accept(case, clerk, now=ACCEPTED)
    return case, SubCase.objects.get(case=case, item__code="SCJG-001"), SubCase.objects.get(case=case,
                                                                                          item__code="SCJG-002")


def test_a_claim_older_than_a_day_goes_back_to_the_inbox(accepted, staff):
    _, reviewer, colleague = staff
    case, licence, food = accepted
    cases.claim(licence, reviewer, now=ACCEPTED)
    cases.claim(food, reviewer, now=ACCEPTED + timedelta(hours=2))
    assert jobs.release_stale_claims(ACCEPTED + timedelta(hours=24)) == 0  # exactly a day: not yet
    assert jobs.release_stale_claims(ACCEPTED + timedelta(hours=25)) == 1
    licence.refresh_from_db()
    food.refresh_from_db()
    assert (licence.state, licence.assignee, licence.claimed_at) == ("pending", None, None)
    assert (food.state, food.assignee_id) == ("claimed", reviewer.pk)  # claimed 23 hours ago
    event = CaseEvent.objects.filter(sub_case=licence).last()
    assert (event.from_state, event.to_state, event.by_name, event.note) == \
        ("claimed", "pending", "system", jobs.STALE_CLAIM_NOTE)
    assert AuditEntry.objects.filter(action="services.sub_case.pending", reason=jobs.STALE_CLAIM_NOTE).count() == 1
    cases.claim(licence, colleague)  # reassigned: anyone in the department may take it now
    assert jobs.release_stale_claims(ACCEPTED + timedelta(hours=25)) == 0  # claimed just now (real clock)


def test_a_shorter_limit_and_decided_sub_cases_are_left_alone(accepted, staff):
    _, reviewer, _ = staff
    case, licence, food = accepted
    cases.claim(licence, reviewer, now=ACCEPTED)
    cases.decide(licence, reviewer, True, "符合条件", "L-1")
    cases.claim(food, reviewer, now=ACCEPTED)
    assert jobs.release_stale_claims(ACCEPTED + timedelta(hours=3), after=timedelta(hours=2)) == 1
    licence.refresh_from_db()
    food.refresh_from_db()
    assert (licence.state, food.state) == ("approved", "pending")


@pytest.mark.parametrize("today, expected", [
    (date(2026, 3, 16), [("SCJG-001", "yellow", 1)]),
    (date(2026, 3, 17), [("SCJG-001", "red", 0)]),
    (date(2026, 3, 19), [("SCJG-001", "red", -2)]),
    (date(2026, 3, 20), [("SCJG-001", "red", -3), ("SCJG-002", "yellow", 1)]),
    (date(2026, 3, 23), [("SCJG-001", "red", -4), ("SCJG-002", "red", 0)]),
])
def test_open_sub_cases_near_or_past_their_due_day_are_warned(accepted, today, expected):
    events = CaseEvent.objects.count()
    warnings = jobs.overdue_warnings(today)
    assert [(w.sub_case.item.code, w.level, w.remaining_days) for w in warnings] == expected
    assert all(w.due_on == w.sub_case.due_on for w in warnings)
    assert CaseEvent.objects.count() == events  # no writes


def test_decided_sub_cases_and_cases_not_yet_accepted_are_not_warned(accepted, staff, restaurant):
    clerk, reviewer, _ = staff
    case, licence, food = accepted
    cases.claim(licence, reviewer, now=ACCEPTED)
    cases.decide(licence, reviewer, True, "符合条件", "L-1")
    cases.submit(restaurant, Applicant("enterprise", "另一公司", USCC), "online", ANSWERS, MATERIALS, by="applicant",
                 now=ACCEPTED)
    assert [(w.sub_case.pk, w.level) for w in jobs.overdue_warnings(date(2026, 3, 23))] == [(food.pk, "red")]


def test_the_runner_releases_stale_claims_every_minute_and_warns_of_deadlines_daily(accepted, staff, caplog):
    from changji.core.jobs import Runner

    _, reviewer, _ = staff
    case, licence, food = accepted
    cases.claim(licence, reviewer, now=ACCEPTED)
    runner = Runner(names=["services.claims.release", "services.deadlines.warn"])
    at = ACCEPTED + timedelta(hours=25)  # Tue 17 Mar, 11:00 in Shanghai: SCJG-001 is due today (red)
    outcomes = {outcome.job: outcome for outcome in runner.run_due(at)}
    assert outcomes["services.claims.release"].result == {"released": 1}
    assert outcomes["services.deadlines.warn"].result == {"yellow": 0, "red": 1}
    assert f"({case.receipt_number}) is red" in caplog.text
    licence.refresh_from_db()
    assert licence.state == "pending"
    assert runner.run_due(at) == []  # each period once
    assert [o.job for o in runner.run_due(at + timedelta(minutes=1))] == ["services.claims.release"]


def test_the_claim_timeout_is_a_setting(accepted, staff, settings):
    _, reviewer, _ = staff
    _, licence, _ = accepted
    cases.claim(licence, reviewer, now=ACCEPTED)
    settings.SERVICES_CLAIM_TIMEOUT_HOURS = 2
    assert jobs.release_claims(ACCEPTED + timedelta(hours=3)) == {"released": 1}
