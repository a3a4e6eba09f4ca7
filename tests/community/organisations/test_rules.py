"""The 全要素 rule of a grid party organisation (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from changji.community.organisations.rules import (
    ACTIVITY,
    MEMBERS,
    MIN_MEMBERS,
    RULES,
    SECRETARY,
    VENUE,
    OrganisationFacts,
    is_complete,
    missing_elements,
    missing_labels,
)

TODAY = date(2026, 6, 30)
COMPLETE = OrganisationFacts(has_secretary=True, member_count=MIN_MEMBERS, venue="第一网格党群服务站",
                             rules_posted=True, last_activity_on=TODAY - timedelta(days=30))


def test_an_organisation_with_every_element_is_complete():
    assert missing_elements(COMPLETE, TODAY) == ()
    assert is_complete(COMPLETE, TODAY) is True


def test_each_missing_element_is_named_in_order():
    bare = OrganisationFacts(has_secretary=False, member_count=0, venue="  ", rules_posted=False,
                             last_activity_on=None)
    assert missing_elements(bare, TODAY) == (SECRETARY, MEMBERS, VENUE, RULES, ACTIVITY)
    assert missing_labels(missing_elements(bare, TODAY))[1] == f"党员不少于 {MIN_MEMBERS} 名"


def test_two_members_are_too_few():
    facts = OrganisationFacts(**{**COMPLETE.__dict__, "member_count": MIN_MEMBERS - 1})
    assert missing_elements(facts, TODAY) == (MEMBERS,)


def test_an_activity_counts_for_a_year_and_not_from_the_future():
    year_ago = OrganisationFacts(**{**COMPLETE.__dict__, "last_activity_on": TODAY - timedelta(days=365)})
    older = OrganisationFacts(**{**COMPLETE.__dict__, "last_activity_on": TODAY - timedelta(days=366)})
    future = OrganisationFacts(**{**COMPLETE.__dict__, "last_activity_on": TODAY + timedelta(days=1)})
    assert missing_elements(year_ago, TODAY) == ()
    assert missing_elements(older, TODAY) == (ACTIVITY,)
    assert missing_elements(future, TODAY) == (ACTIVITY,)
