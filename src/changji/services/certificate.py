"""一件事一次办 办结凭证: the result certificate issued when every permit of a bundle is decided together.

Pure module (no Django): it takes plain dataclasses and returns PDF bytes, so it can be called from a
view, a Celery-style job or a CLI alike.

Verification
------------
The certificate carries a short fingerprint (:func:`fingerprint`): SHA-256 over a canonical JSON of the
certificate's content (receipt number, bundle, applicant identifier, items, issue time in UTC ISO-8601),
truncated to 16 hex characters. The QR code encodes ``verify_url``, an absolute URL that carries the receipt
number and this fingerprint (see :func:`build_verify_url`, e.g.
``https://zwfw.example.cn/verify/?receipt=FK-2025-000123&digest=3fa9c1d2e4b5a6f7``). A verifier loads the
stored case by receipt number, recomputes :func:`fingerprint` from it and compares it with the ``digest`` in
the URL; a mismatch means the paper (or the URL) does not correspond to what the office recorded.

The PDF is rendered with ``invariant=1`` so the same input always yields byte-identical output (no
timestamp-based document IDs or creation dates).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from changji.core.identity import IdentifierError, validate_resident_id, validate_uscc
from changji.core.localtime import SHANGHAI
from changji.services.workflow import SUB_CASE_LABELS, SubCaseState

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = [
    "FONT_NAME",
    "OUTCOMES",
    "TITLE",
    "CertificateData",
    "CertificateItem",
    "build_verify_url",
    "display_identifier",
    "fingerprint",
    "fingerprint_of",
    "format_issued_at",
    "is_person_identifier",
    "mask_identifier",
    "qr_drawing",
    "qr_widget",
    "render_certificate",
]

TITLE = "一件事一次办 办结凭证"
FONT_NAME = "STSong-Light"
#: The outcomes a certificate prints, named as the sub-case table names them (准予许可, 不予许可, 承诺即准入).
OUTCOMES = tuple(SUB_CASE_LABELS[state] for state in (SubCaseState.APPROVED, SubCaseState.REFUSED,
                                                     SubCaseState.COMMITTED))
FINGERPRINT_LENGTH = 16


@dataclass(frozen=True)
class CertificateItem:
    """One permit of the bundle and its decision."""

    item_name: str  # e.g. "食品经营许可"
    department: str  # e.g. "阜康市市场监督管理局"
    outcome: str  # one of OUTCOMES
    licence_number: str | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on a 办结凭证."""

    receipt_number: str
    bundle_name: str  # e.g. "开办餐馆一件事"
    applicant_name: str
    applicant_identifier: str  # 统一社会信用代码 or 居民身份证号码; the latter is printed masked
    issued_at: datetime  # aware; printed in Asia/Shanghai
    issuing_office: str  # e.g. "阜康市政务服务中心"
    items: tuple[CertificateItem, ...]
    verify_url: str  # absolute URL carrying the receipt number and the fingerprint
    digest: str  # short hex fingerprint printed on the page, see fingerprint()

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware")
        if not isinstance(self.items, tuple):
            object.__setattr__(self, "items", tuple(self.items))


# ---------------------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------------------

def _is_resident_id(value: str) -> bool:
    try:
        validate_resident_id(value)
    except IdentifierError:
        return False
    return True


def _is_uscc(value: str) -> bool:
    try:
        validate_uscc(value, check_organisation_code=False)
    except IdentifierError:
        return False
    return True


def is_person_identifier(identifier: str) -> bool:
    """True unless the identifier is a valid 统一社会信用代码 that is not also a valid resident ID.

    Errs on the side of privacy: anything that is not recognisably an enterprise code is treated as a person's
    identifier and masked.
    """
    value = identifier.strip().upper()
    if _is_resident_id(value):
        return True
    return not _is_uscc(value)


def mask_identifier(identifier: str) -> str:
    """Keep the first 6 and last 4 characters, replace the middle with '*'."""
    value = identifier.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def display_identifier(identifier: str) -> str:
    """What is printed: masked for a person, verbatim for an enterprise USCC."""
    return mask_identifier(identifier) if is_person_identifier(identifier) else identifier.strip()


# ---------------------------------------------------------------------------------------------------------
# Fingerprint and verification URL
# ---------------------------------------------------------------------------------------------------------


def _canonical_item(item: CertificateItem) -> dict[str, str | None]:
    return {
        "item_name": item.item_name,
        "department": item.department,
        "outcome": item.outcome,
        "licence_number": item.licence_number,
        "valid_until": item.valid_until.isoformat() if item.valid_until else None,
    }


def fingerprint(
    *,
    receipt_number: str,
    bundle_name: str,
    applicant_identifier: str,
    items: Iterable[CertificateItem],
    issued_at: datetime,
) -> str:
    """16-hex-char SHA-256 fingerprint of the certificate's content.

    Canonical form: JSON with sorted keys, no whitespace, non-ASCII kept as UTF-8, ``issued_at`` converted to UTC
    ISO-8601 (so the stored value's timezone does not matter), items in the given order. A verifier recomputes it
    from the stored case and compares it with the ``digest`` query parameter of the verify URL.
    """
    if issued_at.tzinfo is None or issued_at.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware")
    payload = {
        "receipt_number": receipt_number,
        "bundle_name": bundle_name,
        "applicant_identifier": applicant_identifier.strip(),
        "items": [_canonical_item(item) for item in items],
        "issued_at": issued_at.astimezone(UTC).isoformat(),
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


def fingerprint_of(data: CertificateData) -> str:
    """:func:`fingerprint` over the relevant fields of ``data`` (ignores ``data.digest`` itself)."""
    return fingerprint(
        receipt_number=data.receipt_number,
        bundle_name=data.bundle_name,
        applicant_identifier=data.applicant_identifier,
        items=data.items,
        issued_at=data.issued_at,
    )


def build_verify_url(base_url: str, receipt_number: str, digest: str) -> str:
    """Absolute verification URL carrying ``receipt`` and ``digest`` as query parameters."""
    separator = "&" if "?" in base_url else "?"
    return base_url + separator + urlencode({"receipt": receipt_number, "digest": digest})


# ---------------------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------------------


def _ensure_font() -> None:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT_NAME))


def format_issued_at(issued_at: datetime) -> str:
    local = issued_at.astimezone(SHANGHAI)
    return f"{local:%Y年%m月%d日 %H:%M}（北京时间）"


def _format_valid_until(valid_until: date | None) -> str:
    return f"{valid_until:%Y年%m月%d日}" if valid_until else "长期"


def qr_widget(url: str) -> QrCodeWidget:
    """The QR code widget encoding ``url`` (its ``value`` is exactly the URL)."""
    widget = QrCodeWidget(url)
    widget.barLevel = "M"
    return widget


def qr_drawing(url: str, size: float = 32 * mm) -> Drawing:
    """A square Drawing of ``size`` points containing :func:`qr_widget` scaled to fit."""
    widget = qr_widget(url)
    x1, y1, x2, y2 = widget.getBounds()
    width, height = x2 - x1, y2 - y1
    drawing = Drawing(size, size, transform=[size / width, 0, 0, size / height, 0, 0])
    drawing.add(widget)
    return drawing


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("cert", fontName=FONT_NAME, fontSize=11, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("cert-title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER),
        "body": base,
        "cell": ParagraphStyle("cert-cell", parent=base, fontSize=9.5, leading=13),
        "head": ParagraphStyle("cert-head", parent=base, fontSize=9.5, leading=13, alignment=TA_CENTER),
        "caption": ParagraphStyle("cert-caption", parent=base, fontSize=9, leading=12, alignment=TA_CENTER),
        "small": ParagraphStyle("cert-small", parent=base, fontSize=8.5, leading=12, textColor=colors.dimgrey),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def render_certificate(data: CertificateData) -> bytes:
    """Render the 办结凭证 as a deterministic A4 PDF."""
    _ensure_font()
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=TITLE,
        subject=f"{data.bundle_name} {data.receipt_number}",
        author=data.issuing_office,
        creator="changji",
        invariant=1,
    )
    usable = doc.width

    header_rows = [
        ("受理编号", data.receipt_number),
        ("办理事项", data.bundle_name),
        ("申请人", data.applicant_name),
        ("证件号码", display_identifier(data.applicant_identifier)),
    ]
    header = Table(
        [[_p(k, styles["body"]), _p(v, styles["body"])] for k, v in header_rows],
        colWidths=[28 * mm, usable - 28 * mm],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))

    head = ["序号", "事项名称", "审批部门", "办理结果", "证照编号", "有效期至"]
    rows = [[_p(h, styles["head"]) for h in head]]
    for index, item in enumerate(data.items, start=1):
        rows.append(
            [
                _p(str(index), styles["head"]),
                _p(item.item_name, styles["cell"]),
                _p(item.department, styles["cell"]),
                _p(item.outcome, styles["cell"]),
                _p(item.licence_number or "—", styles["cell"]),
                _p(_format_valid_until(item.valid_until), styles["cell"]),
            ]
        )
    widths = [10 * mm, 34 * mm, 38 * mm, 22 * mm, 36 * mm]
    widths.append(usable - sum(widths))
    items_table = Table(rows, colWidths=widths, repeatRows=1)
    items_table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EDEDED")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )

    footer_text = [
        _p(f"发证机关：{data.issuing_office}", styles["body"]),
        _p(f"办结时间：{format_issued_at(data.issued_at)}", styles["body"]),
        _p(f"凭证指纹：{data.digest}", styles["body"]),
        Spacer(1, 3 * mm),
        _p("本凭证所列事项已一次办结。扫描右侧二维码或访问下列地址可核验凭证真伪：", styles["small"]),
        _p(data.verify_url, styles["small"]),
    ]
    qr_size = 32 * mm
    footer = Table(
        [[footer_text, [qr_drawing(data.verify_url, qr_size), _p("扫码核验", styles["caption"])]]],
        colWidths=[usable - qr_size - 8 * mm, qr_size + 8 * mm],
    )
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "CENTER")]))

    story = [
        _p(TITLE, styles["title"]),
        Spacer(1, 8 * mm),
        header,
        Spacer(1, 6 * mm),
        items_table,
        Spacer(1, 8 * mm),
        footer,
    ]
    doc.build(story)
    return buffer.getvalue()
