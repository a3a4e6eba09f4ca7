"""包联: leaders, cadres and co-building units attached to a community, a compound or a grid, with their duties.

An attachment names the community or grid it looks after (a compound's names the compound and the region the
compound lies in) and must lie in the actor's scope. Its duties are on the four lists of 一书四单
(``AgreementList``). The points it earns there are the ``PointEntry`` rows of its unit or party member in that
community while attached (``points_earned_there``). Every change is audited (``community.liaison.*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Sum

from changji.community.models import (
    AgreementList,
    CoBuildingUnit,
    Compound,
    Liaison,
    LiaisonDuty,
    LiaisonKind,
    PartyMember,
    PointEntry,
)
from changji.community.organisations.errors import OrganisationError
from changji.core import audit
from changji.core.models import Region, RegionLevel
from changji.core.scope import user_can_access_region

#: A grid's code is 15 characters; its community (village level) is the first 12.
COMMUNITY_CODE_LENGTH = 12


@dataclass(frozen=True)
class Attachment:
    """What a new 包联 is: who (kind, name or unit or member) looks after where (region or compound), from when."""

    kind: str
    starts_on: date
    region: Region | None = None
    compound: Compound | None = None
    name: str = ""
    title: str = ""
    phone: str = ""
    unit: CoBuildingUnit | None = None
    member: PartyMember | None = None
    commitment: str = ""


def community_code(region_code: str) -> str:
    """The community (village-level) code of a community or grid code."""
    return region_code[:COMMUNITY_CODE_LENGTH]


def _text(value: str, field: str, label: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise OrganisationError(field, f"请填写{label}")
    if len(value) > limit or "\x00" in value:
        raise OrganisationError(field, f"{label}不能超过 {limit} 个字")
    return value


def _where(attachment: Attachment, actor: Any) -> Region:
    """The region the attachment looks after (a compound's own region), checked to be a community or grid in scope."""
    region = attachment.compound.region if attachment.compound is not None else attachment.region
    if region is None:
        raise OrganisationError("region", "请选择包联的社区、小区或网格")
    if attachment.region is not None and attachment.compound is not None and attachment.region != region:
        raise OrganisationError("compound", f"{attachment.compound.name}不在{attachment.region.name}")
    if region.level not in (RegionLevel.VILLAGE, RegionLevel.GRID):
        raise OrganisationError("region", f"{region.name} 不是社区或网格")
    if not user_can_access_region(actor, region):
        raise OrganisationError("region", f"{region.name} 不在您的管辖范围内")
    return region


def _who(attachment: Attachment, community: str) -> str:
    """The attachment's name, checked against its kind, unit and member; the unit or member must be of ``community``."""
    if attachment.kind not in LiaisonKind.values:
        raise OrganisationError("kind", "未知的包联类别")
    if attachment.kind == LiaisonKind.UNIT and attachment.unit is None:
        raise OrganisationError("unit", "共建单位包联须选择共建单位")
    if attachment.unit is not None and attachment.unit.region_id != community:
        raise OrganisationError("unit", f"{attachment.unit.name} 未在该社区报到，积分无从计算")
    if attachment.member is not None and attachment.member.region_id != community:
        raise OrganisationError("member", f"{attachment.member.name} 未在该社区报到，积分无从计算")
    fallback = (attachment.unit.name if attachment.unit is not None
                else attachment.member.name if attachment.member is not None else "")
    return _text(attachment.name or fallback, "name", "姓名或单位", 128, required=True)


@transaction.atomic
def attach(attachment: Attachment, actor: Any, duties: Sequence[tuple[str, str]] = ()) -> Liaison:
    """Record a 包联 with its ``duties`` ((list kind, text) pairs); raise ``OrganisationError`` if refused."""
    region = _where(attachment, actor)
    name = _who(attachment, community_code(region.code))
    liaison = Liaison.objects.create(
        region=region, compound=attachment.compound, kind=attachment.kind, name=name,
        title=_text(attachment.title, "title", "职务", 64), phone=_text(attachment.phone, "phone", "联系电话", 20),
        unit=attachment.unit, member=attachment.member,
        commitment=_text(attachment.commitment, "commitment", "承诺书", 4000), starts_on=attachment.starts_on)
    for list_kind, text in duties:
        _add_duty(liaison, list_kind, text)
    audit.record("community.liaison.attach", actor=actor, target=liaison, region=region, name=name,
                 kind=attachment.kind, compound=attachment.compound.pk if attachment.compound else None,
                 duties=len(duties))
    return liaison


def _add_duty(liaison: Liaison, list_kind: str, text: str) -> LiaisonDuty:
    if list_kind not in AgreementList.values:
        raise OrganisationError("list_kind", f"未知的清单：{list_kind}")
    return LiaisonDuty.objects.create(liaison=liaison, list_kind=list_kind,
                                      text=_text(text, "text", "职责内容", 255, required=True))


def _check_open(liaison: Liaison, actor: Any) -> None:
    if not user_can_access_region(actor, liaison.region):
        raise OrganisationError("region", f"{liaison.region.name} 不在您的管辖范围内")
    if liaison.ends_on is not None:
        raise OrganisationError("ends_on", f"该包联已于 {liaison.ends_on:%Y-%m-%d} 结束")


@transaction.atomic
def add_duty(liaison: Liaison, actor: Any, list_kind: str, text: str) -> LiaisonDuty:
    """Add a duty on one of the four lists to a 包联 still running."""
    _check_open(liaison, actor)
    duty = _add_duty(liaison, list_kind, text)
    audit.record("community.liaison.duty", actor=actor, target=liaison, region=liaison.region,
                 list_kind=list_kind, text=duty.text)
    return duty


@transaction.atomic
def complete_duty(duty: LiaisonDuty, actor: Any, done_on: date) -> None:
    """Mark a duty done on ``done_on`` (not before the 包联 started)."""
    liaison = duty.liaison
    if not user_can_access_region(actor, liaison.region):
        raise OrganisationError("region", f"{liaison.region.name} 不在您的管辖范围内")
    if duty.done_on is not None:
        raise OrganisationError("done_on", f"该职责已于 {duty.done_on:%Y-%m-%d} 完成")
    if done_on < liaison.starts_on:
        raise OrganisationError("done_on", "完成日期不能早于包联开始日期")
    duty.done_on = done_on
    duty.save(update_fields=["done_on"])
    audit.record("community.liaison.duty_done", actor=actor, target=liaison, region=liaison.region,
                 duty=duty.pk, done_on=done_on.isoformat())


@transaction.atomic
def end(liaison: Liaison, actor: Any, ends_on: date, reason: str = "") -> None:
    """End the attachment on ``ends_on`` (not before it started); raise ``OrganisationError`` if refused."""
    _check_open(liaison, actor)
    if ends_on < liaison.starts_on:
        raise OrganisationError("ends_on", "结束日期不能早于包联开始日期")
    liaison.ends_on = ends_on
    liaison.save(update_fields=["ends_on"])
    audit.record("community.liaison.end", actor=actor, target=liaison, region=liaison.region,
                 reason=_text(reason, "reason", "说明", 255), ends_on=ends_on.isoformat())


def points_earned_there(liaison: Liaison) -> int:
    """The points the liaison's unit or member earned in the attached community while attached (0 without one).

    ``PointEntry`` rows of that community dated from ``starts_on`` to ``ends_on`` (or today onwards), summed.
    """
    holder: dict[str, Any]
    if liaison.unit_id is not None:
        holder = {"unit_id": liaison.unit_id}
    elif liaison.member_id is not None:
        holder = {"member_id": liaison.member_id}
    else:
        return 0
    entries = PointEntry.objects.filter(region_id=community_code(liaison.region_id), earned_on__gte=liaison.starts_on,
                                        **holder)
    if liaison.ends_on is not None:
        entries = entries.filter(earned_on__lte=liaison.ends_on)
    return entries.aggregate(total=Sum("points"))["total"] or 0
