"""包联 and grid party organisations in the community API (``/api/community/liaisons``, ``/party-organisations``).

Reading is ``community.read`` and creating ``community.liaison.manage``, like the pages; every query goes
through ``core.scope.scope_queryset`` (outside scope: 404) and every change through
``community.organisations`` (a refusal is a 400 naming the field).
"""

from datetime import date
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from changji.community.models import (
    AgreementList,
    CoBuildingUnit,
    Compound,
    Grid,
    GridPartyOrganisation,
    Liaison,
    LiaisonKind,
    PartyMember,
    PartyOrganisationKind,
)
from changji.community.organisations import liaisons, party
from changji.community.organisations.errors import OrganisationError
from changji.community.organisations.rules import missing_labels
from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.models import Region
from changji.core.scope import scope_queryset

router = Router()

#: A community's region code (GB 2260 down to the village level: 12 digits).
CommunityCode = Annotated[str, Field(pattern=r"^[0-9]{12}$", description="社区区划代码（12 位）")]


class DutyOut(Schema):
    """One duty of a 包联 on one of the four lists of 一书四单."""

    list_kind: str = Field(description="清单：needs 需求、resources 资源、projects 项目、responsibilities 责任")
    text: str = Field(description="职责内容")
    done_on: date | None = Field(description="完成日期（未完成为空）")


class LiaisonOut(Schema):
    """A 包联: who looks after which community, compound or grid, from when to when."""

    id: int
    region_id: str = Field(description="包联的社区或网格区划代码")
    region_name: str
    compound: str | None = Field(description="包联小区名称（包联社区或网格时为空）")
    kind: str = Field(description="类别：leader 县乡领导、cadre 机关干部、unit 共建单位")
    name: str = Field(description="姓名或单位")
    title: str = Field(description="职务")
    unit_id: int | None = Field(description="共建单位 id（积分归属）")
    member_id: int | None = Field(description="党员 id（积分归属）")
    starts_on: date = Field(description="包联开始日期")
    ends_on: date | None = Field(description="包联结束日期（在包为空）")


class LiaisonDetailOut(LiaisonOut):
    """A 包联 with its duties and the points earned there."""

    commitment: str = Field(description="承诺书")
    duties: list[DutyOut]
    points_earned_there: int = Field(description="共建单位或党员包联期间在该社区所得积分（分）")


class DutyIn(Schema):
    """A duty on one of the four lists."""

    list_kind: AgreementList
    text: Text = Field(..., max_length=255)


class LiaisonIn(Schema):
    """A new 包联: a community or grid (``region``) or a compound, who, and from when."""

    region: Text | None = Field(None, max_length=15, description="包联的社区或网格区划代码（与 compound 二选一）")
    compound: Id | None = Field(None, description="包联小区 id")
    kind: LiaisonKind
    name: Text = Field("", max_length=128, description="姓名或单位（共建单位或党员包联可留空）")
    title: Text = Field("", max_length=64)
    phone: Text = Field("", max_length=20)
    unit: Id | None = Field(None, description="共建单位 id")
    member: Id | None = Field(None, description="党员 id")
    commitment: Text = Field("", max_length=4000)
    starts_on: date = Field(description="包联开始日期")
    duties: list[DutyIn] = Field(default_factory=list, max_length=100)


class PartyOrganisationOut(Schema):
    """A grid party organisation with its grids, member count and the 全要素 elements it lacks."""

    id: int
    region_id: str = Field(description="所属社区区划代码")
    name: str
    kind: str = Field(description="类别：branch 网格党支部、joint_branch 联合党支部、group 网格党小组")
    secretary: str = Field(description="书记（组长）姓名")
    member_count: int = Field(description="党员人数（人）")
    venue: str = Field(description="活动阵地")
    rules_posted: bool = Field(description="制度上墙")
    last_activity_on: date | None = Field(description="最近一次组织生活")
    founded_on: date
    grids: list[str] = Field(description="覆盖网格的区划代码")
    missing: list[str] = Field(description="缺少的全要素要素（空表示全要素）")


class PartyOrganisationIn(Schema):
    """A new organisation of a community: its fields, grids (of that community) and members (registered there)."""

    community: Text = Field(..., max_length=12, description="社区区划代码")
    name: Text = Field(..., max_length=128)
    kind: PartyOrganisationKind = PartyOrganisationKind.BRANCH
    secretary: Id | None = Field(None, description="书记（报到党员 id）")
    secretary_name: Text = Field("", max_length=64)
    venue: Text = Field("", max_length=128)
    rules_posted: bool = False
    last_activity_on: date | None = None
    founded_on: date
    grids: list[Text] = Field(default_factory=list, max_length=500, description="覆盖网格的区划代码")
    members: list[Id] = Field(default_factory=list, max_length=2000, description="党员 id")


def _liaisons(request: HttpRequest) -> QuerySet[Liaison]:
    return scope_queryset(Liaison.objects.select_related("region", "compound"), request.user)


def _liaison_out(liaison: Liaison) -> dict[str, Any]:
    return {"id": liaison.pk, "region_id": liaison.region_id, "region_name": liaison.region.name,
            "compound": liaison.compound.name if liaison.compound else None, "kind": liaison.kind,
            "name": liaison.name, "title": liaison.title, "unit_id": liaison.unit_id, "member_id": liaison.member_id,
            "starts_on": liaison.starts_on, "ends_on": liaison.ends_on}


def _liaison_detail(liaison: Liaison) -> dict[str, Any]:
    return {**_liaison_out(liaison), "commitment": liaison.commitment,
            "duties": list(liaison.duties.values("list_kind", "text", "done_on")),
            "points_earned_there": liaisons.points_earned_there(liaison)}


def _organisations(request: HttpRequest) -> QuerySet[GridPartyOrganisation]:
    return party.with_member_counts(scope_queryset(
        GridPartyOrganisation.objects.select_related("secretary").prefetch_related("grids"), request.user))


def _organisation_out(organisation: GridPartyOrganisation) -> dict[str, Any]:
    secretary = organisation.secretary.name if organisation.secretary else organisation.secretary_name
    return {"id": organisation.pk, "region_id": organisation.region_id, "name": organisation.name,
            "kind": organisation.kind, "secretary": secretary, "member_count": getattr(organisation, "member_count", 0),
            "venue": organisation.venue, "rules_posted": organisation.rules_posted,
            "last_activity_on": organisation.last_activity_on, "founded_on": organisation.founded_on,
            "grids": sorted(g.region_id for g in organisation.grids.all()),
            "missing": missing_labels(party.missing_of(organisation, timezone.localdate()))}


def _scoped(queryset: QuerySet[Any], request: HttpRequest, field: str, pk: Any) -> Any:
    """The row ``pk`` of ``queryset`` in the user's scope, or an ``OrganisationError`` on ``field`` (None: None)."""
    if pk is None:
        return None
    found = scope_queryset(queryset, request.user).filter(pk=pk).first()
    if found is None:
        raise OrganisationError(field, f"找不到您管辖范围内的 {pk}")
    return found


@router.get("/liaisons", response=list[LiaisonOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_liaisons(request: HttpRequest, community: CommunityCode | None = None, kind: LiaisonKind | None = None,
                  state: Literal["running", "ended"] | None = None) -> list[dict[str, Any]]:
    """包联 of the user's scope, by place; ``community`` narrows to one community (and its grids)."""
    rows = _liaisons(request)
    if community:
        rows = rows.filter(region__code__startswith=community)
    if kind:
        rows = rows.filter(kind=kind)
    if state:
        rows = rows.filter(ends_on__isnull=state == "running")
    return [_liaison_out(liaison) for liaison in rows.order_by("region_id", "kind", "name", "pk")]


@router.get("/liaisons/{liaison_id}", response=LiaisonDetailOut)
@operation(P.COMMUNITY_READ)
def get_liaison(request: HttpRequest, liaison_id: Id) -> dict[str, Any]:
    """One 包联 with its duties and the points its unit or member earned in that community while attached."""
    return _liaison_detail(get_object_or_404(_liaisons(request), pk=liaison_id))


@router.post("/liaisons", response={201: LiaisonDetailOut})
@operation(P.COMMUNITY_LIAISON_MANAGE)
def create_liaison(request: HttpRequest, body: LiaisonIn) -> Status:
    """Record a 包联 to a community, compound or grid in scope. Audited ``community.liaison.attach``."""
    region = _scoped(Region.objects.all(), request, "region", body.region) if body.region else None
    attachment = liaisons.Attachment(
        kind=body.kind, starts_on=body.starts_on, region=region,
        compound=_scoped(Compound.objects.select_related("region"), request, "compound", body.compound),
        name=body.name, title=body.title, phone=body.phone,
        unit=_scoped(CoBuildingUnit.objects.all(), request, "unit", body.unit),
        member=_scoped(PartyMember.objects.all(), request, "member", body.member), commitment=body.commitment)
    liaison = liaisons.attach(attachment, request.user, [(d.list_kind, d.text) for d in body.duties])
    return Status(201, _liaison_detail(liaison))


@router.get("/party-organisations", response=list[PartyOrganisationOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_party_organisations(request: HttpRequest, community: CommunityCode | None = None) -> list[dict[str, Any]]:
    """Grid party organisations of the user's scope with the 全要素 elements each lacks."""
    rows = _organisations(request)
    if community:
        rows = rows.filter(region_id=community)
    return [_organisation_out(o) for o in rows.order_by("region_id", "name")]


@router.get("/party-organisations/{organisation_id}", response=PartyOrganisationOut)
@operation(P.COMMUNITY_READ)
def get_party_organisation(request: HttpRequest, organisation_id: Id) -> dict[str, Any]:
    """One grid party organisation."""
    return _organisation_out(get_object_or_404(_organisations(request), pk=organisation_id))


@router.post("/party-organisations", response={201: PartyOrganisationOut})
@operation(P.COMMUNITY_LIAISON_MANAGE)
def create_party_organisation(request: HttpRequest, body: PartyOrganisationIn) -> Status:
    """Set up a grid party organisation with its grids and members. Audited ``community.party_organisation.*``."""
    community = _scoped(Region.objects.all(), request, "community", body.community)
    grids = list(scope_queryset(Grid.objects.select_related("region"), request.user).filter(region_id__in=body.grids))
    if len(grids) != len(set(body.grids)):
        raise OrganisationError("grids", "有网格不存在或不在您的管辖范围内")
    members = list(scope_queryset(PartyMember.objects.all(), request.user).filter(pk__in=body.members))
    if len(members) != len(set(body.members)):
        raise OrganisationError("members", "有党员不存在或不在您的管辖范围内")
    with transaction.atomic():  # a refused grid or member leaves no organisation behind
        organisation = party.create_organisation(
            community, request.user, name=body.name, kind=body.kind,
            secretary=_scoped(PartyMember.objects.all(), request, "secretary", body.secretary),
            secretary_name=body.secretary_name, venue=body.venue, rules_posted=body.rules_posted,
            last_activity_on=body.last_activity_on, founded_on=body.founded_on)
        party.set_grids(organisation, request.user, grids)
        party.set_members(organisation, request.user, members)
    return Status(201, _organisation_out(get_object_or_404(_organisations(request), pk=organisation.pk)))
