"""Waiting figures of the hall: per service type and per window over a range of local days.

For each group: tickets taken, served (done), missed (no_show), and in minutes the average and 90th percentile
of the waiting time (taken → first called) and of the service time (called → finished, of the tickets served).
The p90 is the nearest-rank percentile. A ticket never called belongs to no window: it counts in its service
type and in the window row "未叫号". The figures are read from the (already scoped) tickets in one query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet

from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.services.models import QueueTicket, TicketState
from changji.services.queue import SERVICE_TYPE_LABELS

__all__ = ["QueueFigures", "QueueRow", "percentile", "queue_figures", "to_xlsx"]

NOT_CALLED = "未叫号"
HEADER = ("分组", "取号数", "已办结", "过号", "平均等候（分钟）", "P90 等候（分钟）", "平均办理（分钟）",
          "P90 办理（分钟）")


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile ``share`` (0 < share ≤ 1) of ``values``; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class QueueRow:
    """One group's figures (a service type or a window)."""

    key: str
    label: str
    tickets: int = 0
    served: int = 0
    no_shows: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    services: list[float] = field(default_factory=list, repr=False)

    @property
    def wait_avg_minutes(self) -> float | None:
        return _mean(self.waits)

    @property
    def wait_p90_minutes(self) -> float | None:
        return percentile(self.waits, 0.9)

    @property
    def service_avg_minutes(self) -> float | None:
        return _mean(self.services)

    @property
    def service_p90_minutes(self) -> float | None:
        return percentile(self.services, 0.9)

    def add(self, state: str, taken: datetime, called: datetime | None, finished: datetime | None) -> None:
        self.tickets += 1
        self.served += state == TicketState.DONE
        self.no_shows += state == TicketState.NO_SHOW
        if called is not None:
            self.waits.append((called - taken).total_seconds() / 60)
            if state == TicketState.DONE and finished is not None:
                self.services.append((finished - called).total_seconds() / 60)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "tickets": self.tickets, "served": self.served,
                "no_shows": self.no_shows, "wait_avg_minutes": _round(self.wait_avg_minutes),
                "wait_p90_minutes": _round(self.wait_p90_minutes),
                "service_avg_minutes": _round(self.service_avg_minutes),
                "service_p90_minutes": _round(self.service_p90_minutes)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class QueueFigures:
    first: date
    last: date
    total: QueueRow
    by_type: list[QueueRow]
    by_window: list[QueueRow]


def queue_figures(tickets: QuerySet[QueueTicket], first: date, last: date) -> QueueFigures:
    """The figures of ``tickets`` (scoped by the caller) taken on local days ``first``..``last``."""
    rows = (tickets.filter(local_day__gte=first, local_day__lte=last)
            .values_list("service_type", "state", "taken_at", "called_at", "finished_at", "window__number",
                         "window__name", "window__region__name"))
    total = QueueRow("total", "合计")
    by_type: dict[str, QueueRow] = {}
    by_window: dict[str, QueueRow] = {}
    regions = {row[7] for row in rows if row[7]}
    for service_type, state, taken, called, finished, number, name, region in rows:
        total.add(state, taken, called, finished)
        label = SERVICE_TYPE_LABELS.get(service_type, service_type)
        by_type.setdefault(service_type, QueueRow(service_type, label)).add(state, taken, called, finished)
        if number is None:
            key, window_label = "", NOT_CALLED
        else:
            key = f"{region}-{number}"
            window_label = f"{region + ' ' if len(regions) > 1 else ''}{number}号窗口 {name}"
        by_window.setdefault(key, QueueRow(key, window_label)).add(state, taken, called, finished)
    order = list(SERVICE_TYPE_LABELS)
    types = sorted(by_type.values(), key=lambda r: order.index(r.key) if r.key in order else len(order))
    windows = sorted(by_window.values(), key=lambda r: (r.key == "", r.label))
    return QueueFigures(first, last, total, types, windows)


def _values(row: QueueRow) -> list[Any]:
    data = row.as_dict()
    return [row.label, row.tickets, row.served, row.no_shows, data["wait_avg_minutes"], data["wait_p90_minutes"],
            data["service_avg_minutes"], data["service_p90_minutes"]]


def to_xlsx(figures: QueueFigures) -> bytes:
    """Two sheets, by service type and by window, each with the total last."""
    book = FormulaSafeWorkbook()
    first_sheet = active_worksheet(book)
    first_sheet.title = "按业务类别"
    second_sheet = book.create_sheet("按窗口")
    for sheet, rows in ((first_sheet, figures.by_type), (second_sheet, figures.by_window)):
        append_row(sheet, [f"{figures.first} 至 {figures.last}"])
        append_row(sheet, HEADER)
        for row in [*rows, figures.total]:
            append_row(sheet, _values(row))
    return workbook_bytes(book)
