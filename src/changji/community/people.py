"""People and units of a community: residents, party members, posts, co-building units and their 一书四单.

Residents are returned masked; party members report for duty (双报到).

双报到: an in-service party member registers with the community they live in and claims posts there
(认岗); a co-building unit (共驻共建单位) registers with a community and signs, each year, a commitment
letter with four lists (一书四单: 需求清单, 资源清单, 项目清单, 责任清单). Claiming a post, signing the
letter and finishing a list entry earn points by the rule table (``community.points``).

Every state change by staff is checked against the actor's region scope (``core.scope``) and audited
(``core.audit``); identity numbers and phone numbers appear only masked in what this module returns
for pages and exports, and never in audit details.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, models, transaction
from openpyxl.styles import Font

from changji.community import points
from changji.community.actors import InputError, check_scope
from changji.community.models import (
    AgreementEntry,
    AgreementList,
    CareTag,
    CoBuildingUnit,
    MemberKind,
    PartyMember,
    Post,
    PostClaim,
    Resident,
    UnitAgreement,
)
from changji.community.privacy import mask_id_number, mask_phone
from changji.core import audit
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, put_cell, workbook_bytes
from changji.core.identity import IdentifierError, validate_resident_id
from changji.core.models import Region, RegionLevel


def _require_community(region: Region) -> None:
    if region.level != RegionLevel.VILLAGE:
        raise InputError("community", f"{region.name} 不是社区（村）级区划")


# --- 公民身份号码 (GB 11643-1999) -----------------------------------------------------------------------------

def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Validate an 18-character 公民身份号码 (GB 11643-1999) and return it normalised (full-width → ASCII, ``x`` → X).

    The check itself is ``core.identity.validate_resident_id`` (structure, a real birth date not after ``today``,
    the check character); this raises :class:`InputError` on field ``id_number`` with its Chinese message.
    """
    try:
        return validate_resident_id(value or "", today=today)
    except IdentifierError as error:
        raise InputError("id_number", str(error)) from None


# --- 双报到: members and posts --------------------------------------------------------------------------------


@transaction.atomic
def register_member(community: Region, name: str, id_number: str, phone: str, work_unit: str, kind: str,
                    registered_on: date, user: Any = None, *, actor: Any) -> PartyMember:
    """Register a party member with their residential community (双报到); the identity number is checked."""
    _require_community(community)
    check_scope(actor, community)
    if not (name or "").strip():
        raise InputError("name", "请填写姓名")
    if kind not in MemberKind.values:
        raise InputError("kind", f"未知的党员类别：{kind}")
    number = validate_id_number(id_number, today=registered_on)
    if kind == MemberKind.IN_SERVICE and not (work_unit or "").strip():
        raise InputError("work_unit", "在职党员须填写工作单位")
    if PartyMember.objects.filter(region=community, id_number=number).exists():
        raise InputError("id_number", "该党员已在本社区报到")
    if user is not None and PartyMember.objects.filter(user=user).exists():
        raise InputError("user", "该平台账号已关联其他党员")
    try:  # a concurrent request may have registered the member or linked the account (the database refuses both)
        with transaction.atomic():
            member = PartyMember.objects.create(region=community, user=user, name=name.strip(), id_number=number,
                                                phone=(phone or "").strip(), kind=kind,
                                                work_unit=(work_unit or "").strip(), registered_on=registered_on)
    except IntegrityError:  # the same member or account registered by a concurrent request
        if user is None or PartyMember.objects.filter(region=community, id_number=number).count():
            raise InputError("id_number", "该党员已在本社区报到（可能刚由他人登记）") from None
        raise InputError("user", "该平台账号已关联其他党员（可能刚由他人登记），请刷新后核对") from None
    audit.record("community.member.registered", actor=actor, target=member, region=community,
                 id_number=mask_id_number(number), kind=kind)
    return member


@transaction.atomic
def create_post(community: Region, name: str, description: str = "", capacity: int = 5, *, actor: Any) -> Post:
    """Offer a post (岗位) to the members reporting to ``community``."""
    _require_community(community)
    check_scope(actor, community)
    if not (name or "").strip():
        raise InputError("name", "请填写岗位名称")
    if not isinstance(capacity, int) or capacity < 1:
        raise InputError("capacity", "人数上限至少为 1")
    post = Post.objects.create(region=community, name=name.strip(), description=(description or "").strip(),
                               capacity=capacity)
    audit.record("community.post.created", actor=actor, target=post, region=community, capacity=capacity)
    return post


@transaction.atomic
def claim_post(member: PartyMember, post: Post, on: date, *, actor: Any = None) -> PostClaim:
    """认岗: ``member`` takes ``post`` of their own community, once, while the post has room; earns points."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    check_scope(actor, post.region)
    if member.region_id != post.region_id:
        raise InputError("post", "只能认领报到社区的岗位")
    if PostClaim.objects.filter(post=post, member=member).exists():
        raise InputError("post", f"{member.name} 已认领该岗位")
    if PostClaim.objects.filter(post=post).count() >= post.capacity:
        raise InputError("post", f"岗位“{post.name}”已满（{post.capacity} 人）")
    try:
        with transaction.atomic():
            claim = PostClaim.objects.create(post=post, member=member, claimed_on=on)
    except IntegrityError:
        raise InputError("post", f"{member.name} 已认领该岗位") from None
    points.award("post_claimed", member, f"post:{post.pk}", on, note=post.name)
    audit.record("community.post.claimed", actor=actor, target=claim, region=post.region, member=member.pk)
    return claim


def post_rows(posts: models.QuerySet[Post]) -> list[dict[str, Any]]:
    """Posts with their claimants' names and the places left, for the members page."""
    rows = []
    for post in posts.prefetch_related("claims__member").order_by("name", "pk"):
        claimants = [c.member.name for c in post.claims.all()]
        rows.append({"post": post, "claimants": claimants, "left": max(post.capacity - len(claimants), 0)})
    return rows


# --- 共驻共建: units and 一书四单 -------------------------------------------------------------------------------


@transaction.atomic
def register_unit(community: Region, name: str, contact_name: str, contact_phone: str, registered_on: date, *,
                  actor: Any) -> CoBuildingUnit:
    """Register a co-building unit (共驻共建单位) with a community, once."""
    _require_community(community)
    check_scope(actor, community)
    name = (name or "").strip()
    if not name:
        raise InputError("name", "请填写单位名称")
    if CoBuildingUnit.objects.filter(region=community, name=name).exists():
        raise InputError("name", f"{name} 已在本社区报到")
    try:  # a concurrent request may have registered the same name meanwhile
        with transaction.atomic():
            unit = CoBuildingUnit.objects.create(region=community, name=name,
                                                 contact_name=(contact_name or "").strip(),
                                                 contact_phone=(contact_phone or "").strip(),
                                                 registered_on=registered_on)
    except IntegrityError:
        raise InputError("name", f"{name} 已在本社区报到") from None
    audit.record("community.unit.registered", actor=actor, target=unit, region=community)
    return unit


@transaction.atomic
def sign_agreement(unit: CoBuildingUnit, year: int, commitment: str, entries: Mapping[str, Iterable[str]],
                   signed_on: date, *, actor: Any) -> UnitAgreement:
    """一书四单: the unit's commitment letter for ``year`` with its four lists, each with at least one entry.

    ``entries`` maps each ``AgreementList`` value to the list's lines (blank lines are dropped). One
    agreement per unit and year; signing earns the unit the ``agreement_signed`` points.
    """
    check_scope(actor, unit.region)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InputError("year", "年度应为 2000 至 2100 之间的整数")
    if not (commitment or "").strip():
        raise InputError("commitment", "请填写承诺书内容")
    unknown = sorted(set(entries) - set(AgreementList.values))
    if unknown:
        raise InputError("entries", f"未知的清单：{'、'.join(unknown)}")
    lines = {kind: [t.strip() for t in entries.get(kind, ()) if t and t.strip()] for kind in AgreementList.values}
    for kind, label in AgreementList.choices:
        if not lines[kind]:
            raise InputError(kind, f"{label}不能为空")
        if any(len(text) > 255 for text in lines[kind]):
            raise InputError(kind, f"{label}每条不超过255字")
    if UnitAgreement.objects.filter(unit=unit, year=year).exists():
        raise InputError("year", f"{unit.name} 已签订 {year} 年度一书四单")
    try:  # a concurrent request may have signed the same year meanwhile
        with transaction.atomic():
            agreement = UnitAgreement.objects.create(unit=unit, year=year, commitment=commitment.strip(),
                                                     signed_on=signed_on)
    except IntegrityError:
        raise InputError("year", f"{unit.name} 已签订 {year} 年度一书四单") from None
    AgreementEntry.objects.bulk_create(AgreementEntry(agreement=agreement, list_kind=kind, text=text)
                                       for kind in AgreementList.values for text in lines[kind])
    points.award("agreement_signed", unit, f"agreement:{agreement.pk}", signed_on, note=f"{year}年度")
    audit.record("community.agreement.signed", actor=actor, target=agreement, region=unit.region, year=year,
                 entries={kind: len(lines[kind]) for kind in AgreementList.values})
    return agreement


@transaction.atomic
def mark_entry_done(entry: AgreementEntry, on: date, *, actor: Any) -> AgreementEntry:
    """Mark one list entry of a 一书四单 done (once); the unit earns ``agreement_entry_done`` points."""
    entry = AgreementEntry.objects.select_for_update().select_related("agreement__unit__region").get(pk=entry.pk)
    unit = entry.agreement.unit
    check_scope(actor, unit.region)
    if entry.done_on is not None:
        raise InputError("entry", f"该事项已于 {entry.done_on:%Y-%m-%d} 完成")
    entry.done_on = on
    entry.save(update_fields=["done_on"])
    points.award("agreement_entry_done", unit, f"agreement_entry:{entry.pk}", on, note=entry.text[:255])
    audit.record("community.agreement_entry.done", actor=actor, target=entry, region=unit.region)
    return entry


# --- residents: masked rows for pages and exports ---------------------------------------------------------------

CARE_LABELS = dict(CareTag.choices)


@dataclass(frozen=True)
class ResidentRow:
    """One resident as pages and exports show them: identity number and phone masked."""

    pk: int
    name: str
    id_number: str
    phone: str
    care_tags: str
    grid: str
    compound: str
    building: str
    door: str


def ordered_residents(queryset: models.QuerySet[Resident]) -> models.QuerySet[Resident]:
    """``queryset`` (already scoped by the caller) by compound, building, door and name, with what rows show."""
    return queryset.select_related("household__building__compound", "region").order_by(
        "household__building__compound__name", "household__building__name", "household__door", "name", "pk")


def resident_rows(residents: Iterable[Resident]) -> list[ResidentRow]:
    """Masked rows for pages and exports; pass ``ordered_residents(...)`` (or a page of it)."""
    return [ResidentRow(
        pk=r.pk, name=r.name, id_number=mask_id_number(r.id_number), phone=mask_phone(r.phone),
        care_tags="、".join(str(CARE_LABELS.get(tag, tag)) for tag in r.care_tags or []),
        grid=r.region.name, compound=r.household.building.compound.name, building=r.household.building.name,
        door=r.household.door) for r in residents]


RESIDENT_COLUMNS = (("name", "姓名"), ("id_number", "公民身份号码（脱敏）"), ("phone", "联系电话（脱敏）"),
                    ("care_tags", "关爱标签"), ("grid", "网格"), ("compound", "小区"), ("building", "楼栋"),
                    ("door", "门牌号"))


def residents_to_xlsx(rows: Iterable[ResidentRow]) -> bytes:
    """The resident list as an XLSX workbook (sheet 居民), from masked rows only."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = "居民"
    append_row(sheet, [header for _, header in RESIDENT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, 2):
        for column, (name, _) in enumerate(RESIDENT_COLUMNS, 1):
            put_cell(sheet, number, column, getattr(row, name))
    for letter, (_, header) in zip("ABCDEFGH", RESIDENT_COLUMNS, strict=True):
        sheet.column_dimensions[letter].width = max(10, 2 * len(header))
    sheet.freeze_panes = "A2"
    return workbook_bytes(book)
