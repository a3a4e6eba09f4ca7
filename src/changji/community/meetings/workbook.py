"""四方联动 meetings as an XLSX workbook (四方联动会议台账), through the formula-safe writer of ``core.exports``.

Sheets: 会议 (one row per meeting: time, community, place, the four parties and the invited department, the
absence reason, the agenda's request ids, decision counts) and 议定事项 (one row per decision: its meeting,
what, who, due, done, and the issue it concerns). Times are local (Asia/Shanghai) with the year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from changji.community.meetings import rules
from changji.community.models import CoordinationMeeting
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.localtime import SHANGHAI

MEETING_HEADERS = ("召开时间", "社区", "地点", "社区党组织", "居委会", "业委会", "物业", "列席部门或派出所",
                   "到会情况", "议题（诉求编号）", "议题数（件）", "议定事项（项）", "未完成（项）", "会议纪要")
ACTION_HEADERS = ("会议时间", "社区", "议定事项", "责任方", "完成期限", "完成日期", "完成情况", "是否逾期",
                  "所涉诉求")


def _head(sheet: Worksheet, headers: tuple[str, ...]) -> None:
    append_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _people(meeting: CoordinationMeeting) -> dict[str, str]:
    return {key: getattr(meeting, key) for key in rules.QUORUM_PARTIES}


def meetings_workbook(meetings: Iterable[CoordinationMeeting], today: date) -> bytes:
    """The workbook of ``meetings`` (agenda items and actions prefetched) and their decisions on ``today``."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = "会议"
    _head(sheet, MEETING_HEADERS)
    decisions = book.create_sheet("议定事项")
    _head(decisions, ACTION_HEADERS)
    for meeting in meetings:
        held = meeting.held_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        actions = list(meeting.actions.all())
        agenda = [item.issue.request_id for item in meeting.agenda_items.all()]
        append_row(sheet, (held, meeting.region.name, meeting.place, meeting.party_attendee,
                           meeting.committee_attendee, meeting.owners_committee_attendee, meeting.property_attendee,
                           meeting.department_attendee, rules.quorum_note(_people(meeting), meeting.absence_reason),
                           "、".join(agenda), len(agenda), len(actions),
                           sum(1 for a in actions if a.done_on is None), meeting.minutes))
        for action in actions:
            append_row(decisions, (held, meeting.region.name, action.description, action.owner,
                                   action.due_on.isoformat(), action.done_on.isoformat() if action.done_on else "",
                                   action.done_note,
                                   "是" if rules.is_overdue(action.due_on, action.done_on, today) else "否",
                                   action.issue.request_id if action.issue else ""))
    for ws, widths in ((sheet, (17, 12, 20, 12, 12, 12, 12, 14, 24, 30, 10, 10, 10, 40)),
                       (decisions, (17, 12, 30, 14, 12, 12, 20, 8, 22))):
        for index, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + index)].width = width
    return workbook_bytes(book)
