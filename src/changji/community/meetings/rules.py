"""The rules of a 四方联动 meeting (pure: no Django): quorum, plausible dates, what a decision needs.

Quorum is the four parties: the community party organisation (社区党组织), the residents' committee (居委会),
the owners' committee (业委会) and the property company (物业). A meeting without one of them may still be
recorded, but only with a written reason saying why the party was absent (a compound without an owners'
committee, a property company that did not come); the reason is kept with the meeting and shown on it.

Dates are checked against the clock of the caller, so a typo (year 1, 2206) is refused rather than stored:
a meeting is recorded within a year after it was held and not before it is held; a decision is due on or
after the meeting day; a decision is done on or after the meeting day and not after today.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: The four parties of quorum, by the meeting's field, with the name a page shows.
QUORUM_PARTIES: Mapping[str, str] = {
    "party_attendee": "社区党组织",
    "committee_attendee": "居委会",
    "owners_committee_attendee": "业委会",
    "property_attendee": "物业",
}

#: The shortest absence reason taken as saying why (four characters: "未成立业委会", "物业人员出差").
MIN_REASON_LENGTH = 4

#: How far back a meeting may be recorded (a typo such as year 1 is refused).
MEETING_PAST_LIMIT = timedelta(days=365)

#: How far ahead of the clock a meeting may be recorded (clock skew; minutes are written after a meeting).
MEETING_FUTURE_LIMIT = timedelta(days=1)

#: The years a due or done date of a decision may fall in.
DAY_YEARS = (2000, 2100)


def missing_parties(attendees: Mapping[str, str]) -> list[str]:
    """The names of the quorum parties with no attendee in ``attendees`` (field → who came), in order."""
    return [label for key, label in QUORUM_PARTIES.items() if not (attendees.get(key) or "").strip()]


def quorum_problem(attendees: Mapping[str, str], absence_reason: str) -> str | None:
    """Why the meeting lacks quorum, or None: all four parties came, or the reason says why one did not."""
    missing = missing_parties(attendees)
    if not missing:
        return None
    reason = (absence_reason or "").strip()
    if not reason:
        return f"四方联动须四方到会：{'、'.join(missing)}未到会，请填写缺席说明"
    if len(reason) < MIN_REASON_LENGTH:
        return f"缺席说明须写明{'、'.join(missing)}缺席的原因（至少 {MIN_REASON_LENGTH} 个字）"
    return None


def quorum_note(attendees: Mapping[str, str], absence_reason: str) -> str:
    """What a page says about quorum: 四方到齐, or who was absent and why."""
    missing = missing_parties(attendees)
    if not missing:
        return "四方到齐"
    return f"{'、'.join(missing)}缺席：{(absence_reason or '').strip() or '未说明'}"


def plausible_day(day: date) -> bool:
    """Whether ``day`` is a believable date for a decision (years ``DAY_YEARS``)."""
    return DAY_YEARS[0] <= day.year <= DAY_YEARS[1]


def held_at_problem(held_at: object, now: datetime) -> str | None:
    """Why ``held_at`` is no meeting time to record at ``now``, or None (within the past year, not ahead)."""
    if not isinstance(held_at, datetime) or held_at.tzinfo is None:
        return "请填写会议时间"
    if not now - MEETING_PAST_LIMIT <= held_at <= now + MEETING_FUTURE_LIMIT:
        return "会议时间须在一年以内，且不能晚于现在"
    return None


def decision_problem(description: str, owner: str, due_on: object, held_on: date) -> str | None:
    """Why a decision (事项, 责任方, 完成期限) of a meeting held on ``held_on`` cannot be recorded, or None."""
    if not (description or "").strip():
        return "议定事项须写明事项"
    if len(description.strip()) > 255:
        return "议定事项不能超过 255 个字"
    if not (owner or "").strip():
        return "议定事项须写明责任方"
    if len(owner.strip()) > 64:
        return "责任方不能超过 64 个字"
    if not isinstance(due_on, date) or isinstance(due_on, datetime):
        return "议定事项须有完成期限"
    if not plausible_day(due_on):
        return f"完成期限须在 {DAY_YEARS[0]}–{DAY_YEARS[1]} 年之间"
    if due_on < held_on:
        return "完成期限不能早于会议日期"
    return None


def done_on_problem(done_on: object, held_on: date, today: date) -> str | None:
    """Why ``done_on`` is no completion date of a decision of a meeting held on ``held_on``, or None."""
    if not isinstance(done_on, date) or isinstance(done_on, datetime):
        return "请填写完成日期"
    if not plausible_day(done_on):
        return f"完成日期须在 {DAY_YEARS[0]}–{DAY_YEARS[1]} 年之间"
    if done_on < held_on:
        return "完成日期不能早于会议日期"
    if done_on > today:
        return "完成日期不能晚于今天"
    return None


def is_overdue(due_on: date, done_on: date | None, today: date) -> bool:
    """Whether a decision is overdue on ``today``: not done and its due day has passed."""
    return done_on is None and due_on < today
