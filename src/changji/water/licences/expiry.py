"""The daily licence work: expiry warnings, expiry itself, and the 无证取水 alarm.

``warn_and_expire(day)`` (job ``water.licences.expiry``):

* a valid licence whose ``valid_to`` comes within 90, then 30 days is warned once per threshold: the audit entry
  ``water.licence.expiring`` on the licence (detail ``days_left``, ``valid_to`` ISO, ``number``,
  ``water_user`` code), remembered in ``expiry_warned_days`` so a second run of the same day warns nobody
  (``states.due_warning``). The notices (SMS, inbox) are made from that audit action elsewhere;
* a valid or suspended licence past ``valid_to`` moves to EXPIRED by the system (``transition_licence``,
  audited ``water.licence.expired``).

``sweep_unlicensed(day)`` (job ``water.licences.unlicensed``): every extraction well with a terminal that took water
(``DailyUsage.usage_m3 > 0``) on ``day`` with no valid licence covering that day raises the alarm
``unlicensed`` (无证取水) on the well's first terminal; a well covered again clears it. It goes through the alarm
table like every rule (``alarms.evaluation.apply_signals``: raise after 1, clear after 1, a recurrence joins the
alarm being handled), so running it twice for one day raises nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from changji.core import audit, localtime
from changji.water.alarms import rules
from changji.water.alarms.evaluation import apply_signals
from changji.water.licences.service import transition_licence
from changji.water.licences.states import LIVING_STATES, WARNING_DAYS, State, due_warning
from changji.water.models import AlarmRuleState, DailyUsage, Licence, Terminal, WellKind

#: Who acts in the job's audit entries.
SYSTEM = "system"


def warn_and_expire(day: date) -> dict[str, int]:
    """Warn the licences coming due and expire the lapsed ones, as of the local ``day``; return the counts."""
    warned = 0
    horizon = date.fromordinal(day.toordinal() + max(WARNING_DAYS))
    for licence in Licence.objects.filter(state=State.VALID, valid_to__gte=day, valid_to__lte=horizon, reported_by=""):
        if _warn(licence, day):
            warned += 1
    expired = 0
    for licence in Licence.objects.filter(state__in=LIVING_STATES, valid_to__lt=day, reported_by="").order_by("pk"):
        transition_licence(licence, State.EXPIRED, SYSTEM, f"有效期已于 {licence.valid_to.isoformat()} 届满", on=day)
        expired += 1
    return {"warned": warned, "expired": expired}


@transaction.atomic
def _warn(licence: Licence, day: date) -> bool:
    licence = Licence.objects.select_for_update().select_related("water_user").get(pk=licence.pk)
    days_left = (licence.valid_to - day).days
    threshold = due_warning(days_left, licence.expiry_warned_days)
    if licence.state != State.VALID or threshold is None:
        return False
    licence.expiry_warned_days = threshold
    licence.save(update_fields=["expiry_warned_days"])
    audit.record("water.licence.expiring", actor=SYSTEM, target=licence,
                 reason=f"取水许可证 {licence.number} 将于 {days_left} 天后到期",
                 days_left=days_left, threshold_days=threshold, valid_to=licence.valid_to.isoformat(),
                 number=licence.number, water_user=licence.water_user.code)
    return True


def _covered_wells(day: date) -> dict[int, list[str]]:
    """Well id → the numbers of the licences covering ``day`` attached to it.

    A licence covers the days of its term while valid, and still does once expired (过期 is set only after
    ``valid_to``, by the expiry job, which runs before the day after the term is judged): pumping on a licence's
    last day is lawful. A suspended or revoked licence covers nothing.
    """
    through = Licence.wells.through.objects.filter(
        licence__state__in=(State.VALID, State.EXPIRED), licence__valid_from__lte=day, licence__valid_to__gte=day)
    out: dict[int, list[str]] = {}
    for well_id, number in through.values_list("well_id", "licence__number"):
        out.setdefault(well_id, []).append(number)
    return out


def sweep_unlicensed(day: date, now: datetime | None = None) -> dict[str, int]:
    """Judge 无证取水 on ``day`` for the wells that took water uncovered and the raised wells; return counts."""
    now = now or timezone.now()
    day_end = localtime.day_bounds(day)[1]
    covered = _covered_wells(day)
    used = {well_id: usage or 0.0 for well_id, usage in DailyUsage.objects.filter(  # not wells reported from below
        day=day, usage_m3__gt=0, well__kind=WellKind.EXTRACTION, well__reported_by="")
        .values_list("well_id", "usage_m3")}
    raised_terminals = set(AlarmRuleState.objects.filter(kind=rules.AlarmKind.UNLICENSED, raised=True)
                           .values_list("terminal_id", flat=True))
    candidates = {well_id for well_id in used if well_id not in covered}
    terminals = (Terminal.objects.filter(well__isnull=False, well__kind=WellKind.EXTRACTION)
                 .filter(pk__in=raised_terminals) | Terminal.objects.filter(well_id__in=candidates))
    first: dict[int, Terminal] = {}
    for terminal in terminals.select_related("well").order_by("pk"):
        assert terminal.well_id is not None
        first.setdefault(terminal.well_id, terminal)
    counts = {"wells": 0, "raised": 0, "cleared": 0}
    for well_id, terminal in first.items():
        evidence: dict[str, Any] = {"day": day.isoformat(), "usage_m3": round(used.get(well_id, 0.0), 3),
                                    "licences": sorted(covered.get(well_id, []))}
        signal = rules.unlicensed(day_end, used.get(well_id, 0.0), well_id in covered, evidence)
        if signal is None:
            continue
        raised, cleared = apply_signals(terminal, [signal], now)
        counts["wells"] += 1
        counts["raised"] += len(raised)
        counts["cleared"] += len(cleared)
    return counts
