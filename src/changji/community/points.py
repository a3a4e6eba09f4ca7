"""Points (积分) of party members and co-building units: the rule table, the ledger, and period rankings.

A deed earns points by one line of the rule table (``PointRule``); the ledger (``PointEntry``) is
append-only and keyed by (holder, rule, source), so the same deed is never credited twice however
often ``award`` is called. A community's ranking for any span of days is computed live from the
ledger; closing a period (``PointPeriod``) writes its ranking once (``PeriodRanking``) and from then on
that frozen ranking is what the period shows, even if late entries dated inside it arrive.

Ranking is *competition ranking* ("1224"): holders with equal points share a rank and the next
rank skips as many places as were shared, as in sports tables; equal holders are listed by name.
Only holders with at least one ledger line in the span appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Sum

from changji.community.actors import InputError, check_community_level
from changji.community.models import CoBuildingUnit, PartyMember, PeriodRanking, PointEntry, PointPeriod, PointRule
from changji.core import audit
from changji.core.models import Region

#: The default rule table (code, name, points). ``activity_hours`` is per whole hour given (``quantity``).
DEFAULT_RULES: tuple[tuple[str, str, int], ...] = (
    ("wish_confirmed", "认领微心愿并经群众确认实现", 10),
    ("activity_participation", "参加一次微行动", 5),
    ("activity_hours", "微行动服务时长（每满1小时）", 1),
    ("agreement_signed", "签订年度一书四单", 20),
    ("agreement_entry_done", "完成一书四单清单事项", 5),
    ("post_claimed", "党员认领岗位（认岗）", 2),
)

HOLDER_KINDS = {"member": "党员", "unit": "共建单位"}


def seed_rules() -> int:
    """Create the default rules that are missing (existing ones, possibly edited, are kept); return how many."""
    created = 0
    for code, name, value in DEFAULT_RULES:
        _, made = PointRule.objects.get_or_create(code=code, defaults={"name": name, "points": value})
        created += made
    return created


def _holder_fields(holder: PartyMember | CoBuildingUnit) -> dict[str, Any]:
    if isinstance(holder, PartyMember):
        return {"member": holder}
    if isinstance(holder, CoBuildingUnit):
        return {"unit": holder}
    raise TypeError(f"points are earned by a PartyMember or a CoBuildingUnit, not {type(holder).__name__}")


def award(rule_code: str, holder: PartyMember | CoBuildingUnit, source: str, earned_on: date, note: str = "",
          quantity: int = 1) -> PointEntry | None:
    """Credit ``holder`` with the rule's points × ``quantity`` for ``source`` ("wish:17"); once per deed.

    Returns the new entry, or the existing one when this holder already earned this rule for this
    source. Returns None (nothing credited) when the rule is inactive or ``quantity`` is not positive.
    The default rules are seeded on first use.
    """
    holder_fields = _holder_fields(holder)
    rule = PointRule.objects.filter(code=rule_code).first()
    if rule is None and rule_code in {code for code, _, _ in DEFAULT_RULES}:
        seed_rules()
        rule = PointRule.objects.get(code=rule_code)
    if rule is None:
        raise InputError("rule", f"未知的积分规则：{rule_code}")
    if not rule.active or quantity <= 0:
        return None
    existing = PointEntry.objects.filter(rule=rule, source=source, **holder_fields).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PointEntry.objects.create(region_id=holder.region_id, rule=rule, points=rule.points * quantity,
                                             earned_on=earned_on, source=source, note=note[:255], **holder_fields)
    except IntegrityError:  # a concurrent award of the same deed won
        return PointEntry.objects.get(rule=rule, source=source, **holder_fields)


@dataclass(frozen=True)
class RankRow:
    """One line of a ranking: live or frozen."""

    rank: int
    holder_kind: str
    holder_id: int
    holder_name: str
    points: int


def competition_ranks(totals: list[tuple[int, str, int]], kind: str) -> list[RankRow]:
    """Rank ``(holder_id, name, points)`` rows, highest first: ties share a rank, the next rank skips ("1224")."""
    ordered = sorted(totals, key=lambda row: (-row[2], row[1], row[0]))
    rows: list[RankRow] = []
    for position, (holder_id, name, value) in enumerate(ordered, start=1):
        rank = rows[-1].rank if rows and rows[-1].points == value else position
        rows.append(RankRow(rank, kind, holder_id, name, value))
    return rows


def ranking(region: Region, starts_on: date, ends_on: date, kind: str) -> list[RankRow]:
    """The live ranking of ``kind`` ("member" or "unit") within ``region`` for entries earned in [starts_on, ends_on].

    One grouped query over the ledger.
    """
    if kind not in HOLDER_KINDS:
        raise InputError("kind", f"未知的排名类别：{kind}")
    entries = PointEntry.objects.filter(region__path__startswith=region.path, earned_on__gte=starts_on,
                                        earned_on__lte=ends_on, **{f"{kind}__isnull": False})
    totals = entries.values(f"{kind}_id", f"{kind}__name").annotate(total=Sum("points"))
    return competition_ranks([(row[f"{kind}_id"], row[f"{kind}__name"], row["total"]) for row in totals], kind)


@transaction.atomic
def create_period(community: Region, name: str, starts_on: date, ends_on: date, *, actor: Any) -> PointPeriod:
    """Open a ranking period (积分周期) of a community."""
    check_community_level(actor, community)
    if not (name or "").strip():
        raise InputError("name", "请填写周期名称")
    if ends_on < starts_on:
        raise InputError("ends_on", "结束日期不能早于开始日期")
    period = PointPeriod.objects.create(region=community, name=name.strip(), starts_on=starts_on, ends_on=ends_on)
    audit.record("community.point_period.created", actor=actor, target=period, region=community,
                 starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    return period


@transaction.atomic
def close_period(period: PointPeriod, now: datetime, *, actor: Any) -> list[RankRow]:
    """结算: freeze the period's member and unit rankings as they stand at ``now``; a period closes once."""
    period = PointPeriod.objects.select_for_update().select_related("region").get(pk=period.pk)
    check_community_level(actor, period.region)
    if period.closed_at is not None:
        raise InputError("period", f"“{period.name}”已于 {period.closed_at:%Y-%m-%d %H:%M} 结算")
    rows = [row for kind in HOLDER_KINDS for row in ranking(period.region, period.starts_on, period.ends_on, kind)]
    PeriodRanking.objects.bulk_create(
        PeriodRanking(period=period, rank=r.rank, holder_kind=r.holder_kind, holder_id=r.holder_id,
                      holder_name=r.holder_name[:128], points=r.points) for r in rows)
    period.closed_at = now
    period.save(update_fields=["closed_at"])
    audit.record("community.point_period.closed", actor=actor, target=period, region=period.region,
                 holders=len(rows))
    return rows


def period_ranking(period: PointPeriod, kind: str | None = None) -> list[RankRow]:
    """The period's ranking: frozen rows once closed, else live from the ledger; ``kind`` narrows to one table."""
    kinds = [kind] if kind else list(HOLDER_KINDS)
    if period.closed_at is not None:
        frozen = PeriodRanking.objects.filter(period=period, holder_kind__in=kinds)
        rows = [RankRow(r.rank, r.holder_kind, r.holder_id, r.holder_name, r.points) for r in frozen]
        return sorted(rows, key=lambda r: (kinds.index(r.holder_kind), r.rank, r.holder_name))
    return [row for k in kinds for row in ranking(period.region, period.starts_on, period.ends_on, k)]


def ledger(holder: PartyMember | CoBuildingUnit) -> models.QuerySet[PointEntry]:
    """The holder's ledger lines, newest first."""
    return PointEntry.objects.filter(**_holder_fields(holder)).select_related("rule").order_by("-earned_on", "-pk")
