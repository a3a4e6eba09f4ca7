"""What a 全要素 grid party organisation has (pure: no Django).

The five elements the county's 网格党建 standard asks of every grid party organisation: a secretary (书记或
组长), at least three party members (a branch needs three to be set up at all), a place to meet (活动阵地),
its rules on the wall (制度上墙) and an activity (组织生活) within the last year. ``missing_elements`` lists
the ones lacking, in that order; an organisation lacking none is 全要素.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: The fewest members of a 全要素 organisation (《中国共产党支部工作条例》: three full members found a branch).
MIN_MEMBERS = 3
#: How recent the last activity must be: within a year (365 days) of the day judged.
ACTIVITY_WITHIN = timedelta(days=365)

SECRETARY = "secretary"
MEMBERS = "members"
VENUE = "venue"
RULES = "rules"
ACTIVITY = "activity"

#: Each element with the words the pages show when it is missing.
ELEMENT_LABELS = {
    SECRETARY: "书记（组长）",
    MEMBERS: f"党员不少于 {MIN_MEMBERS} 名",
    VENUE: "活动阵地",
    RULES: "制度上墙",
    ACTIVITY: "一年内组织生活",
}


@dataclass(frozen=True)
class OrganisationFacts:
    """What is recorded of one organisation, as far as the elements go."""

    has_secretary: bool
    member_count: int
    venue: str
    rules_posted: bool
    last_activity_on: date | None


def missing_elements(facts: OrganisationFacts, today: date) -> tuple[str, ...]:
    """The elements ``facts`` lack on ``today`` (keys of ``ELEMENT_LABELS``, in their order); empty: 全要素.

    An activity dated after ``today`` does not count (a date typed wrong, not an activity held).
    """
    missing = []
    if not facts.has_secretary:
        missing.append(SECRETARY)
    if facts.member_count < MIN_MEMBERS:
        missing.append(MEMBERS)
    if not facts.venue.strip():
        missing.append(VENUE)
    if not facts.rules_posted:
        missing.append(RULES)
    last = facts.last_activity_on
    if last is None or not today - ACTIVITY_WITHIN <= last <= today:
        missing.append(ACTIVITY)
    return tuple(missing)


def is_complete(facts: OrganisationFacts, today: date) -> bool:
    """Whether the organisation is 全要素 on ``today``."""
    return not missing_elements(facts, today)


def missing_labels(missing: tuple[str, ...]) -> list[str]:
    """The words for ``missing`` elements, as the pages show them."""
    return [ELEMENT_LABELS[element] for element in missing]
