"""Micro-wishes (微心愿): posted for a resident, reviewed, published, claimed for a limited time, fulfilled, confirmed.

Every move goes through ``workflow.WISH_TABLE`` and one helper (``_move``) that applies it with a
conditional UPDATE (``… WHERE state = <the state the move starts from>``): of two requests racing for
the same wish, such as two claims, exactly one changes the row and the other gets a
``TransitionError``, on SQLite and PostgreSQL alike, without relying on row locks. Each move appends a
``WishEvent`` (the wish's history) and writes the audit entry ``community.wish.<what happened>``.

A claim holds the wish for ``settings.COMMUNITY_WISH_CLAIM_HOURS`` (72 h by default); once past
``claim_expires_at`` it unlocks (claimed → published, note 认领超时), either by the periodic job
(``unlock_expired_claims``) or at the next claim. A fulfilment the resident does not recognise
sends the wish back to the same claimant with a fresh time limit. Points (``wish_confirmed``) go
to the claimant only when the resident confirms, so counts and rankings count confirmed wishes only.

``actor`` is the staff account acting (checked against its region scope), or None for the resident
themselves (posting, confirming) and for the system (unlocking).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from changji.community import points
from changji.community.actors import InputError, check_community_level, check_scope, community_of, is_staff_actor
from changji.community.deadlines import DeadlineColour, deadline_colour
from changji.community.models import CoBuildingUnit, MicroWish, PartyMember, Resident, WishEvent
from changji.community.wishes.workflow import WISH_LABELS, WISH_TABLE, WishState
from changji.core import audit
from changji.core.models import RegionLevel
from changji.core.transitions import TransitionError, check_transition

#: Photos accepted as evidence of a fulfilment (and of activities): common image types, at most 5 MB.
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
PHOTO_MAX_BYTES = 5 * 1024 * 1024

#: The audit action of each move, by (from, to); moves not listed use ``community.wish.<to>``.
_ACTIONS = {
    (WishState.CLAIMED, WishState.PUBLISHED): "community.wish.released",
    (WishState.FULFILLED, WishState.CLAIMED): "community.wish.sent_back",
}


def claim_hours() -> int:
    """How long a claim holds a wish (hours), from ``settings.COMMUNITY_WISH_CLAIM_HOURS``."""
    return int(getattr(settings, "COMMUNITY_WISH_CLAIM_HOURS", 72))


def check_photo(photo: Any, field: str = "photo") -> None:
    """Refuse an upload that is not a jpg/png/webp image of at most 5 MB (``InputError`` on ``field``)."""
    suffix = PurePath(getattr(photo, "name", "") or "").suffix.lower()
    if suffix not in PHOTO_SUFFIXES:
        raise InputError(field, "照片须为 jpg、png 或 webp 格式")
    if (getattr(photo, "size", 0) or 0) > PHOTO_MAX_BYTES:
        raise InputError(field, "照片不能超过 5 MB")


def _record(wish: MicroWish, current: str, target: str, actor: Any, now: datetime, note: str, action: str,
            **detail: Any) -> None:
    WishEvent.objects.create(wish=wish, at=now, actor=actor if is_staff_actor(actor) else None,
                             from_state=current, to_state=target, note=note[:255])
    audit.record(action, actor=actor, target=wish, region=wish.region, reason=note, **detail)


#: The refusal when the claim the caller saw is no longer the wish's claim (unlocked, claimed anew, sent back).
CLAIM_CHANGED = "心愿已被他人认领或状态已变化，请刷新"


def _move(wish: MicroWish, target: WishState, actor: Any, now: datetime, note: str, *, expect: Q | None = None,
          action: str | None = None, stale: str = "心愿状态已变化（可能已被他人办理），请刷新后重试",
          **fields: Any) -> MicroWish:
    """Apply one move of the table to the row, only if it is still in the state ``wish`` was read in.

    The row must also match ``expect``; otherwise raise ``TransitionError(stale)``.
    """
    current = WishState(wish.state)
    check_transition(WISH_TABLE, current, target)
    rows = MicroWish.objects.filter(Q(pk=wish.pk, state=current) & (expect or Q()))
    if rows.update(state=target, **fields) != 1:
        raise TransitionError("state", stale)
    for name, value in fields.items():
        setattr(wish, name, value)
    wish.state = target
    _record(wish, current, target, actor, now, note,
            action or _ACTIONS.get((current, target), f"community.wish.{target}"))
    return wish


def claimant(wish: MicroWish) -> PartyMember | CoBuildingUnit | None:
    """The member or unit holding (or having fulfilled) the wish."""
    return wish.claimed_by_member or wish.claimed_by_unit


def same_claim(wish: MicroWish) -> Q:
    """The claim ``wish`` was read with (when it was claimed and by whom).

    Release, fulfil and confirm apply only while the row still carries that very claim, so a stale page cannot
    act on a newer claim by someone else.
    """
    return Q(claimed_at=wish.claimed_at, claimed_by_member_id=wish.claimed_by_member_id,
             claimed_by_unit_id=wish.claimed_by_unit_id)


def claim_token(wish: MicroWish) -> str:
    """The claim ``wish`` carries as a short text (for a page to send back what it showed): time and claimant."""
    at = wish.claimed_at.isoformat() if wish.claimed_at else ""
    return f"{at}|{wish.claimed_by_member_id or ''}|{wish.claimed_by_unit_id or ''}"


@transaction.atomic
def post_wish(resident: Resident, title: str, description: str = "", *, actor: Any = None,
              now: datetime | None = None) -> MicroWish:
    """Post a wish for ``resident``: by the resident (actor None) or by a grid worker for them; it awaits review."""
    now = now or timezone.now()
    check_scope(actor, resident.region)
    title = (title or "").strip()
    if resident.region.level not in (RegionLevel.VILLAGE, RegionLevel.GRID):
        raise InputError("resident", f"{resident.name} 登记在{resident.region.name}，未落到社区或网格，不能登记心愿；"
                                     "请先将其归入所在网格")
    if not title:
        raise InputError("title", "请填写心愿内容")
    if len(title) > 128:
        raise InputError("title", "心愿内容不超过128字")
    wish = MicroWish.objects.create(region=resident.region, resident=resident, title=title,
                                    description=(description or "").strip(), state=WishState.POSTED,
                                    posted_at=now, posted_by=actor if is_staff_actor(actor) else None)
    by = "网格员代为登记" if is_staff_actor(actor) else "居民本人提交"
    _record(wish, "", WishState.POSTED, actor or "resident", now, by, "community.wish.posted")
    return wish


@transaction.atomic
def review(wish: MicroWish, approve: bool, *, actor: Any, now: datetime | None = None, note: str = "") -> MicroWish:
    """The community's review (审核): publish the wish for claiming, or reject it with a reason."""
    now = now or timezone.now()
    check_community_level(actor, wish.region)
    note = (note or "").strip()
    if approve:
        return _move(wish, WishState.PUBLISHED, actor, now, note or "审核通过，发布", published_at=now)
    if not note:
        raise InputError("note", "不予发布须说明理由")
    return _move(wish, WishState.REJECTED, actor, now, note)


def _unlock(wish: MicroWish, now: datetime, actor: Any = None) -> MicroWish:
    holder = claimant(wish)
    note = f"认领超时（原认领方：{holder.name}）" if holder else "认领超时"
    return _move(wish, WishState.PUBLISHED, actor, now, note, expect=Q(claim_expires_at__lte=now),
                 action="community.wish.unlocked", claimed_by_member=None, claimed_by_unit=None, claimed_at=None,
                 claim_expires_at=None)


@transaction.atomic
def claim(wish: MicroWish, member: PartyMember | None = None, unit: CoBuildingUnit | None = None, *,
          actor: Any = None, now: datetime | None = None, hours: int | None = None) -> MicroWish:
    """Claim a published wish for one member or one unit of its community, exclusively, for ``hours``.

    A claim whose time has run out is unlocked first (as the job would have done), so the wish can be
    claimed again at once. Of two concurrent claims exactly one wins; the other raises TransitionError.
    """
    now = now or timezone.now()
    if (member is None) == (unit is None):
        raise InputError("claimant", "请选择认领的党员或共建单位（二选一）")
    holder: PartyMember | CoBuildingUnit = member or unit  # type: ignore[assignment]
    check_scope(actor, wish.region)
    if holder.region_id != community_of(wish.region).pk:
        raise InputError("claimant", "只能由心愿所在社区报到的党员或共建单位认领")
    hours = claim_hours() if hours is None else hours
    if not isinstance(hours, int) or hours < 1:
        raise InputError("hours", "认领时限至少 1 小时")
    if wish.state == WishState.CLAIMED and wish.claim_expires_at and wish.claim_expires_at <= now:
        _unlock(wish, now)
    return _move(wish, WishState.CLAIMED, actor, now, f"{holder.name} 认领，限时 {hours} 小时",
                 claimed_by_member=member, claimed_by_unit=unit, claimed_at=now,
                 claim_expires_at=now + timedelta(hours=hours))


def _check_claimant_side(wish: MicroWish, actor: Any) -> None:
    """A member acting through their own account may act only on their own claim; staff record for claimants."""
    own = getattr(actor, "party_member", None) if is_staff_actor(actor) else None
    if own is not None and wish.claimed_by_member_id != own.pk:
        raise PermissionDenied("只有认领方可以办理")


@transaction.atomic
def release(wish: MicroWish, *, actor: Any = None, now: datetime | None = None, note: str = "") -> MicroWish:
    """The claimant gives the wish up (放弃认领): it is published again for others to claim."""
    now = now or timezone.now()
    check_scope(actor, wish.region)
    _check_claimant_side(wish, actor)
    holder = claimant(wish)
    text = f"{holder.name} 放弃认领" if holder else "放弃认领"
    return _move(wish, WishState.PUBLISHED, actor, now, f"{text}：{note.strip()}" if note.strip() else text,
                 expect=same_claim(wish), stale=CLAIM_CHANGED, claimed_by_member=None, claimed_by_unit=None,
                 claimed_at=None, claim_expires_at=None)


def unlock_expired_claims(now: datetime | None = None) -> int:
    """Unlock every claim past its time limit (claimed → published, note 认领超时); return how many."""
    now = now or timezone.now()
    unlocked = 0
    expired = MicroWish.objects.filter(state=WishState.CLAIMED, claim_expires_at__lte=now).select_related(
        "region", "claimed_by_member", "claimed_by_unit")
    for wish in expired.iterator():
        try:
            with transaction.atomic():
                _unlock(wish, now)
        except TransitionError:  # claimed anew or fulfilled meanwhile
            continue
        unlocked += 1
    return unlocked


@transaction.atomic
def fulfil(wish: MicroWish, evidence: str, photo: Any = None, *, actor: Any = None,
           now: datetime | None = None) -> MicroWish:
    """The claimant reports the wish fulfilled (已实现) with evidence and an optional photo, within the time limit."""
    now = now or timezone.now()
    check_scope(actor, wish.region)
    _check_claimant_side(wish, actor)
    evidence = (evidence or "").strip()
    if not evidence:
        raise InputError("evidence", "请填写实现情况")
    if photo is not None:
        check_photo(photo)
    if wish.state == WishState.CLAIMED and wish.claim_expires_at and wish.claim_expires_at <= now:
        expired = timezone.localtime(wish.claim_expires_at)
        raise TransitionError("state", f"认领已于 {expired:%Y-%m-%d %H:%M} 超时，不能登记实现")
    holder = claimant(wish)
    wish = _move(wish, WishState.FULFILLED, actor, now, f"{holder.name if holder else ''} 登记实现：{evidence}",
                 expect=Q(claim_expires_at__gt=now) & same_claim(wish), stale=CLAIM_CHANGED, fulfilled_at=now,
                 evidence=evidence)
    if photo is not None:
        wish.evidence_photo.save(PurePath(photo.name).name, photo, save=True)
    return wish


@transaction.atomic
def confirm(wish: MicroWish, satisfied: bool, *, now: datetime | None = None, actor: Any = None, note: str = "",
            hours: int | None = None) -> MicroWish:
    """The resident's answer to a fulfilment (actor: None for the resident, or the grid worker recording it).

    Satisfied: the wish is confirmed and the claimant earns the ``wish_confirmed`` points, once. Not
    satisfied: it goes back to the same claimant with a fresh time limit.
    """
    now = now or timezone.now()
    check_scope(actor, wish.region)
    by = actor or "resident"
    note = (note or "").strip()
    seen = same_claim(wish) & Q(fulfilled_at=wish.fulfilled_at)
    if satisfied:
        wish = _move(wish, WishState.CONFIRMED, by, now, note or "群众确认满意", expect=seen, stale=CLAIM_CHANGED,
                     confirmed_at=now)
        holder = claimant(wish)
        if holder is not None:
            points.award("wish_confirmed", holder, f"wish:{wish.pk}", timezone.localdate(now), note=wish.title)
        return wish
    if not note:
        raise InputError("note", "请填写群众不满意的原因")
    hours = claim_hours() if hours is None else hours
    return _move(wish, WishState.CLAIMED, by, now, f"群众不满意：{note}，重新办理，限时 {hours} 小时",
                 expect=seen, stale=CLAIM_CHANGED, fulfilled_at=None, claimed_at=now,
                 claim_expires_at=now + timedelta(hours=hours))


# --- figures ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WishCounts:
    """Wishes published (ever), claimed (held or done) and confirmed by the resident.

    Only confirmed ones count as fulfilled.
    """

    published: int
    claimed: int
    confirmed: int


CLAIMED_OR_LATER = (WishState.CLAIMED, WishState.FULFILLED, WishState.CONFIRMED)


def wish_counts(queryset: models.QuerySet[MicroWish]) -> WishCounts:
    """The three counts of ``queryset`` (already scoped) in one query."""
    figures = queryset.aggregate(
        published=Count("pk", filter=Q(published_at__isnull=False)),
        claimed=Count("pk", filter=Q(state__in=CLAIMED_OR_LATER)),
        confirmed=Count("pk", filter=Q(state=WishState.CONFIRMED)),
    )
    return WishCounts(**figures)


def claim_light(wish: MicroWish, now: datetime) -> DeadlineColour | None:
    """The green / yellow / red light of a running claim, None when the wish is not claimed."""
    if wish.state != WishState.CLAIMED or not wish.claimed_at or not wish.claim_expires_at:
        return None
    return deadline_colour(wish.claimed_at, wish.claim_expires_at, now)


def state_label(state: str) -> str:
    return WISH_LABELS[WishState(state)]
