"""The ``kpi`` stream: each terminal's day (TerminalDay), the input of 设备完好率, 数据上线率 and 数据准确率.

Key ``<protocol>:<address>|<YYYY-MM-DD>``. The upstream's KPI pages compute their rates from the same rows
(``water.kpi.terminal_days.kpi_sums_by_region``) together with the terminals' ``installed_on`` and
``accepted_on`` (registry stream) and the daily usage (usage stream, for 数据准确率's 水电一致 comparison), so a
prefecture shows the same figures for a county as the county itself. Written by
``kpi.terminal_days.refresh_terminal_days``, one statement per refresh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from django.db import transaction

from changji.water.models import Terminal, TerminalDay
from changji.water.sharing import capture, wire
from changji.water.sharing.outbox import Change, record_many
from changji.water.sharing.streams import ApplyResult, Row, Stream, register

STREAM = "kpi"
FIELDS = ("expected_reports", "received_reports", "readings_valid", "faulty", "condition", "condition_cause",
          "readings_rejected_late", "invalid_by_reason")


def record_terminal_days(terminal: Terminal, rows: Iterable[TerminalDay]) -> int:
    """Record a terminal's refreshed days in one statement."""
    key = wire.terminal_key(terminal.protocol, terminal.address)
    stamp = capture.stamp()
    return record_many(
        Change(STREAM, wire.compound(key, row.day.isoformat()), terminal.region_id,
               {"terminal": key, "day": row.day.isoformat(), **{name: getattr(row, name) for name in FIELDS},
                "changed_at": stamp})
        for row in rows)


def apply(rows: Sequence[Row], source: str) -> ApplyResult:
    """Upsert terminal-days of terminals the sender reported, two statements per terminal; re-push upward."""
    result = ApplyResult()
    by_terminal: dict[str, dict[date, Row]] = defaultdict(dict)
    for row in wire.latest_per_key(rows):
        try:
            key, day = wire.split(row.key, 2)
            by_terminal[key][date.fromisoformat(day)] = row
        except ValueError:
            result.refused.append((row.key, "终端日统计的键格式错误"))
    accepted: list[Row] = []
    with transaction.atomic():
        for key, days in by_terminal.items():
            protocol, address = wire.split_terminal_key(key)
            terminal = Terminal.objects.filter(protocol=protocol, address=address, reported_by=source).first()
            if terminal is None:
                result.refused += [(r.key, f"未知终端 {address}，或该终端不是该下级平台上报的，请先上报终端档案")
                                   for r in days.values()]
                continue
            try:
                new = [TerminalDay(terminal=terminal, day=day, **{name: r.payload[name] for name in FIELDS})
                       for day, r in days.items() if not r.deleted]
            except KeyError as error:
                result.refused += [(r.key, f"内容不完整：缺少 {error}") for r in days.values()]
                continue
            TerminalDay.objects.filter(terminal=terminal, day__in=list(days)).delete()
            TerminalDay.objects.bulk_create(new)
            accepted += days.values()
    result.applied = len(accepted)
    record_many(Change(STREAM, r.key, r.region_code, dict(r.payload), r.deleted) for r in accepted)
    return result


STREAM_DEF = Stream(STREAM, "终端日统计（完好率、上线率、准确率）", apply, order=40)


def register_stream() -> Stream:
    return register(STREAM_DEF)
