"""Grid party organisations: created in scope, grids of their own community only, coverage per community."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from changji.community.models import GridPartyOrganisation, PartyMember
from changji.community.organisations import party
from changji.community.organisations.errors import OrganisationError
from changji.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


def _members(community, n: int) -> list[PartyMember]:
    return [PartyMember.objects.create(region=community, name=f"党员{i}", registered_on=TODAY) for i in range(n)]


def test_coverage_counts_grids_organisations_and_complete_ones(community_world):
    """The fixture's grids each have a branch named at creation: all covered, none complete (nothing recorded)."""
    w = community_world
    east = {c.code: c for c in party.coverage(w.users.street, TODAY)}["652328100001"]
    assert (east.grids, east.covered_grids, east.organisations, east.complete) == (2, 2, 2, 0)
    # The second grid loses its branch; the first branch gets every element.
    GridPartyOrganisation.objects.get(name="东城社区第二网格党支部").grids.clear()
    first = GridPartyOrganisation.objects.get(name="东城社区第一网格党支部")
    members = _members(w.east, 3)
    party.update_organisation(first, w.users.east, secretary=members[0], venue="党群服务站", rules_posted=True,
                              last_activity_on=TODAY - timedelta(days=10), founded_on=TODAY - timedelta(days=400))
    party.set_members(first, w.users.east, members)
    coverage = {c.code: c for c in party.coverage(w.users.street, TODAY)}
    assert (coverage["652328100001"].grids, coverage["652328100001"].covered_grids,
            coverage["652328100001"].organisations, coverage["652328100001"].complete) == (2, 1, 2, 1)
    assert (coverage["652328100002"].grids, coverage["652328100002"].covered_grids) == (1, 1)


def test_coverage_is_limited_to_the_users_community(community_world):
    codes = [c.code for c in party.coverage(community_world.users.east, TODAY)]
    assert codes == ["652328100001"]


def test_an_organisation_covers_grids_of_its_own_community_only(community_world):
    w = community_world
    organisation = party.create_organisation(w.east, w.users.east, name="东城联合党支部", founded_on=TODAY)
    with pytest.raises(OrganisationError, match="不属于东城社区") as refused:
        party.set_grids(organisation, w.users.east, [w.grid_a, w.grid_c])
    assert refused.value.field == "grids"
    assert list(organisation.grids.all()) == []
    party.set_grids(organisation, w.users.east, [w.grid_a, w.grid_b])
    assert sorted(g.region_id for g in organisation.grids.all()) == [w.grid_a.region_id, w.grid_b.region_id]
    assert AuditEntry.objects.filter(action="community.party_organisation.grids").count() == 1


def test_members_must_be_registered_with_the_community(community_world):
    w = community_world
    organisation = party.create_organisation(w.east, w.users.east, name="东城联合党支部", founded_on=TODAY)
    outsider = PartyMember.objects.create(region=w.west, name="西城党员", registered_on=TODAY)
    with pytest.raises(OrganisationError, match="未在东城社区报到"):
        party.set_members(organisation, w.users.east, [outsider])


def test_an_organisation_outside_the_scope_or_not_in_a_community_is_refused(community_world):
    w = community_world
    with pytest.raises(OrganisationError, match="不在您的管辖范围内"):
        party.create_organisation(w.west, w.users.east, name="西城党支部", founded_on=TODAY)
    with pytest.raises(OrganisationError, match="不是社区"):
        party.create_organisation(w.town, w.users.street, name="镇党支部", founded_on=TODAY)
    with pytest.raises(OrganisationError) as duplicate:
        party.create_organisation(w.east, w.users.east, name="东城社区第一网格党支部", founded_on=TODAY)
    assert duplicate.value.field == "name"
    assert not GridPartyOrganisation.objects.filter(name__in=["西城党支部", "镇党支部"]).exists()


def test_missing_of_reads_the_member_count(community_world):
    w = community_world
    organisation = party.create_organisation(
        w.east, w.users.east, name="东城全要素党支部", founded_on=TODAY - timedelta(days=100), venue="活动室",
        secretary_name="王书记", rules_posted=True, last_activity_on=timezone.localdate())
    assert party.missing_of(organisation, timezone.localdate()) == ("members",)
    party.set_members(organisation, w.users.east, _members(w.east, 3))
    assert party.missing_of(organisation, timezone.localdate()) == ()
