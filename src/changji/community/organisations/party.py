"""Grid party organisations (网格党组织): kept, given their grids and members, and counted per community.

An organisation belongs to a community and covers grids of that community only; its members are party
members registered with that community (双报到). Every change is audited (``community.party_organisation.*``)
and checked against the actor's scope; ``coverage`` gives the dashboard's figures in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from changji.community.models import Grid, GridPartyOrganisation, PartyMember, PartyOrganisationKind
from changji.community.organisations.errors import OrganisationError
from changji.community.organisations.rules import OrganisationFacts, is_complete, missing_elements
from changji.core import audit
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset, user_can_access_region

#: The fields an organisation's form edits (besides its grids and members).
EDITABLE = ("name", "kind", "secretary", "secretary_name", "venue", "rules_posted", "last_activity_on",
            "founded_on")


@dataclass(frozen=True)
class CommunityCoverage:
    """One community's figures: its grids, those covered by an organisation, its organisations, the 全要素 ones."""

    code: str
    name: str
    grids: int = 0
    covered_grids: int = 0
    organisations: int = 0
    complete: int = 0


def with_member_counts(queryset: QuerySet[GridPartyOrganisation]) -> QuerySet[GridPartyOrganisation]:
    """``queryset`` with ``member_count`` (one grouped query, not one per organisation)."""
    return queryset.annotate(member_count=Count("members", distinct=True))


def facts_of(organisation: GridPartyOrganisation) -> OrganisationFacts:
    """What ``rules`` judges of ``organisation`` (``member_count`` annotated, or counted here)."""
    count = getattr(organisation, "member_count", None)
    return OrganisationFacts(
        has_secretary=organisation.secretary_id is not None or bool(organisation.secretary_name.strip()),
        member_count=organisation.members.count() if count is None else count, venue=organisation.venue,
        rules_posted=organisation.rules_posted, last_activity_on=organisation.last_activity_on)


def missing_of(organisation: GridPartyOrganisation, today: date) -> tuple[str, ...]:
    """The 全要素 elements ``organisation`` lacks on ``today``."""
    return missing_elements(facts_of(organisation), today)


def _check_community(community: Region, actor: Any) -> None:
    if community.level != RegionLevel.VILLAGE:
        raise OrganisationError("community", f"{community.name} 不是社区：网格党组织建在社区，覆盖社区的网格")
    if not user_can_access_region(actor, community):
        raise OrganisationError("community", f"{community.name} 不在您的管辖范围内")


def _clean(fields: dict[str, Any], community: Region) -> dict[str, Any]:
    name = (fields.get("name") or "").strip()
    if not name:
        raise OrganisationError("name", "请填写党组织名称")
    if len(name) > 128:
        raise OrganisationError("name", "党组织名称不能超过 128 个字")
    if fields.get("kind", PartyOrganisationKind.BRANCH) not in PartyOrganisationKind.values:
        raise OrganisationError("kind", "未知的党组织类别")
    secretary = fields.get("secretary")
    if secretary is not None and secretary.region_id != community.code:
        raise OrganisationError("secretary", f"书记须是在{community.name}报到的党员")
    founded_on, last = fields.get("founded_on"), fields.get("last_activity_on")
    if founded_on is None:
        raise OrganisationError("founded_on", "请填写成立日期")
    if last is not None and last < founded_on:
        raise OrganisationError("last_activity_on", "最近一次组织生活不能早于成立日期")
    return {**fields, "name": name, "secretary_name": (fields.get("secretary_name") or "").strip()[:64],
            "venue": (fields.get("venue") or "").strip()[:128]}


def _check_unique_name(community: Region, name: str, exclude: int | None = None) -> None:
    same = GridPartyOrganisation.objects.filter(region=community, name=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise OrganisationError("name", f"{community.name}已有名为「{name}」的党组织")


@transaction.atomic
def create_organisation(community: Region, actor: Any, **fields: Any) -> GridPartyOrganisation:
    """Set up an organisation of ``community`` (fields of ``EDITABLE``); raise ``OrganisationError`` if refused."""
    _check_community(community, actor)
    cleaned = _clean({k: fields.get(k) for k in EDITABLE if k in fields}, community)
    _check_unique_name(community, cleaned["name"])
    organisation = GridPartyOrganisation.objects.create(region=community, **cleaned)
    audit.record("community.party_organisation.create", actor=actor, target=organisation, region=community,
                 name=organisation.name)
    return organisation


@transaction.atomic
def update_organisation(organisation: GridPartyOrganisation, actor: Any, **fields: Any) -> GridPartyOrganisation:
    """Change ``organisation``'s fields of ``EDITABLE``; raise ``OrganisationError`` if refused."""
    community = organisation.region
    _check_community(community, actor)
    merged = {k: fields.get(k, getattr(organisation, k)) for k in EDITABLE}
    cleaned = _clean(merged, community)
    _check_unique_name(community, cleaned["name"], exclude=organisation.pk)
    changed = sorted(k for k in EDITABLE if getattr(organisation, k) != cleaned[k])
    for key, value in cleaned.items():
        setattr(organisation, key, value)
    organisation.save()
    audit.record("community.party_organisation.update", actor=actor, target=organisation, region=community,
                 changed=changed)
    return organisation


@transaction.atomic
def set_grids(organisation: GridPartyOrganisation, actor: Any, grids: list[Grid]) -> None:
    """Make ``organisation`` cover exactly ``grids``: grids of its own community only."""
    _check_community(organisation.region, actor)
    for grid in grids:
        if grid.region.parent_id != organisation.region_id:
            raise OrganisationError("grids", f"{grid.region.name} 不属于{organisation.region.name}")
    organisation.grids.set(grids)
    audit.record("community.party_organisation.grids", actor=actor, target=organisation,
                 region=organisation.region, grids=sorted(g.region_id for g in grids))


@transaction.atomic
def set_members(organisation: GridPartyOrganisation, actor: Any, members: list[PartyMember]) -> None:
    """Make ``members`` the organisation's members: party members registered with its community only."""
    _check_community(organisation.region, actor)
    for member in members:
        if member.region_id != organisation.region_id:
            raise OrganisationError("members", f"{member.name} 未在{organisation.region.name}报到")
    organisation.members.set(members)
    audit.record("community.party_organisation.members", actor=actor, target=organisation,
                 region=organisation.region, members=sorted(m.pk for m in members))


def coverage(scope: Any, today: date) -> list[CommunityCoverage]:
    """Per community in the user ``scope``'s region: the coverage figures on ``today``.

    Three queries whatever the number of communities, grids and organisations.
    """
    communities = scope_queryset(Region.objects.filter(level=RegionLevel.VILLAGE), scope).order_by("code")
    return coverage_of(dict(communities.values_list("code", "name")),
                       scope_queryset(Grid.objects.all(), scope),
                       scope_queryset(GridPartyOrganisation.objects.all(), scope), today)


def coverage_of(names: dict[str, str], grids: QuerySet[Grid], organisations: QuerySet[GridPartyOrganisation],
                today: date) -> list[CommunityCoverage]:
    """The coverage figures of the communities ``names`` from already scoped ``grids`` and ``organisations``."""
    figures: dict[str, dict[str, int]] = defaultdict(dict)
    for community, grid_count, covered in grids.values("region__parent_id").annotate(
            grids=Count("pk", distinct=True),
            covered_grids=Count("pk", distinct=True, filter=Q(party_organisations__isnull=False))).order_by(
            ).values_list("region__parent_id", "grids", "covered_grids"):
        figures[str(community)].update(grids=grid_count, covered_grids=covered)
    for organisation in with_member_counts(organisations.order_by()).only(
            "region_id", "secretary_id", "secretary_name", "venue", "rules_posted", "last_activity_on"):
        counts = figures[organisation.region_id]
        counts["organisations"] = counts.get("organisations", 0) + 1
        counts["complete"] = counts.get("complete", 0) + is_complete(facts_of(organisation), today)
    return [CommunityCoverage(code, names[code], **figures.get(code, {})) for code in sorted(names)]
