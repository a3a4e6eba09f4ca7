"""Case statistics (办件统计) of a region over a period: per bundle, per department, per month, and in total.

Cases are those *submitted* in ``[first, last]`` (local days, Asia/Shanghai) within the region and below it
(``region.path`` prefix). Each row carries:

* case figures — ``cases``, ``online`` and ``online_share`` (channel 网上 / all cases), ``rated``,
  ``rating_avg`` (mean 1–5) and ``good_share`` (share of ratings >= 4). Per department a case counts once
  however many of its items that department handles;
* sub-case (分办件) figures, where the clock runs — ``sub_cases``, ``decided`` (a decision date, i.e. approved,
  refused or committed), ``open`` (pending or claimed), ``overdue`` (decided on a local day after ``due_on``, or
  still open and ``due_on`` before ``today``) and ``overdue_rate`` (overdue / (decided + open): a sub-case
  withdrawn because the case failed has no clock and counts in neither);
* handling time of the decided sub-cases, in working days (工作日): ``handling_days_avg`` counts
  ``workdays.working_days_between(accepted_on, decided day)``: the clock runs from acceptance, so the
  working days spent waiting for 补齐补正 (``suspended_days``, before acceptance) are outside it;
  against ``promised_days_avg`` and ``statutory_days_avg``, the limits that applied
  (counted from acceptance to the stored ``due_on`` / ``legal_due_on``, so a later catalogue edit does not
  rewrite history).

The database does the grouping, in three queries whatever the period: cases by (bundle, month); a department's
distinct cases; sub-cases by (bundle, department, month, acceptance day, decision day, due days, suspension, open).
The few thousand distinct groups are rolled up into the three tables in Python, where the working days are counted
from a per-day table of ``workdays.is_working_day``. The local month is found by comparing with each month's first
instant in Shanghai, and the decision day natively on SQLite (``_LocalDay``): no Python callback per row.
``to_xlsx`` writes the three tables as a workbook with Chinese headers and units.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import BooleanField, CharField, Count, F, Q, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import TruncDate
from openpyxl.styles import Font

from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.services import workdays
from changji.services.models import Case, Channel, SubCase
from changji.services.workflow import CaseState, SubCaseState

__all__ = ["case_statistics", "to_xlsx"]

OPEN_STATES = (SubCaseState.PENDING, SubCaseState.CLAIMED)

#: Raw counters kept per row (summable across rows); the shares and averages are derived from them.
_COUNTERS = ("cases", "online", "rated", "rating_sum", "good", "accepted", "refused", "sub_cases", "decided", "open",
             "overdue", "handling_sum", "promised_sum", "statutory_sum")


class _LocalDay(TruncDate):
    """The Asia/Shanghai calendar day of a datetime: ``TruncDate`` in Shanghai, but native SQL on SQLite.

    Django's SQLite time-zone functions are Python callbacks, one per row (most of the cost of a year's statistics);
    Shanghai has kept UTC+8 without daylight saving since 1991, so SQLite's own ``date(x, '+8 hours')`` on the stored
    UTC text gives the same day.
    """

    def __init__(self, expression: str) -> None:
        super().__init__(expression, tzinfo=workdays.SHANGHAI)

    # The params stay a list, as ``compiler.compile`` gives them; django-stubs declares a tuple for this override.
    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, '+8 hours')", list(params)


def _working_days(days: list[date]) -> Callable[[date, date], int]:
    """``workdays.working_days_between`` for dates between the earliest and latest of ``days``, from a table.

    A year of statistics asks for thousands of (start, end) pairs over the same few hundred days; asking
    ``workdays.is_working_day`` once per calendar day and keeping a running count gives the same answer (the
    working days in the half-open interval (start, end]) at a fraction of the cost.
    """
    if not days:
        return workdays.working_days_between
    origin, last = min(days), max(days)
    running = [0]  # running[i]: working days in (origin, origin + i]
    for offset in range(1, (last - origin).days + 1):
        running.append(running[-1] + workdays.is_working_day(origin + timedelta(days=offset)))

    def between(start: date, end: date) -> int:
        if end <= start:
            return 0
        return running[(end - origin).days] - running[(start - origin).days]

    return between


def _rating_counts(prefix: str, distinct_by: str) -> dict[str, Count]:
    """Per rating value, the number of distinct cases with it (exact mean and share even after a join)."""
    return {f"r{r}": Count(distinct_by, distinct=True, filter=Q(**{f"{prefix}rating": r})) for r in range(1, 6)}


def _case_figures(row: Mapping[str, Any]) -> dict[str, int]:
    ratings = [row[f"r{r}"] for r in range(1, 6)]
    return {"cases": row["cases_n"], "online": row["online_n"], "accepted": row["accepted_n"],
            "refused": row["refused_n"], "rated": sum(ratings),
            "rating_sum": sum(r * n for r, n in enumerate(ratings, 1)), "good": ratings[3] + ratings[4]}


def _empty() -> dict[str, int]:
    return dict.fromkeys(_COUNTERS, 0)


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    def ratio(a: str, b: str) -> float | None:
        return row[a] / row[b] if row[b] else None

    row["online_share"] = ratio("online", "cases")
    row["rating_avg"] = ratio("rating_sum", "rated")
    row["good_share"] = ratio("good", "rated")
    row["overdue_rate"] = row["overdue"] / (row["decided"] + row["open"]) if row["decided"] + row["open"] else None
    row["handling_days_avg"] = ratio("handling_sum", "decided")
    row["promised_days_avg"] = ratio("promised_sum", "decided")
    row["statutory_days_avg"] = ratio("statutory_sum", "decided")
    return row


def case_statistics(region: Any, first: date, last: date, today: date | None = None) -> dict[str, Any]:
    """Return ``{"region", "first", "last", "today", "total", "bundles", "departments", "months"}``.

    ``today`` (default: today in Asia/Shanghai) decides which open sub-cases are already overdue. Each row of the
    three lists holds the raw counters and the derived ``online_share``, ``rating_avg``, ``good_share``,
    ``overdue_rate``, ``handling_days_avg``, ``promised_days_avg`` and ``statutory_days_avg`` (None when there is
    nothing to divide by); see the module docstring for their definitions. ``months`` lists every month of the
    period, empty ones too.
    """
    if last < first:
        raise ValueError("last must not be before first")
    today = today or workdays.today_in_shanghai()
    start = datetime.combine(first, time.min, workdays.SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time.min, workdays.SHANGHAI)
    cases = Case.objects.filter(region__path__startswith=region.path, submitted_at__gte=start, submitted_at__lt=end)
    subs = SubCase.objects.filter(case__region__path__startswith=region.path, case__submitted_at__gte=start,
                                  case__submitted_at__lt=end)
    labels, month_of = _months(first, last)
    bundles: dict[tuple[str, str], dict[str, int]] = defaultdict(_empty)
    departments: dict[tuple[str, str], dict[str, int]] = defaultdict(_empty)
    months: dict[str, dict[str, int]] = {label: _empty() for label in labels}

    _add_case_figures(cases, month_of, bundles, months)
    _add_department_case_figures(subs, departments)
    _add_sub_case_figures(subs, month_of, today, bundles, departments, months)

    total = _empty()
    for row in bundles.values():  # every case has exactly one bundle: bundle rows add up to the total
        for name in _COUNTERS:
            total[name] += row[name]
    return {
        "region": region.code, "first": first, "last": last, "today": today,
        "total": _finish(total),
        "bundles": [_finish({"code": code, "name": name, **row}) for (code, name), row in sorted(bundles.items())],
        "departments": [_finish({"code": code, "name": name, **row})
                        for (code, name), row in sorted(departments.items())],
        "months": [_finish({"month": label, **row}) for label, row in months.items()],
    }


def _add(targets: Iterable[dict[str, int]], figures: Mapping[str, int]) -> None:
    """Add ``figures`` to each row of ``targets`` (counters of ``_COUNTERS``)."""
    for target in targets:
        for name, value in figures.items():
            target[name] += value


def _add_case_figures(cases: QuerySet[Case], month_of: Callable[[str], SqlCase],
                      bundles: dict[tuple[str, str], dict[str, int]], months: dict[str, dict[str, int]]) -> None:
    """Case figures, grouped by (bundle, month) and rolled up: every case has one bundle and one month."""
    for row in cases.values("bundle__code", "bundle__name", month=month_of("submitted_at")).annotate(
            cases_n=Count("id"), online_n=Count("id", filter=Q(channel=Channel.ONLINE)),
            accepted_n=Count("id", filter=Q(accepted_on__isnull=False)),
            refused_n=Count("id", filter=Q(state=CaseState.REFUSED)), **_rating_counts("", "id")):
        _add((bundles[row["bundle__code"], row["bundle__name"]], months[row["month"]]), _case_figures(row))


def _add_department_case_figures(subs: QuerySet[SubCase], departments: dict[tuple[str, str], dict[str, int]]) -> None:
    """A department's case figures: the distinct cases among its sub-cases (a case may give it several items)."""
    for row in subs.values("department__code", "department__name").annotate(
            accepted_n=Count("case", distinct=True),
            online_n=Count("case", distinct=True, filter=Q(case__channel=Channel.ONLINE)),
            refused_n=Count("case", distinct=True, filter=Q(case__state=CaseState.REFUSED)),
            **_rating_counts("case__", "case")):
        departments[row["department__code"], row["department__name"]].update(
            _case_figures({**row, "cases_n": row["accepted_n"]}))


def _add_sub_case_figures(subs: QuerySet[SubCase], month_of: Callable[[str], SqlCase], today: date,
                          bundles: dict[tuple[str, str], dict[str, int]],
                          departments: dict[tuple[str, str], dict[str, int]],
                          months: dict[str, dict[str, int]]) -> None:
    """Sub-case figures: one grouped query, by everything a clock needs; overdue and working days in Python."""
    is_open = SqlCase(When(state__in=OPEN_STATES, then=Value(True)), default=Value(False),
                      output_field=BooleanField())
    clocks = list(subs.values(
        "case__bundle__code", "case__bundle__name", "department__code", "department__name",
        month=month_of("case__submitted_at"), accepted=F("case__accepted_on"),
        suspended=F("case__suspended_days"), due=F("due_on"), legal=F("legal_due_on"), running=is_open,
        day=_LocalDay("decided_at"),
    ).annotate(n=Count("id")).order_by())
    wdb = _working_days([d for row in clocks if row["day"] is not None
                         for d in (row["accepted"], row["day"], row["due"], row["legal"])])
    for row in clocks:
        _add((bundles[row["case__bundle__code"], row["case__bundle__name"]],
              departments[row["department__code"], row["department__name"]], months[row["month"]]),
             _clock_figures(row["n"], row["running"], row["accepted"], row["day"], row["due"], row["legal"], today,
                            wdb))


def _clock_figures(n: int, running: bool, accepted: date, day: date | None, due: date, legal: date, today: date,
                   wdb: Callable[[date, date], int]) -> dict[str, int]:
    """The counters of ``n`` sub-cases sharing one clock: open (overdue by ``today``) or decided on ``day``."""
    figures = {"sub_cases": n}
    if running:
        figures.update(open=n, overdue=n if due < today else 0)
    elif day is not None:
        figures.update(decided=n, overdue=n if day > due else 0,
                       handling_sum=n * wdb(accepted, day),
                       promised_sum=n * wdb(accepted, due), statutory_sum=n * wdb(accepted, legal))
    return figures


def _months(first: date, last: date) -> tuple[list[str], Callable[[str], SqlCase]]:
    """The labels "YYYY-MM" of the period's months, and an expression giving a datetime field's local month.

    The expression compares with each month's first instant in Shanghai, so the database needs no time-zone
    function per row (on SQLite those are Python callbacks, the slowest part of a year's statistics).
    """
    labels, bounds = [], []
    cursor = first.replace(day=1)
    while cursor <= last:
        following = (cursor + timedelta(days=32)).replace(day=1)
        labels.append(f"{cursor:%Y-%m}")
        bounds.append(datetime.combine(following, time.min, workdays.SHANGHAI))
        cursor = following

    def month_of(field: str) -> SqlCase:
        return SqlCase(*(When(**{f"{field}__lt": bound}, then=Value(label)) for label, bound in zip(
            labels, bounds, strict=True)), default=Value(labels[-1]), output_field=CharField())

    return labels, month_of


#: (key in a row, header with unit, number format); rates are fractions shown as percentages.
_FIGURE_COLUMNS = [
    ("cases", "办件数（件）", "0"),
    ("online_share", "网上办件占比（%）", "0.0%"),
    ("sub_cases", "分办件数（件）", "0"),
    ("decided", "已办结分办件（件）", "0"),
    ("open", "在办分办件（件）", "0"),
    ("handling_days_avg", "平均办理时长（工作日）", "0.00"),
    ("promised_days_avg", "平均承诺时限（工作日）", "0.00"),
    ("statutory_days_avg", "平均法定时限（工作日）", "0.00"),
    ("overdue", "超期件数（件）", "0"),
    ("overdue_rate", "超期率（%）", "0.0%"),
    ("rated", "评价数（件）", "0"),
    ("rating_avg", "平均评分（分，1–5）", "0.00"),
    ("good_share", "满意率（%，4分及以上）", "0.0%"),
]
_SHEETS = [
    ("按一件事", "bundles", [("code", "一件事编码", "@"), ("name", "一件事名称", "@")]),
    ("按部门", "departments", [("code", "部门编码", "@"), ("name", "部门名称", "@")]),
    ("按月份", "months", [("month", "月份（申请时间）", "@")]),
]


def to_xlsx(stats: dict[str, Any]) -> bytes:
    """Return ``stats`` (from :func:`case_statistics`) as an XLSX workbook: sheets 按一件事, 按部门, 按月份.

    Each sheet has one header row (Chinese, with units), one row per bundle / department / month and, for the
    bundle and month sheets, a 合计 row (a case belongs to one department per item, so departments do not add up).
    """
    book = FormulaSafeWorkbook()
    book.remove(active_worksheet(book))
    for title, key, label_columns in _SHEETS:
        sheet = book.create_sheet(title)
        columns = label_columns + _FIGURE_COLUMNS
        append_row(sheet, [header for _, header, _ in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        rows = list(stats[key])
        if key != "departments":
            rows.append({**stats["total"], label_columns[0][0]: "合计"})
        for row in rows:
            cells = append_row(sheet, [row.get(name) for name, _, _ in columns])
            for cell, (_, _, number_format) in zip(cells, columns, strict=True):
                cell.number_format = number_format
        for letter, (_, header, _) in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", columns, strict=False):
            sheet.column_dimensions[letter].width = max(10, 2 * len(header))
        sheet.freeze_panes = "A2"
    return workbook_bytes(book)
