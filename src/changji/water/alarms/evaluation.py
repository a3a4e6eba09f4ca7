"""Run the alarm rules over stored readings and keep the alarms in step (the system's half of alarms).

``rules`` is pure; this module loads a terminal's recent readings, maps them to ``rules.ReadingView``
(protocol bits included), runs ``rules.evaluate``, debounces each signal with the counters persisted
in ``AlarmRuleState`` and turns "raise" into a new OPEN alarm and "clear" into AUTO_CLEARED through
the workflow table. The operator's half (acknowledge, assign, resolve, dismiss) is ``water.alarms``.

Each terminal is evaluated in its own transaction with its counter rows locked, so two evaluators
running at once neither lose a streak nor raise the same alarm twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery

from changji.core import audit
from changji.core.localtime import local_day
from changji.core.transitions import check_transition
from changji.water.alarms import rules
from changji.water.alarms.workflow import ACTIVE_STATES, TABLE, AlarmState
from changji.water.models import Alarm, AlarmEvent, AlarmRuleState, Reading, Terminal, WellCoefficient
from changji.water.pictures.service import on_alarm_raised
from changji.water.usage.reference import coefficient_on

DEFAULT_WINDOW = timedelta(hours=1)
#: Terminals per bulk load in ``evaluate_all``: one readings query per chunk, not per terminal.
CHUNK_SIZE = 500
#: Streaks stop counting here. No rule needs more than a handful of evaluations to raise or clear,
#: so a capped counter decides the same; a quiet terminal's counters then stop changing and cost no write.
STREAK_CAP = 100

SZY206_ALARM_5_FLOWMETER_FAULT = 5  # SZY206-2016 §2.10 alarm word D5: flowmeter (water meter) fault
SZY206_ALARM_7_LEVEL_METER_FAULT = 7  # alarm word D7: water level meter fault
SL651_ZT_5_FLOWMETER_FAULT = 5  # SL651-2014 表58 bit 5: flow meter fault
SL651_ZT_6_LEVEL_METER_FAULT = 6  # 表58 bit 6: level meter fault
SL651_ERC_PARAMETER_CHANGE = "ERC2"  # SL651-2014 6.6.4.26: ERC2 counts parameter changes


def reading_view(reading: Reading, protocol: str) -> rules.ReadingView:
    """Map a stored reading to what the rules read; fault flags come from the protocol's own words.

    The canonical fields carry door, AC and pump state already; meter faults and the parameter
    change counter exist only in ``native``, where each protocol keeps them differently.
    """
    native = reading.native if isinstance(reading.native, dict) else {}
    flowmeter, level_meter = _fault_flags(native, protocol)
    return rules.ReadingView(
        reading_id=reading.pk, observed_at=reading.observed_at, received_at=reading.received_at,
        flow_m3h=reading.flow_m3h, volume_m3=reading.volume_m3, energy_kwh=reading.energy_kwh,
        battery_v=reading.battery_v, pump_on=reading.pump_on, door_open=reading.door_open,
        ac_power_lost=reading.ac_power_lost, future_dated=reading.future_dated, flowmeter_fault=flowmeter,
        level_meter_fault=level_meter, parameter_changes=_parameter_changes(native, protocol),
        late=native.get("late") is True,
    )


def _fault_flags(native: Mapping[str, Any], protocol: str) -> tuple[bool | None, bool | None]:
    """Return (flowmeter fault, level meter fault); None when the report carries no alarm/status word."""
    if protocol == Terminal.Protocol.SZY206:
        bits = native.get("alarm_bits")
        if not isinstance(bits, list):
            return None, None
        return SZY206_ALARM_5_FLOWMETER_FAULT in bits, SZY206_ALARM_7_LEVEL_METER_FAULT in bits
    word = native.get("ZT")
    if protocol != Terminal.Protocol.SL651 or isinstance(word, bool) or not isinstance(word, int):
        return None, None
    return bool(word >> SL651_ZT_5_FLOWMETER_FAULT & 1), bool(word >> SL651_ZT_6_LEVEL_METER_FAULT & 1)


#: The meter-fault flags of a reading's ``native`` words (the KPI derivation reads them from plain rows).
fault_flags = _fault_flags


def _parameter_changes(native: Mapping[str, Any], protocol: str) -> int | None:
    """Return the SL651 ERC2 counter when the reading carries the event record, else None."""
    events = native.get("events")
    if protocol != Terminal.Protocol.SL651 or not isinstance(events, dict):
        return None
    count = events.get(SL651_ERC_PARAMETER_CHANGE)
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def load_windows(terminal_ids: Sequence[int], now: datetime,
                 window: timedelta = DEFAULT_WINDOW) -> dict[int, list[Reading]]:
    """Return each terminal's readings in [now - window, now] plus the newest one before the window.

    The earlier reading lets OFFLINE see how long a silent terminal has been silent and gives the
    first in-window reading a predecessor for register deltas. Only readings received by ``now``
    count, so evaluating a past instant sees what was known then. Future-dated readings (clock
    ahead) are kept: CLOCK_DRIFT judges them.
    """
    start = now - window
    before = (Reading.objects.filter(terminal=OuterRef("pk"), observed_at__lt=start, received_at__lte=now)
              .order_by("-observed_at").values("pk")[:1])
    earlier = [pk for pk in Terminal.objects.filter(pk__in=terminal_ids).annotate(prev=Subquery(before))
               .values_list("prev", flat=True) if pk is not None]
    readings = Reading.objects.filter(
        Q(terminal_id__in=terminal_ids, observed_at__gte=start, received_at__lte=now) | Q(pk__in=earlier)
    ).order_by("terminal_id", "observed_at")
    windows: dict[int, list[Reading]] = defaultdict(list)
    for reading in readings:
        windows[reading.terminal_id].append(reading)
    return windows


def _coefficients_on(well_ids: Iterable[int], now: datetime) -> dict[int, float | None]:
    """Return each well's 以电折水 coefficient in force on the local day of ``now``."""
    by_well: dict[int, list[WellCoefficient]] = defaultdict(list)
    for coefficient in WellCoefficient.objects.filter(well_id__in=list(well_ids)).order_by("well_id", "-valid_from"):
        by_well[coefficient.well_id].append(coefficient)
    day = local_day(now)
    return {well_id: coefficient_on(rows, day) for well_id, rows in by_well.items()}


def well_context(terminal: Terminal, coefficient: float | None, quota_share: float | None) -> rules.WellContext:
    """Build what the rules know about the well: reporting interval, nameplate and coefficient."""
    well = terminal.well
    return rules.WellContext(
        expected_interval_s=terminal.report_interval_s,
        rated_flow_m3h=well.pump_rated_flow_m3h if well else None,
        rated_power_kw=well.pump_rated_power_kw if well else None,
        coefficient_m3_per_kwh=coefficient,
        quota_share=quota_share,
    )


def evaluate_terminal(terminal: Terminal, now: datetime, window: timedelta = DEFAULT_WINDOW,
                      quota_share: float | None = None) -> list[Alarm]:
    """Evaluate one terminal at ``now``; return the alarms raised or cleared by this evaluation.

    ``quota_share`` (used / allocated water) is judged only when the caller supplies it: the quota
    sweep knows it, the reading stream does not.
    """
    readings = load_windows([terminal.pk], now, window).get(terminal.pk, [])
    coefficient = _coefficients_on([terminal.well_id], now).get(terminal.well_id) if terminal.well_id else None
    raised, cleared = _evaluate(terminal, readings, well_context(terminal, coefficient, quota_share), now)
    return raised + cleared


def evaluate_all(now: datetime, window: timedelta = DEFAULT_WINDOW,
                 quota_shares: Mapping[int, float] | None = None) -> dict[str, int]:
    """Evaluate every terminal installed on a well; return counts of terminals, raised and cleared.

    Readings and coefficients are loaded per chunk of terminals (two queries each), and each terminal
    is then settled in its own short transaction. ``quota_shares`` maps well id to used/allocated.
    """
    shares = quota_shares or {}
    counts = {"terminals": 0, "raised": 0, "cleared": 0}
    # Terminals reported from below (water.sharing) are judged by the level whose gateway they dial in to.
    terminals = (Terminal.objects.filter(well__isnull=False, reported_by="").select_related("well", "region")
                 .order_by("pk"))
    last_pk = 0
    while chunk := list(terminals.filter(pk__gt=last_pk)[:CHUNK_SIZE]):
        last_pk = chunk[-1].pk
        windows = load_windows([t.pk for t in chunk], now, window)
        coefficients = _coefficients_on({t.well_id for t in chunk if t.well_id is not None}, now)
        for terminal in chunk:
            well_id = terminal.well_id
            assert well_id is not None  # the query above keeps the terminals installed on a well
            context = well_context(terminal, coefficients.get(well_id), shares.get(well_id))
            raised, cleared = _evaluate(terminal, windows.get(terminal.pk, []), context, now)
            counts["terminals"] += 1
            counts["raised"] += len(raised)
            counts["cleared"] += len(cleared)
    return counts


def _evaluate(terminal: Terminal, readings: Sequence[Reading], context: rules.WellContext,
              now: datetime) -> tuple[list[Alarm], list[Alarm]]:
    views = [reading_view(reading, terminal.protocol) for reading in readings]
    return _apply(terminal, rules.evaluate(views, context, now), now)


def apply_signals(terminal: Terminal, signals: Sequence[rules.Signal], now: datetime
                  ) -> tuple[list[Alarm], list[Alarm]]:
    """Debounce and act on signals judged elsewhere (a sweep's ``rules.SWEPT_KINDS``); return (raised, cleared)."""
    return _apply(terminal, signals, now)


@transaction.atomic
def _apply(terminal: Terminal, signals: Sequence[rules.Signal], now: datetime) -> tuple[list[Alarm], list[Alarm]]:
    """Debounce every signal against its locked counter, act on the decisions, store changed counters."""
    raised: list[Alarm] = []
    cleared: list[Alarm] = []
    counters = _lock_counters(terminal, [signal.kind for signal in signals])
    changed = []
    for signal in signals:
        row = counters[signal.kind]
        before = rules.AlarmCounter(row.active_streak, row.inactive_streak, row.raised)
        after, action = rules.debounce(before, signal, rules.RULES[signal.kind])
        row.active_streak = min(after.active_streak, STREAK_CAP)
        row.inactive_streak = min(after.inactive_streak, STREAK_CAP)
        row.raised = after.raised
        if (row.active_streak, row.inactive_streak, row.raised) != (
                before.active_streak, before.inactive_streak, before.raised):
            changed.append(row)
        if action == "raise" and (alarm := _raise(terminal, signal)) is not None:
            raised.append(alarm)
        elif action == "clear":
            cleared.extend(_clear(terminal, signal, now))
    if changed:
        AlarmRuleState.objects.bulk_update(changed, ["active_streak", "inactive_streak", "raised"])
    return raised, cleared


def _lock_counters(terminal: Terminal, kinds: Sequence[str]) -> dict[str, AlarmRuleState]:
    """Return the terminal's counter rows for ``kinds``, locked; missing rows are created first.

    Creation ignores conflicts so a concurrent evaluator creating the same row is not an error.
    """
    names = [str(kind) for kind in kinds]
    locked = AlarmRuleState.objects.select_for_update().filter(terminal=terminal)
    rows = {row.kind: row for row in locked.filter(kind__in=names)}
    missing = [name for name in names if name not in rows]
    if missing:
        AlarmRuleState.objects.bulk_create([AlarmRuleState(terminal=terminal, kind=name) for name in missing],
                                           ignore_conflicts=True)
        rows.update({row.kind: row for row in locked.filter(kind__in=missing)})
    return rows


def _raise(terminal: Terminal, signal: rules.Signal) -> Alarm | None:
    """Open an alarm for the signal, unless one of its kind is still being handled.

    A recurrence while an alarm is handled joins that alarm: if it had recovered (``cleared_at``
    set while ASSIGNED), the condition is active again, so ``cleared_at`` is reset.
    """
    handled = Alarm.objects.select_for_update().filter(terminal=terminal, kind=signal.kind, state__in=ACTIVE_STATES)
    existing = handled.first()
    if existing is not None:
        if existing.cleared_at is not None:
            existing.cleared_at = None
            existing.save(update_fields=["cleared_at"])
        return None
    alarm = Alarm.objects.create(
        terminal=terminal, well=terminal.well, kind=signal.kind, severity=signal.severity, state=AlarmState.OPEN,
        raised_at=signal.at, reading_id=signal.reading_id, evidence=dict(signal.evidence),
    )
    record_step(alarm, "", AlarmState.OPEN, None, rules.RULES[signal.kind].title, terminal=terminal)
    on_alarm_raised(alarm)  # a picture of the well when the picture policy takes one on this kind
    return alarm


def _clear(terminal: Terminal, signal: rules.Signal, now: datetime) -> list[Alarm]:
    """Record recovery on the kind's handled alarms; close those the workflow lets the system close.

    An ASSIGNED alarm keeps its state (someone is on the way and must report what they found) and
    only gets ``cleared_at``.
    """
    alarms = list(Alarm.objects.select_for_update().filter(terminal=terminal, kind=signal.kind, state__in=ACTIVE_STATES,
                                                          cleared_at__isnull=True))
    for alarm in alarms:
        alarm.cleared_at = signal.at
        current = AlarmState(alarm.state)
        if not TABLE.allows(current, AlarmState.AUTO_CLEARED):
            alarm.save(update_fields=["cleared_at"])
            continue
        check_transition(TABLE, current, AlarmState.AUTO_CLEARED, by_system=True)
        alarm.state, alarm.closed_at = AlarmState.AUTO_CLEARED, now
        alarm.save(update_fields=["cleared_at", "state", "closed_at"])
        record_step(alarm, current, AlarmState.AUTO_CLEARED, None, "条件已恢复", terminal=terminal)
    return alarms


def record_step(alarm: Alarm, from_state: str, to_state: str, by: Any, note: str = "",
                terminal: Terminal | None = None, **detail: Any) -> AlarmEvent:
    """Append one history event and its audit entry ``water.alarm.<state>``; ``by=None`` is the system.

    Both the system and the operators' service go through here so the history and the audit log
    never disagree.
    """
    is_user = getattr(by, "is_authenticated", False)
    event = AlarmEvent.objects.create(
        alarm=alarm, from_state=str(from_state), to_state=str(to_state), by=by if is_user else None,
        by_name=by.get_username() if is_user else str(by or audit.SYSTEM_ACTOR), note=note,
    )
    region = (terminal or alarm.terminal).region
    audit.record(f"water.alarm.{to_state}", actor=by, target=alarm, region=region, reason=note,
                 kind=alarm.kind, from_state=str(from_state), terminal=(terminal or alarm.terminal).address, **detail)
    return event
