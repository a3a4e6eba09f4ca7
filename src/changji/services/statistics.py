"""Case statistics (办件统计) of a region over a period: per bundle, channel, department, month, and in total.

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
  rewrite history);
* keeping the promise (按期办结) — ``on_time`` (decided sub-cases decided on a local day on or before ``due_on``,
  ``on_time_share`` of ``decided``); per case ``finished`` (it has a decided sub-case and none open) and ``within``
  (finished, and every decided sub-case on time), ``within_share`` = within / finished;
* 即办 — ``instant`` (sub-cases decided at the window, ``SubCase.decided_at_window``; ``instant_share`` of
  ``decided``) and ``instant_cases`` (finished cases all of whose sub-cases were decided at the window;
  ``instant_case_share`` of ``finished``);
* visits — ``visits_sum`` of ``Case.visits`` and ``visits_avg`` per case (the goal is one: 最多跑一次).

Departments have no case-level promise, 即办-case or visit figures (None): a case spans several departments.
Besides the rows, ``department_ratings`` (好差评 per department from ``DepartmentRating``: count, mean score,
share of scores >= 4, and the reasons ticked, counted) and ``rating_reasons`` (the reasons of the case ratings,
``Case.rating_reasons``), each reason with its label from ``services.ratings.REASONS`` (its code when unknown).

The database does the grouping, in five queries whatever the period: cases by (bundle, channel, month), with the
case-level promise and 即办 figures counted by correlated ``EXISTS`` over the case's sub-cases; a department's
distinct cases; sub-cases by (bundle, channel, department, month, acceptance day, decision day, due days,
suspension, open, decided at the window); department ratings by (department, reasons); case rating reasons by
their list. The few thousand distinct groups are rolled up into the tables in Python, where the working days are
counted from a per-day table of ``workdays.is_working_day``. The local month is found by comparing with each
month's first instant in Shanghai, and the decision day natively on SQLite (``_LocalDay``): no Python callback per
row. ``to_xlsx`` writes the tables as a workbook with Chinese headers and units.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import BooleanField, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import TruncDate
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.services import workdays
from changji.services.models import Case, Channel, DepartmentRating, SubCase
from changji.services.ratings import REASON_LABELS
from changji.services.workflow import CaseState, SubCaseState

__all__ = ["case_statistics", "to_xlsx"]

OPEN_STATES = (SubCaseState.PENDING, SubCaseState.CLAIMED)

#: Raw counters kept per row (summable across rows); the shares and averages are derived from them.
_COUNTERS = ("cases", "online", "rated", "rating_sum", "good", "accepted", "refused", "sub_cases", "decided", "open",
             "overdue", "handling_sum", "promised_sum", "statutory_sum", "on_time", "instant", "finished", "within",
             "instant_cases", "visits_sum")
#: The derived figures of a case as a whole: a department's row has none (a case spans several departments).
_CASE_LEVEL = ("within_share", "instant_case_share", "visits_avg")


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
    figures = {"cases": row["cases_n"], "online": row["online_n"], "accepted": row["accepted_n"],
               "refused": row["refused_n"], "rated": sum(ratings),
               "rating_sum": sum(r * n for r, n in enumerate(ratings, 1)), "good": ratings[3] + ratings[4]}
    for name in ("finished", "within", "instant_cases", "visits_sum"):
        if f"{name}_n" in row:
            figures[name] = row[f"{name}_n"] or 0  # a Sum over no rows is None
    return figures


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
    row["on_time_share"] = ratio("on_time", "decided")
    row["instant_share"] = ratio("instant", "decided")
    row["within_share"] = ratio("within", "finished")
    row["instant_case_share"] = ratio("instant_cases", "finished")
    row["visits_avg"] = ratio("visits_sum", "cases")
    return row


def _finish_department(row: dict[str, Any]) -> dict[str, Any]:
    _finish(row)
    row.update(dict.fromkeys(_CASE_LEVEL))
    return row


def case_statistics(region: Any, first: date, last: date, today: date | None = None) -> dict[str, Any]:
    """Return the figures of ``region`` over the local days ``first``..``last``, as a dict of tables.

    Keys: ``region``, ``first``, ``last``, ``today``, ``total``, ``bundles``, ``channels``, ``departments``,
    ``months``, ``department_ratings``, ``rating_reasons``.

    ``today`` (default: today in Asia/Shanghai) decides which open sub-cases are already overdue. Each row of the
    three lists holds the raw counters and the derived ``online_share``, ``rating_avg``, ``good_share``,
    ``overdue_rate``, ``handling_days_avg``, ``promised_days_avg``, ``statutory_days_avg``, ``on_time_share``,
    ``instant_share``, ``within_share``, ``instant_case_share`` and ``visits_avg`` (None when there is nothing to
    divide by); see the module docstring for their definitions. ``channels`` has one row per channel (窗口, 网上),
    empty ones too; ``months`` every month of the period, empty ones too.
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
    channels: dict[str, dict[str, int]] = {value: _empty() for value in Channel.values}
    tables = _Tables(bundles, channels, months)

    _add_case_figures(cases, month_of, tables)
    _add_department_case_figures(subs, departments)
    _add_sub_case_figures(subs, month_of, today, tables, departments)

    total = _empty()
    for row in bundles.values():  # every case has exactly one bundle: bundle rows add up to the total
        for name in _COUNTERS:
            total[name] += row[name]
    return {
        "region": region.code, "first": first, "last": last, "today": today,
        "total": _finish(total),
        "bundles": [_finish({"code": code, "name": name, **row}) for (code, name), row in sorted(bundles.items())],
        "channels": [_finish({"channel": value, "label": str(Channel(value).label), **channels[value]})
                     for value in Channel.values],
        "departments": [_finish_department({"code": code, "name": name, **row})
                        for (code, name), row in sorted(departments.items())],
        "months": [_finish({"month": label, **row}) for label, row in months.items()],
        "department_ratings": _department_ratings(
            DepartmentRating.objects.filter(case__in=cases.values("pk"))),
        "rating_reasons": _case_rating_reasons(cases),
    }


class _Tables:
    """The tables a case and its sub-cases add to, keyed by (code, name), channel and month."""

    def __init__(self, bundles: dict[tuple[str, str], dict[str, int]], channels: dict[str, dict[str, int]],
                 months: dict[str, dict[str, int]]) -> None:
        self.bundles, self.channels, self.months = bundles, channels, months

    def rows(self, bundle: tuple[str, str], channel: str, month: str) -> list[dict[str, int]]:
        return [self.bundles[bundle], self.channels[channel], self.months[month]]


def reason_labels() -> dict[str, str]:
    """The labels of the rating reasons (``services.ratings.REASON_LABELS``: code → label)."""
    return dict(REASON_LABELS)


def _reasons(counted: Counter[str]) -> list[dict[str, Any]]:
    """Reasons most often ticked first: ``[{"code", "label", "count"}]``."""
    labels = reason_labels()
    return [{"code": code, "label": str(labels.get(code, code)), "count": n}
            for code, n in sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))]


def _reason_codes(value: Any) -> list[str]:
    """The codes of a stored reasons list (JSON); anything else stored there counts as no reason."""
    return [str(code) for code in value if isinstance(code, str | int)] if isinstance(value, list) else []


def _department_ratings(ratings: QuerySet[DepartmentRating]) -> list[dict[str, Any]]:
    """Per department: ratings, mean score, share of 4 and 5, and the reasons counted (one grouped query)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for group in ratings.values("department__code", "department__name", "reasons").annotate(
            n=Count("id"), score_sum=Sum("score"), good_n=Count("id", filter=Q(score__gte=4))).order_by():
        key = (group["department__code"], group["department__name"])
        row = rows.setdefault(key, {"ratings": 0, "score_sum": 0, "good": 0, "reasons": Counter()})
        row["ratings"] += group["n"]
        row["score_sum"] += group["score_sum"] or 0
        row["good"] += group["good_n"]
        for code in _reason_codes(group["reasons"]):
            row["reasons"][code] += group["n"]
    return [{"code": code, "name": name, "ratings": row["ratings"], "score_sum": row["score_sum"],
             "good": row["good"], "score_avg": row["score_sum"] / row["ratings"],
             "good_share": row["good"] / row["ratings"], "reasons": _reasons(row["reasons"])}
            for (code, name), row in sorted(rows.items())]


def _case_rating_reasons(cases: QuerySet[Case]) -> list[dict[str, Any]]:
    """The reasons ticked with the case ratings, counted (one query grouped by the stored list)."""
    counted: Counter[str] = Counter()
    for group in cases.filter(rating__isnull=False).values("rating_reasons").annotate(n=Count("id")).order_by():
        for code in _reason_codes(group["rating_reasons"]):
            counted[code] += group["n"]
    return _reasons(counted)


def _add(targets: Iterable[dict[str, int]], figures: Mapping[str, int]) -> None:
    """Add ``figures`` to each row of ``targets`` (counters of ``_COUNTERS``)."""
    for target in targets:
        for name, value in figures.items():
            target[name] += value


def _promise_counts() -> dict[str, Any]:
    """Per group, the cases finished, finished within the promised limit, and finished wholly at the window.

    Finished: a decided sub-case and none open. Within: no decided sub-case decided after its ``due_on`` (local
    day). Wholly at the window (即办): no sub-case that was not decided at the window.
    """
    subs = SubCase.objects.filter(case=OuterRef("pk"))
    decided = subs.filter(decided_at__isnull=False)
    late = decided.annotate(day=_LocalDay("decided_at")).filter(day__gt=F("due_on"))
    finished = Q(Exists(decided)) & ~Q(Exists(subs.filter(state__in=OPEN_STATES)))
    return {"finished_n": Count("id", filter=finished), "within_n": Count("id", filter=finished & ~Q(Exists(late))),
            "instant_cases_n": Count("id", filter=finished & ~Q(Exists(subs.filter(decided_at_window=False))))}


def _add_case_figures(cases: QuerySet[Case], month_of: Callable[[str], SqlCase], tables: _Tables) -> None:
    """Case figures, grouped by (bundle, channel, month) and rolled up: a case has one of each."""
    for row in cases.values("bundle__code", "bundle__name", "channel", month=month_of("submitted_at")).annotate(
            cases_n=Count("id"), online_n=Count("id", filter=Q(channel=Channel.ONLINE)),
            accepted_n=Count("id", filter=Q(accepted_on__isnull=False)),
            refused_n=Count("id", filter=Q(state=CaseState.REFUSED)), visits_sum_n=Sum("visits"),
            **_promise_counts(), **_rating_counts("", "id")).order_by():
        _add(tables.rows((row["bundle__code"], row["bundle__name"]), row["channel"], row["month"]),
             _case_figures(row))


def _add_department_case_figures(subs: QuerySet[SubCase], departments: dict[tuple[str, str], dict[str, int]]) -> None:
    """A department's case figures: the distinct cases among its sub-cases (a case may give it several items)."""
    for row in subs.values("department__code", "department__name").annotate(
            accepted_n=Count("case", distinct=True),
            online_n=Count("case", distinct=True, filter=Q(case__channel=Channel.ONLINE)),
            refused_n=Count("case", distinct=True, filter=Q(case__state=CaseState.REFUSED)),
            **_rating_counts("case__", "case")):
        departments[row["department__code"], row["department__name"]].update(
            _case_figures({**row, "cases_n": row["accepted_n"]}))


def _add_sub_case_figures(subs: QuerySet[SubCase], month_of: Callable[[str], SqlCase], today: date, tables: _Tables,
                          departments: dict[tuple[str, str], dict[str, int]]) -> None:
    """Sub-case figures: one grouped query, by everything a clock needs; overdue and working days in Python."""
    is_open = SqlCase(When(state__in=OPEN_STATES, then=Value(True)), default=Value(False),
                      output_field=BooleanField())
    clocks = list(subs.values(
        "case__bundle__code", "case__bundle__name", "case__channel", "department__code", "department__name",
        "decided_at_window", month=month_of("case__submitted_at"), accepted=F("case__accepted_on"),
        suspended=F("case__suspended_days"), due=F("due_on"), legal=F("legal_due_on"), running=is_open,
        day=_LocalDay("decided_at"),
    ).annotate(n=Count("id")).order_by())
    wdb = _working_days([d for row in clocks if row["day"] is not None
                         for d in (row["accepted"], row["day"], row["due"], row["legal"])])
    for row in clocks:
        figures = _clock_figures(row["n"], row["running"], row["accepted"], row["day"], row["due"], row["legal"],
                                 today, wdb)
        if row["decided_at_window"] and row["day"] is not None:
            figures["instant"] = row["n"]
        _add([*tables.rows((row["case__bundle__code"], row["case__bundle__name"]), row["case__channel"],
                           row["month"]), departments[row["department__code"], row["department__name"]]], figures)


def _clock_figures(n: int, running: bool, accepted: date, day: date | None, due: date, legal: date, today: date,
                   wdb: Callable[[date, date], int]) -> dict[str, int]:
    """The counters of ``n`` sub-cases sharing one clock: open (overdue by ``today``) or decided on ``day``."""
    figures = {"sub_cases": n}
    if running:
        figures.update(open=n, overdue=n if due < today else 0)
    elif day is not None:
        figures.update(decided=n, overdue=n if day > due else 0, on_time=0 if day > due else n,
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
    ("finished", "已办结办件（件）", "0"),
    ("within_share", "按期办结率（%，整件）", "0.0%"),
    ("on_time_share", "分办件按期办结率（%）", "0.0%"),
    ("instant_share", "即办件占比（%，分办件）", "0.0%"),
    ("instant_case_share", "整件即办占比（%）", "0.0%"),
    ("visits_avg", "平均到场次数（次，目标 1）", "0.00"),
]
_SHEETS = [
    ("按一件事", "bundles", [("code", "一件事编码", "@"), ("name", "一件事名称", "@")]),
    ("按渠道", "channels", [("label", "渠道", "@")]),
    ("按部门", "departments", [("code", "部门编码", "@"), ("name", "部门名称", "@")]),
    ("按月份", "months", [("month", "月份（申请时间）", "@")]),
]


_RATING_COLUMNS = [
    ("code", "部门编码", "@"), ("name", "部门名称", "@"), ("ratings", "评价数（件）", "0"),
    ("score_avg", "平均评分（分，1–5）", "0.00"), ("good_share", "好评率（%，4分及以上）", "0.0%"),
    ("reasons_text", "评价理由（次数）", "@"),
]
_REASON_COLUMNS = [("code", "理由编码", "@"), ("label", "评价理由", "@"), ("count", "次数（次）", "0")]


def _sheet(book: FormulaSafeWorkbook, title: str, columns: list[tuple[str, str, str]],
           rows: Iterable[Mapping[str, Any]]) -> None:
    sheet = book.create_sheet(title)
    append_row(sheet, [header for _, header, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        cells = append_row(sheet, [row.get(name) for name, _, _ in columns])
        for cell, (_, _, number_format) in zip(cells, columns, strict=True):
            cell.number_format = number_format
    for index, (_, header, _) in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(header))
    sheet.freeze_panes = "A2"


def to_xlsx(stats: dict[str, Any]) -> bytes:
    """Return ``stats`` (from :func:`case_statistics`) as an XLSX workbook.

    Sheets 按一件事, 按渠道, 按部门, 按月份 have one header row (Chinese, with units), one row per bundle / channel /
    department / month and, but for departments, a 合计 row (a case belongs to one department per item, so
    departments do not add up); then 部门评价 (好差评 per department with its reasons) and 评价理由 (the reasons of
    the case ratings).
    """
    book = FormulaSafeWorkbook()
    book.remove(active_worksheet(book))
    for title, key, label_columns in _SHEETS:
        rows = list(stats[key])
        if key != "departments":
            rows.append({**stats["total"], label_columns[0][0]: "合计"})
        _sheet(book, title, label_columns + _FIGURE_COLUMNS, rows)
    _sheet(book, "部门评价", _RATING_COLUMNS, [
        {**row, "reasons_text": "；".join(f"{r['label']} {r['count']}" for r in row["reasons"])}
        for row in stats["department_ratings"]])
    _sheet(book, "评价理由", _REASON_COLUMNS, stats["rating_reasons"])
    return workbook_bytes(book)
