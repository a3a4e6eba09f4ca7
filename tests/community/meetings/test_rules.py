"""The pure rules of a 四方联动 meeting: quorum of the four parties or a reason, dates, decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from changji.community.meetings import rules

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
FOUR = {"party_attendee": "王书记", "committee_attendee": "刘主任", "owners_committee_attendee": "赵主任",
        "property_attendee": "李经理"}


def test_quorum_is_the_four_parties_or_a_reason_saying_why():
    assert rules.quorum_problem(FOUR, "") is None
    three = {**FOUR, "property_attendee": "  "}
    problem = rules.quorum_problem(three, "")
    assert problem is not None and "物业" in problem
    assert rules.quorum_problem(three, "无") is not None  # too short to say why
    assert rules.quorum_problem(three, "天山物业经理外出培训，书面意见已提交") is None
    assert rules.missing_parties({}) == ["社区党组织", "居委会", "业委会", "物业"]
    assert rules.quorum_note(FOUR, "") == "四方到齐"
    assert rules.quorum_note(three, "物业外出培训") == "物业缺席：物业外出培训"


def test_meeting_times_within_the_past_year_and_not_ahead():
    assert rules.held_at_problem(NOW - timedelta(days=364), NOW) is None
    assert rules.held_at_problem(NOW + timedelta(hours=2), NOW) is None  # clock skew
    for bad in (NOW - timedelta(days=366), NOW + timedelta(days=2), datetime(1, 1, 1, tzinfo=UTC),
                datetime(2026, 3, 1, 10, 0), "2026-03-01"):
        assert rules.held_at_problem(bad, NOW) is not None, bad


def test_a_decision_needs_what_who_and_a_due_day_on_or_after_the_meeting():
    held = date(2026, 3, 2)
    assert rules.decision_problem("修门禁", "天山物业", date(2026, 3, 9), held) is None
    assert rules.decision_problem("修门禁", "天山物业", held, held) is None
    assert "事项" in rules.decision_problem(" ", "天山物业", date(2026, 3, 9), held)
    assert "责任方" in rules.decision_problem("修门禁", "", date(2026, 3, 9), held)
    assert "期限" in rules.decision_problem("修门禁", "天山物业", None, held)
    assert "早于" in rules.decision_problem("修门禁", "天山物业", date(2026, 3, 1), held)
    assert "2000" in rules.decision_problem("修门禁", "天山物业", date(2101, 1, 1), held)
    assert rules.decision_problem("修" * 256, "天山物业", date(2026, 3, 9), held) is not None


def test_done_days_and_overdue():
    held, today = date(2026, 3, 2), date(2026, 3, 10)
    assert rules.done_on_problem(date(2026, 3, 10), held, today) is None
    assert rules.done_on_problem(date(2026, 3, 1), held, today) is not None
    assert rules.done_on_problem(date(2026, 3, 11), held, today) is not None
    assert rules.done_on_problem(date(1, 1, 1), held, today) is not None
    assert rules.is_overdue(date(2026, 3, 9), None, today)
    assert not rules.is_overdue(date(2026, 3, 10), None, today)
    assert not rules.is_overdue(date(2026, 3, 9), date(2026, 3, 9), today)
