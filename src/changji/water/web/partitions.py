"""历史分区 pages: the monthly partitions of raw frames and readings, created ahead and detached for archive.

Prefecture administrators only (``P.WATER_ARCHIVE_MANAGE``): the list shows both tables' month partitions with
their estimated rows, size and whether they are attached; "创建后续分区" runs ``water.partitions.ensure`` now,
and detaching a month goes through a confirmation page that says what the month holds and whether it may go
(``water.partitions.check_detachable``). Every change is audited by the service; every POST redirects. On
SQLite the page says that partitioning is a PostgreSQL feature.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from changji.core import params
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.water import partitions

MONTH = params.Code(r"\d{4}-(0[1-9]|1[0-2])", "月份（YYYY-MM）")


def _months() -> list[dict[str, object]]:
    """One row per month (newest first) with the frame and reading partitions of it side by side."""
    rows: dict[date | None, dict[str, object]] = {}
    for part in partitions.list_partitions():
        row = rows.setdefault(part.month, {"month": part.month})
        row["frame" if part.table == "water_frame" else "reading"] = part
    return sorted(rows.values(), key=lambda r: r["month"] or date.max, reverse=True)  # type: ignore[arg-type,return-value]


@route(get=P.WATER_ARCHIVE_MANAGE, post=P.WATER_ARCHIVE_MANAGE)
def partition_list(request: HttpRequest) -> HttpResponse:
    """Both tables' partitions by month; POST creates the coming months' partitions now."""
    supported = partitions.supported()
    if request.method == "POST" and supported:
        counts = partitions.ensure(actor=request.user)
        messages.success(request, f"已检查后续 {partitions.MONTHS_AHEAD} 个月的分区：新建 {counts['created']} 个，"
                                  f"从默认分区移入 {counts['moved']} 行")
        return redirect("water:partitions")
    return render(request, "water/partitions.html", {
        "supported": supported, "rows": _months() if supported else [],
        "months_ahead": partitions.MONTHS_AHEAD, "open_months": partitions.OPEN_MONTHS,
    })


@route(get=P.WATER_ARCHIVE_MANAGE, post=P.WATER_ARCHIVE_MANAGE)
def partition_detach(request: HttpRequest) -> HttpResponse:
    """Confirm, then detach one month of both tables for archive (``?month=YYYY-MM``)."""
    data = request.POST if request.method == "POST" else request.GET
    text = params.parse(data, {"month": MONTH})["month"]
    if text is None:
        raise params.ParamError("month", "请选择要归档的月份")
    month = partitions.parse_month(text)
    if request.method == "POST":
        result = partitions.detach(month, actor=request.user)
        messages.success(request, f"已归档 {month:%Y-%m}：读数 {result.get('water_reading', 0)} 行、原始报文 "
                                  f"{result.get('water_frame', 0)} 条，已转为独立表，可导出后删除")
        return redirect("water:partitions")
    refusal = None
    try:
        partitions.check_detachable(month)
    except Refusal as error:
        refusal = error.message
    parts = [p for p in partitions.list_partitions() if p.month == month]
    return render(request, "water/partition_detach.html", {"month": month, "parts": parts, "refusal": refusal})
