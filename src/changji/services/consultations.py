"""咨询导办: the log of visitors' questions answered at the hall, whether or not a case follows.

A record names its topic, the bundle asked about (optional: the code of a bundle in force), the visitor (name
and phone optional; the phone is masked wherever records are listed or exported), the question, the guidance
given and the queue ticket it came from. It can be linked later to the case the visitor filed. Recording and
linking are audited (``services.consultation.record`` / ``.link_case``) without the visitor's phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from changji.core import audit, localtime
from changji.core.errors import Refusal
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import Region
from changji.services.catalogue import current_bundles
from changji.services.models import Case, Consultation, QueueTicket, ServiceWindow

__all__ = ["ConsultationError", "ConsultationIn", "filtered", "link_case", "mask_phone", "record", "to_xlsx"]

HEADER = ("时间", "咨询事项", "咨询的一件事", "来访人", "联系电话", "咨询内容", "答复与导办", "接待人员", "窗口",
          "排队号", "转为办件")


class ConsultationError(Refusal):
    """A refused consultation record, with the field at fault."""


@dataclass(frozen=True)
class ConsultationIn:
    """What the clerk records; blank strings for what the visitor did not give."""

    topic: str
    question: str
    guidance: str
    bundle_code: str = ""
    visitor_name: str = ""
    visitor_phone: str = ""


def mask_phone(phone: str) -> str:
    """A phone number for lists: the first 3 and last 4 digits (138****5678); short ones keep only the last 2."""
    if not phone:
        return ""
    if len(phone) >= 11:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def _phone(raw: str) -> str:
    phone = raw.strip().replace("-", "").replace(" ", "")
    if phone and not (phone.isascii() and phone.isdigit() and 7 <= len(phone) <= 20):
        raise ConsultationError("visitor_phone", "联系电话应为 7 到 20 位数字")
    return phone


def _text(value: str, field: str, label: str, max_length: int, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise ConsultationError(field, f"请填写{label}")
    if len(text) > max_length:
        raise ConsultationError(field, f"{label}不能超过 {max_length} 个字")
    if "\x00" in text:
        raise ConsultationError(field, f"{label}含有非法字符")
    return text


def _bundle_code(code: str, today: date) -> str:
    code = code.strip()
    if code and not current_bundles(today).filter(code=code).exists():
        raise ConsultationError("bundle_code", f"没有正在实施的一件事「{code[:32]}」")
    return code


def _clean(data: ConsultationIn, today: date) -> dict[str, str]:
    return {
        "topic": _text(data.topic, "topic", "咨询事项", 128),
        "question": _text(data.question, "question", "咨询内容", 4000),
        "guidance": _text(data.guidance, "guidance", "答复与导办", 4000),
        "visitor_name": _text(data.visitor_name, "visitor_name", "来访人", 64, required=False),
        "visitor_phone": _phone(data.visitor_phone),
        "bundle_code": _bundle_code(data.bundle_code, today),
    }


@transaction.atomic
def record(region: Region, clerk: Any, data: ConsultationIn, *, window: ServiceWindow | None = None,
           ticket: QueueTicket | None = None, now: datetime | None = None) -> Consultation:
    """Record one consultation in ``region``'s hall; refused (nothing written) on a blank or invalid field."""
    now = now or timezone.now()
    fields = _clean(data, localtime.local_day(now))
    if window is not None and window.region_id != region.pk:
        raise ConsultationError("window", "窗口不属于本大厅")
    if ticket is not None and ticket.region_id != region.pk:
        raise ConsultationError("ticket", "排队号不属于本大厅")
    consultation = Consultation.objects.create(region=region, at=now, clerk=clerk if _is_user(clerk) else None,
                                               window=window, ticket=ticket, **fields)
    audit.record("services.consultation.record", actor=clerk, target=consultation, region=region,
                 topic=consultation.topic, bundle_code=consultation.bundle_code,
                 ticket=ticket.number if ticket else "")
    return consultation


def _is_user(who: Any) -> bool:
    return bool(getattr(who, "is_authenticated", False))


@transaction.atomic
def link_case(consultation: Consultation, case: Case, by: Any) -> Consultation:
    """Link a consultation to the case the visitor filed afterwards (the same region)."""
    if case.region_id != consultation.region_id:
        raise ConsultationError("case", "办件不属于该咨询记录所在区划")
    consultation.case = case
    consultation.save(update_fields=["case"])
    audit.record("services.consultation.link_case", actor=by, target=consultation, case=case.receipt_number)
    return consultation


def filtered(consultations: QuerySet[Consultation], *, first: date | None = None, last: date | None = None,
             topic: str = "", clerk_id: int | None = None) -> QuerySet[Consultation]:
    """Narrow (already scoped) consultations by local days ``first``..``last``, a topic fragment and the clerk."""
    if first is not None:
        consultations = consultations.filter(at__gte=localtime.day_bounds(first)[0])
    if last is not None:
        consultations = consultations.filter(at__lt=localtime.day_bounds(last)[1])
    if topic:
        consultations = consultations.filter(topic__icontains=topic)
    if clerk_id is not None:
        consultations = consultations.filter(clerk_id=clerk_id)
    return consultations


def _row(c: Consultation) -> tuple[Any, ...]:
    return (timezone.localtime(c.at).strftime("%Y-%m-%d %H:%M"), c.topic, c.bundle_code, c.visitor_name,
            mask_phone(c.visitor_phone), c.question, c.guidance, c.clerk.get_username() if c.clerk else "",
            c.window.number if c.window else "", c.ticket.number if c.ticket else "",
            c.case.receipt_number if c.case else "")


def to_xlsx(consultations: Iterable[Consultation]) -> bytes:
    """The consultations as one XLSX sheet (phones masked; text cells formula-safe through ``core.exports``)."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = "咨询导办"
    append_row(sheet, HEADER)
    for consultation in consultations:
        append_row(sheet, _row(consultation))
    return workbook_bytes(book)
