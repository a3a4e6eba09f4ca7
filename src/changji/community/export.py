"""The dashboard as an XLSX workbook (网格治理统计表): the figures the county reports upward, in Excel.

Sheets: 概览 (street/town, community and total rows), 网格 (one row per grid), 接诉即办 (issues by state and
the three rates, per community and grid), 积分排名 (the top 10 units and members), 阵地指标 (the four venue targets
per community, and the function rooms with their usage days), 诉求渠道 (the year's issues by intake channel) and
党建与包联 (party organisation coverage, 包联, 四方联动 meetings and actions, visits and overdue care households per
street/town, community and grid). Headers are Chinese with
units, rates are fractions with a percentage number format, the header row is frozen.

Aggregates only: no resident appears by name, identity number or phone; rankings name units and party
members with their points, as the community's notice board does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from changji.community.dashboard import SHANGHAI, DashboardFigures, Row
from changji.community.issues.workflow import ISSUE_LABELS, IssueState
from changji.community.venues.targets import VenueTargets
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, put_cell, workbook_bytes

#: (header with unit, value of a row, number format).
Column = tuple[str, Callable[[Any], Any], str]

PERCENT = "0.0%"
INTEGER = "0"
TEXT = "@"

_REGION: list[Column] = [
    ("区划代码", lambda r: r.code, TEXT),
    ("名称", lambda r: r.name, TEXT),
    ("层级", lambda r: r.level_label, TEXT),
]
_OVERVIEW: list[Column] = [
    ("报到党员（人）", lambda r: r.counts.members, INTEGER),
    ("共建单位（个）", lambda r: r.counts.units, INTEGER),
    ("居民（人）", lambda r: r.counts.residents, INTEGER),
    ("户数（户）", lambda r: r.counts.households, INTEGER),
    ("发布微心愿（个）", lambda r: r.counts.wishes_published, INTEGER),
    ("已认领（个）", lambda r: r.counts.wishes_claimed, INTEGER),
    ("群众确认（个）", lambda r: r.counts.wishes_confirmed, INTEGER),
    ("微行动（次）", lambda r: r.counts.activities, INTEGER),
    ("服务群众（人次）", lambda r: r.counts.served, INTEGER),
    ("志愿服务时长（小时）", lambda r: float(r.counts.volunteer_hours), "0.0"),
    ("诉求（件）", lambda r: r.issues.total, INTEGER),
    ("超期（件）", lambda r: r.issues.overdue, INTEGER),
    ("响应率（%）", lambda r: r.issues.response_rate, PERCENT),
    ("办结率（%）", lambda r: r.issues.resolution_rate, PERCENT),
    ("满意率（%）", lambda r: r.issues.satisfaction_rate, PERCENT),
]
_ISSUES: list[Column] = [
    ("诉求总数（件）", lambda r: r.issues.total, INTEGER),
    (f"{ISSUE_LABELS[IssueState.REPORTED]}（件）", lambda r: r.issues.reported, INTEGER),
    (f"{ISSUE_LABELS[IssueState.ACCEPTED]}（件）", lambda r: r.issues.accepted, INTEGER),
    (f"{ISSUE_LABELS[IssueState.REOPENED]}（件）", lambda r: r.issues.reopened, INTEGER),
    (f"{ISSUE_LABELS[IssueState.RESOLVED]}（件）", lambda r: r.issues.resolved, INTEGER),
    (f"{ISSUE_LABELS[IssueState.CLOSED]}（件）", lambda r: r.issues.closed, INTEGER),
    ("超期未办结（件）", lambda r: r.issues.overdue, INTEGER),
    ("按时响应（件）", lambda r: r.issues.responded_on_time, INTEGER),
    ("应响应（件）", lambda r: r.issues.response_due, INTEGER),
    ("响应率（%）", lambda r: r.issues.response_rate, PERCENT),
    ("办结率（%）", lambda r: r.issues.resolution_rate, PERCENT),
    ("已评价（件）", lambda r: r.issues.rated, INTEGER),
    ("满意（件）", lambda r: r.issues.satisfied, INTEGER),
    ("满意率（%）", lambda r: r.issues.satisfaction_rate, PERCENT),
]
_CHANNELS: list[Column] = [
    ("渠道", lambda c: c.label, TEXT),
    ("诉求（件）", lambda c: c.issues, INTEGER),
    ("已关闭（件）", lambda c: c.closed, INTEGER),
    ("按时办结（件）", lambda c: c.within_limit, INTEGER),
    ("按时办结率（%）", lambda c: c.within_limit_rate, PERCENT),
    ("已评价（件）", lambda c: c.rated, INTEGER),
    ("满意率（%）", lambda c: c.satisfaction_rate, PERCENT),
]
_PRACTICE: list[Column] = [
    ("网格（个）", lambda r: r.counts.grids, INTEGER),
    ("有党组织的网格（个）", lambda r: r.counts.covered_grids, INTEGER),
    ("网格党组织（个）", lambda r: r.counts.organisations, INTEGER),
    ("全要素党组织（个）", lambda r: r.counts.complete_organisations, INTEGER),
    ("包联（个）", lambda r: r.counts.liaisons, INTEGER),
    ("四方联动会议（次）", lambda r: r.counts.meetings, INTEGER),
    ("议定事项未完成（项）", lambda r: r.counts.actions_open, INTEGER),
    ("议定事项超期（项）", lambda r: r.counts.actions_overdue, INTEGER),
    ("走访（次）", lambda r: r.counts.visits, INTEGER),
    ("关爱户超期未走访（户）", lambda r: r.counts.care_overdue, INTEGER),
]
_RANKING: list[Column] = [
    ("类别", lambda e: e[0], TEXT),
    ("名次", lambda e: e[1].rank, INTEGER),
    ("名称", lambda e: e[1].name, TEXT),
    ("社区", lambda e: e[1].community_name, TEXT),
    ("积分（分）", lambda e: e[1].points, INTEGER),
]


def _mark(met: bool | None) -> str:
    return "—" if met is None else ("达标" if met else "未达标")


_VENUES: list[Column] = [
    ("区划代码", lambda v: v.region_code, TEXT),
    ("社区", lambda v: v.region_name, TEXT),
    ("改革前办公面积（㎡）", lambda v: _number(v.numbers.office_area_before_m2), "0.0"),
    ("现办公面积（㎡）", lambda v: _number(v.numbers.office_area_m2), "0.0"),
    ("服务面积（㎡）", lambda v: _number(v.numbers.service_area_m2), "0.0"),
    ("办公用房压减（%，≥20%）", lambda v: v.office_cut.value, PERCENT),
    ("压减达标", lambda v: _mark(v.office_cut.met), TEXT),
    ("服务用房占比（%，≥80%）", lambda v: v.service_share.value, PERCENT),
    ("占比达标", lambda v: _mark(v.service_share.met), TEXT),
    ("功能室最少使用（天，≥50天）", lambda v: v.room_use.value, INTEGER),
    ("未达50天功能室（间）", lambda v: len(v.rooms_below_target), INTEGER),
    ("使用达标", lambda v: _mark(v.room_use.met), TEXT),
    ("当前进度应达（天）", lambda v: v.pace_days, "0.0"),
    ("居民（人）", lambda v: v.numbers.residents, INTEGER),
    ("参与居民（人）", lambda v: v.numbers.participants, INTEGER),
    ("居民参与率（%，≥60%）", lambda v: v.participation.value, PERCENT),
    ("参与达标", lambda v: _mark(v.participation.met), TEXT),
]
_ROOMS: list[Column] = [
    ("社区", lambda e: e[0].region_name, TEXT),
    ("功能室", lambda e: e[1].name, TEXT),
    ("功能", lambda e: e[1].function, TEXT),
    ("面积（㎡）", lambda e: float(e[1].area_m2), "0.0"),
    ("使用天数（天）", lambda e: e[1].days, INTEGER),
    ("是否达50天", lambda e: "是" if not e[1].below_target else "否", TEXT),
    ("是否落后进度", lambda e: "是" if e[1].behind_pace else "否", TEXT),
]


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _write(sheet: Worksheet, columns: list[Column], items: Iterable[Any], *, start_row: int = 1) -> None:
    """Write a header row and one row per item at ``start_row``; bold header, formats, widths."""
    for index, (header, _, _) in enumerate(columns, 1):
        cell = put_cell(sheet, start_row, index, header)
        cell.font = Font(bold=True)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width or 0, 10,
                                                    2 * len(header) + 2)
    row_number = start_row
    for item in items:
        row_number += 1
        for index, (_, value, number_format) in enumerate(columns, 1):
            cell = put_cell(sheet, row_number, index, value(item))
            cell.number_format = number_format


def _region_rows(figures: DashboardFigures) -> list[Row]:
    """Towns, then communities (grids have their own sheet), then the total."""
    return [*figures.towns, *figures.communities, figures.total]


def dashboard_workbook(figures: DashboardFigures) -> bytes:
    """The dashboard ``figures`` as an XLSX workbook (see the module docstring); returns the file's bytes."""
    book = FormulaSafeWorkbook()
    book.remove(active_worksheet(book))

    overview = book.create_sheet("概览")
    _write(overview, _REGION + _OVERVIEW, _region_rows(figures))

    grid_sheet = book.create_sheet("网格")
    _write(grid_sheet, [*_REGION, ("所属社区代码", lambda r: r.parent_code, TEXT)] + _OVERVIEW[2:], figures.grids)

    issues = book.create_sheet("接诉即办")
    _write(issues, _REGION + _ISSUES, [*_region_rows(figures)[:-1], *figures.grids, figures.total])

    ranking = book.create_sheet("积分排名")
    _write(ranking, _RANKING, [*(("共建单位", e) for e in figures.top_units),
                               *(("党员", e) for e in figures.top_members)])

    venues = book.create_sheet("阵地指标")
    targets: list[VenueTargets] = figures.venues
    _write(venues, _VENUES, targets)
    rooms_at = len(targets) + 3
    _write(venues, _ROOMS, [(v, room) for v in targets for room in v.rooms], start_row=rooms_at)

    _write(book.create_sheet("诉求渠道"), _CHANNELS, figures.channels)
    _write(book.create_sheet("党建与包联"), _REGION + _PRACTICE, [*_region_rows(figures)[:-1], *figures.grids,
                                                                 figures.total])

    for sheet in book.worksheets:
        sheet.freeze_panes = "A2"
    title = book.create_sheet("说明")
    notes: list[list[Any]] = [["网格治理统计表"], ["范围", figures.scope_name], ["年度", figures.year],
             ["统计时间", figures.now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")],
             ["口径", "微心愿按发布时间、诉求按上报时间、微行动与积分按发生日期计入所选年度（北京时间）；"
                      "党员与共建单位为年末已报到数，居民与户数为当前登记数；网格党组织与全要素按统计当日，"
                      "包联为年内在包的，四方联动会议与走访按召开、走访时间计入，议定事项与关爱户超期按统计当日。"]]
    for row_number, line in enumerate(notes, 1):
        for column, value in enumerate(line, 1):
            put_cell(title, row_number, column, value)
    title.column_dimensions["A"].width = 12
    title.column_dimensions["B"].width = 80
    return workbook_bytes(book)
