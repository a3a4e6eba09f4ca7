"""受理回执: the receipt printed for the walk-in applicant when the window files (and accepts) the case.

Pure module like ``certificate`` (whose font and paragraph helpers it uses): plain dataclasses in, PDF bytes
out, rendered with ``invariant=1`` so the same receipt always gives the same bytes. It carries the receipt
number and the query code (the applicant's key to the progress page; printed for them, never logged), the
bundle, each item with its promised limit, the materials received (scan or original seen), the delivery
method and the expected end date.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from changji.services.certificate import _ensure_font, _p, _styles, display_identifier, format_issued_at

__pure__ = True  # no Django: tests/test_architecture.py checks it

TITLE = "一件事一次办 受理回执"


@dataclass(frozen=True)
class ReceiptItem:
    item_name: str
    department: str
    promised_days: int
    instant: bool = False


@dataclass(frozen=True)
class ReceiptMaterial:
    name: str
    scanned: bool
    seen_in_original: bool

    @property
    def how(self) -> str:
        if self.scanned and self.seen_in_original:
            return "扫描件，原件已核验"
        return "原件已核验" if self.seen_in_original else "扫描件"


@dataclass(frozen=True)
class ReceiptData:
    receipt_number: str
    query_code: str
    bundle_name: str
    applicant_name: str
    applicant_identifier: str  # a resident ID is printed masked
    submitted_at: datetime  # aware
    state_label: str  # 已受理 / 待预审 / 待补正 …
    office: str  # 阜康市政务服务中心
    window: str  # "3号窗口 综合受理" or ""
    clerk: str
    items: tuple[ReceiptItem, ...]
    materials: tuple[ReceiptMaterial, ...]
    delivery: str  # 窗口领取 / 邮寄送达（地址、收件人） / 电子证照
    expected_end: date | None  # None before acceptance
    missing: tuple[str, ...] = ()


def _rows(data: ReceiptData) -> list[tuple[str, str]]:
    end = (f"{data.expected_end:%Y年%m月%d日}" if data.expected_end
           else "受理后按各事项承诺时限计算")
    return [
        ("受理编号", data.receipt_number), ("查询码", data.query_code), ("一件事", data.bundle_name),
        ("申请人", data.applicant_name), ("证件号码", display_identifier(data.applicant_identifier)),
        ("申请时间", format_issued_at(data.submitted_at)), ("办件状态", data.state_label),
        ("受理窗口", data.window or "综合受理窗口"), ("经办人", data.clerk), ("送达方式", data.delivery),
        ("预计办结", end),
    ]


def _grid(rows: list[list[str]], widths: list[float], styles: dict[str, ParagraphStyle]) -> Table:
    table = Table([[_p(cell, styles["head" if n == 0 else "cell"]) for cell in row] for n, row in enumerate(rows)],
                  colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EDEDED")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def render_receipt(data: ReceiptData) -> bytes:
    """Render the 受理回执 as a deterministic A4 PDF."""
    _ensure_font()
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=TITLE, subject=data.receipt_number, author=data.office,
                            creator="changji", invariant=1)
    usable = doc.width
    header = Table([[_p(k, styles["body"]), _p(v, styles["body"])] for k, v in _rows(data)],
                   colWidths=[28 * mm, usable - 28 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    items = [["序号", "事项", "审批部门", "承诺时限"]] + [
        [str(n), i.item_name + ("（即办）" if i.instant else ""), i.department,
         "当场办结" if i.instant else f"{i.promised_days} 个工作日"] for n, i in enumerate(data.items, start=1)]
    materials = [["序号", "材料", "收取方式"]] + [
        [str(n), m.name, m.how] for n, m in enumerate(data.materials, start=1)]
    story = [_p(TITLE, styles["title"]), Spacer(1, 6 * mm), header, Spacer(1, 5 * mm),
             _p("办理事项", styles["body"]), _grid(items, [12 * mm, 70 * mm, 50 * mm, usable - 132 * mm], styles),
             Spacer(1, 5 * mm), _p("已收材料", styles["body"]),
             _grid(materials, [12 * mm, 110 * mm, usable - 122 * mm], styles)]
    if data.missing:
        story += [Spacer(1, 4 * mm), _p("尚需补正（一次告知）：" + "；".join(data.missing), styles["body"])]
    story += [Spacer(1, 6 * mm), _p(f"{data.office}（盖章）", styles["body"]),
              _p("凭受理编号和查询码可在“办件进度查询”查看办理进度。请妥善保管本回执，查询码请勿告知他人。",
                 styles["small"])]
    doc.build(story)
    return buffer.getvalue()
