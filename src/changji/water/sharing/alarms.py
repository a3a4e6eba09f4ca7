"""The ``alarms`` stream: each alarm as it now stands, with its handling history (AlarmEvents).

Key ``<protocol>:<address>|<kind>|<raised_at>`` (the terminal's natural key, the alarm kind of
``water.alarms.rules.AlarmKind`` and the UTC instant it was raised). The payload is the alarm's snapshot and all
its events (``at``, ``from_state``, ``to_state``, ``by_name``, ``note``), so the upstream's alarm centre shows the
same state and history; accounts (assignee, actor) travel as names only. An alarm is recorded when it or one of
its events is saved (``water.sharing.receivers``): raised, acknowledged, assigned, cleared, closed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from changji.water.models import Alarm, AlarmEvent, Terminal, Well
from changji.water.sharing import capture, wire
from changji.water.sharing.outbox import Change, record_many
from changji.water.sharing.streams import ApplyResult, Row, Stream, register

STREAM = "alarms"
FIELDS = ("kind", "severity", "state", "result")
INSTANTS = ("raised_at", "cleared_at", "due_at", "closed_at")


def alarm_key(protocol: str, address: str, kind: str, raised_at: str) -> str:
    return wire.compound(wire.terminal_key(protocol, address), kind, raised_at)


def alarm_change(alarm: Alarm) -> Change:
    """The alarm's snapshot with its history."""
    terminal = Terminal.objects.filter(pk=alarm.terminal_id).values_list("protocol", "address", "region_id").get()
    well_code = Well.objects.filter(pk=alarm.well_id).values_list("code", flat=True).first() if alarm.well_id else None
    events = [{"at": wire.instant(at), "from_state": from_state, "to_state": to_state, "by_name": by_name,
               "note": note}
              for at, from_state, to_state, by_name, note in
              AlarmEvent.objects.filter(alarm_id=alarm.pk).order_by("at", "pk")
              .values_list("at", "from_state", "to_state", "by_name", "note")]
    raised = wire.instant(alarm.raised_at) or ""
    payload = {"terminal": wire.terminal_key(terminal[0], terminal[1]), "well_code": well_code,
               **{name: getattr(alarm, name) for name in FIELDS},
               **{name: wire.instant(getattr(alarm, name)) for name in INSTANTS},
               "evidence": dict(alarm.evidence or {}), "events": events, "changed_at": capture.stamp()}
    return Change(STREAM, alarm_key(terminal[0], terminal[1], alarm.kind, raised), terminal[2], payload)


def _apply_one(row: Row, source: str) -> Alarm:
    """Upsert one alarm and the events it does not have yet; raise LookupError for an unknown terminal."""
    p = row.payload
    protocol, address = wire.split_terminal_key(p["terminal"])
    terminal = Terminal.objects.filter(protocol=protocol, address=address).first()
    if terminal is None:
        raise LookupError(f"未知终端 {address}，请先上报终端档案")
    if terminal.reported_by != source:
        raise LookupError(f"终端 {address} 不是该下级平台上报的终端")
    raised_at = wire.required_instant(p["raised_at"])
    well = Well.objects.filter(code=p["well_code"]).first() if p.get("well_code") else None
    values = {**{name: p[name] for name in FIELDS}, "evidence": p.get("evidence") or {}, "well": well,
              **{name: wire.parse_instant(p.get(name)) for name in INSTANTS if name != "raised_at"}}
    alarm = Alarm.objects.filter(terminal=terminal, kind=p["kind"], raised_at=raised_at).first()
    if alarm is None:
        alarm = Alarm.objects.create(terminal=terminal, raised_at=raised_at, **values)
    else:
        for name, value in values.items():
            setattr(alarm, name, value)
        alarm.save()
    have = {(wire.instant(at), to_state) for at, to_state in alarm.events.values_list("at", "to_state")}
    for event in p.get("events") or []:
        if (event["at"], event["to_state"]) in have:
            continue
        created = AlarmEvent.objects.create(alarm=alarm, from_state=event.get("from_state") or "",
                                            to_state=event["to_state"], by_name=event.get("by_name") or "",
                                            note=event.get("note") or "")
        AlarmEvent.objects.filter(pk=created.pk).update(at=wire.parse_instant(event["at"]))  # ``at`` is auto_now_add
    return alarm


def apply(rows: Sequence[Row], source: str) -> ApplyResult:
    """Upsert alarms by (terminal, kind, raised_at); re-push them upward in one statement."""
    result = ApplyResult()
    applied: list[Alarm] = []
    with capture.quiet():
        for row in wire.latest_per_key(rows):
            try:
                with transaction.atomic():
                    applied.append(_apply_one(row, source))
            except LookupError as error:
                result.refused.append((row.key, str(error).strip("'\"")))
            except (KeyError, ValueError, TypeError) as error:
                result.refused.append((row.key, f"内容不完整或格式错误：{error}"))
    result.applied = len(applied)
    record_many(alarm_change(alarm) for alarm in applied)
    return result


STREAM_DEF = Stream(STREAM, "告警及处理记录", apply, order=30)


def register_stream() -> Stream:
    return register(STREAM_DEF)
