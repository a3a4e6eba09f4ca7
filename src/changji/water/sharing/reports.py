"""The ``reports`` stream: reports as issued (月报/季报/年报), their metadata and the file itself.

Key ``<region code>|<period>|<first day>|<format>``: the upstream keeps the latest issue of each report. The file
travels base64-encoded (``content_b64``) with its ``sha256`` and ``size_bytes``: a prefecture's yearly workbook of
10,401 wells is about a megabyte, small beside a day of the usage stream. A file above ``MAX_INLINE_BYTES``
travels as its digest and size only (``content_b64`` null); the upstream then lists the report and says the file
stays below.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from django.core.files.base import ContentFile

from changji.core.models import Region
from changji.water.models import Report
from changji.water.sharing import capture, wire
from changji.water.sharing.outbox import Change
from changji.water.sharing.streams import ApplyResult, Row, Stream, apply_each, register

STREAM = "reports"
MAX_INLINE_BYTES = 16 * 1024 * 1024
#: ``generated_by`` of a report received from below (the sender's name follows).
RECEIVED_PREFIX = "下级上报"


def report_key(region_code: str, period: str, first_day: str, file_format: str) -> str:
    return wire.compound(region_code, period, first_day, file_format)


def report_change(report: Report) -> Change | None:
    """The report as issued, or None while it has no file yet."""
    if not report.file:
        return None
    with report.file.open("rb") as handle:
        content = handle.read()
    payload = {"region_code": report.region_id, "period": report.period, "first_day": wire.day(report.first_day),
               "last_day": wire.day(report.last_day), "file_format": report.file_format,
               "generated_at": wire.instant(report.generated_at), "generated_by": report.generated_by,
               "file_name": (report.file.name or "").rsplit("/", 1)[-1], "size_bytes": len(content),
               "sha256": hashlib.sha256(content).hexdigest(),
               "content_b64": base64.b64encode(content).decode() if len(content) <= MAX_INLINE_BYTES else None,
               "changed_at": capture.stamp()}
    key = report_key(report.region_id, report.period, report.first_day.isoformat(), report.file_format)
    return Change(STREAM, key, report.region_id, payload)


def _apply_one(row: Row, source: str) -> None:
    p = row.payload
    region = Region.objects.filter(code=p["region_code"]).first()
    if region is None:
        raise LookupError(f"行政区划 {p['region_code']} 不存在")
    content = base64.b64decode(p["content_b64"]) if p.get("content_b64") else None
    if content is not None and hashlib.sha256(content).hexdigest() != p["sha256"]:
        raise LookupError("报表文件校验值不符，可能传输损坏")
    first_day = wire.required_day(p["first_day"])
    existing = Report.objects.filter(region=region, period=p["period"], first_day=first_day,
                                     file_format=p["file_format"], generated_by__startswith=RECEIVED_PREFIX)
    if row.deleted:
        existing.delete()
        return
    report = existing.first() or Report(region=region, period=p["period"], first_day=first_day,
                                        file_format=p["file_format"])
    report.last_day = wire.required_day(p["last_day"])
    report.generated_by = f"{RECEIVED_PREFIX}（{source}，{p.get('generated_by') or ''}）"[:150]
    body = content if content is not None else (
        f"报表文件保留在下级平台：{p.get('file_name')}，{p.get('size_bytes')} 字节，SHA-256 {p.get('sha256')}".encode())
    name = str(p.get("file_name") or "report") if content is not None else f"{p.get('file_name')}.txt"
    report.file.save(name, ContentFile(body), save=True)


def apply(rows: Sequence[Row], source: str) -> ApplyResult:
    """Store each report as issued below (the latest issue per key); re-pushed upward by the receiver."""
    return apply_each(wire.latest_per_key(rows), lambda row: _apply_one(row, source))

STREAM_DEF = Stream(STREAM, "统计报表（月报、季报、年报）", apply, order=50)


def register_stream() -> Stream:
    return register(STREAM_DEF)
