"""The 一件事一次办 办结凭证 renders a deterministic Chinese A4 PDF with a verifiable QR code and fingerprint."""

import base64
import dataclasses
import re
import shutil
import subprocess
import zlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from changji.services.certificate import (
    TITLE,
    CertificateData,
    CertificateItem,
    build_verify_url,
    display_identifier,
    fingerprint,
    fingerprint_of,
    format_issued_at,
    is_person_identifier,
    mask_identifier,
    qr_drawing,
    qr_widget,
    render_certificate,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

#: The certificate is rendered in the test process and read by pdftotext: no database is involved, so the
#: PostgreSQL pass of `.ci/run` leaves these out (tests/conftest.py).
pytestmark = pytest.mark.database_independent

USCC = "91652302MA78ABCDEJ"  # valid GB 32100 check character
PERSON_ID = "11010519491231002X"  # the GB 11643 specimen number
ITEMS = (
    CertificateItem("食品经营许可", "阜康市市场监督管理局", "准予许可", "JY16523020012345", date(2030, 5, 1)),
    CertificateItem("公共场所卫生许可", "阜康市卫生健康委员会", "承诺即准入", "阜卫公证字〔2025〕第0123号", None),
    CertificateItem("户外广告设置许可", "阜康市城市管理局", "不予许可", None, None),
)


def make_data(**overrides) -> CertificateData:
    fields = {
        "receipt_number": "FK-2025-000123",
        "bundle_name": "开办餐馆一件事",
        "applicant_name": "阜康市天山餐饮有限公司",
        "applicant_identifier": USCC,
        "issued_at": datetime(2025, 3, 4, 2, 5, tzinfo=UTC),
        "issuing_office": "阜康市政务服务中心",
        "items": ITEMS,
    }
    fields.update(overrides)
    digest = fingerprint(
        receipt_number=fields["receipt_number"],
        bundle_name=fields["bundle_name"],
        applicant_identifier=fields["applicant_identifier"],
        items=fields["items"],
        issued_at=fields["issued_at"],
    )
    base_url = "https://zwfw.fukang.example.cn/verify/"
    fields.setdefault("verify_url", build_verify_url(base_url, fields["receipt_number"], digest))
    fields.setdefault("digest", digest)
    return CertificateData(**fields)


def _unescape_pdf_string(raw: bytes) -> bytes:
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}

    def repl(match: re.Match) -> bytes:
        token = match.group(1)
        if token[:1].isdigit():
            return bytes([int(token, 8)])
        return escapes.get(token, token)

    return re.sub(rb"\\([0-7]{1,3}|.)", repl, raw, flags=re.S)


def content_text(pdf: bytes) -> str:
    """Poor man's pdftotext: the UTF-16BE strings shown with Tj in the (ASCII85+Flate) content streams."""
    shown = []
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            content = zlib.decompress(base64.a85decode(stream.group(1).strip(), adobe=True))
        except ValueError:
            continue
        for literal in re.finditer(rb"\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            shown.append(_unescape_pdf_string(literal.group(1)).decode("utf-16-be", errors="replace"))
    return "\n".join(shown)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_certificate(make_data())


def test_output_is_a_complete_pdf(pdf):
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    assert b"/STSong-Light" in pdf


def test_rendering_is_deterministic(pdf):
    assert render_certificate(make_data()) == pdf
    assert b"/CreationDate (D:20000101000000" in pdf  # invariant mode pins the date and the document ID


def test_sample_is_written_to_test_artifacts(pdf):
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "certificate-sample.pdf"
    target.write_bytes(pdf)
    assert target.read_bytes().startswith(b"%PDF-")


def test_page_shows_the_expected_chinese_content(pdf):
    text = content_text(pdf)
    for expected in (
        TITLE,
        "FK-2025-000123",
        "开办餐馆一件事",
        "阜康市天山餐饮有限公司",
        USCC,
        "阜康市市场监督管理局",
        "准予许可",
        "承诺即准入",
        "不予许可",
        "JY16523020012345",
        "2030年05月01日",
        "2025年03月04日 10:05",  # 02:05 UTC printed in Asia/Shanghai
        "阜康市政务服务中心",
        make_data().digest,
        "扫码核验",
    ):
        assert expected in text, expected


def test_pdftotext_sees_the_title_and_receipt(pdf, tmp_path):
    # `make test` installs poppler-utils (the Makefile's browser step); without it this must fail, not hide.
    assert shutil.which("pdftotext") is not None, "pdftotext is missing: run `make test`, which installs poppler-utils"
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True).stdout
    text = text.decode("utf-8")
    assert "办结凭证" in text and "一件事一次办" in text
    assert "FK-2025-000123" in text


def test_qr_payload_is_the_verify_url():
    data = make_data()
    assert qr_widget(data.verify_url).value == data.verify_url
    drawing = qr_drawing(data.verify_url)
    (widget,) = drawing.contents
    assert widget.value == data.verify_url
    assert drawing.width == drawing.height


def test_verify_url_carries_receipt_and_fingerprint():
    data = make_data()
    assert data.verify_url.startswith("https://")
    assert "receipt=FK-2025-000123" in data.verify_url
    assert f"digest={data.digest}" in data.verify_url
    assert build_verify_url("https://x.example/v?lang=zh", "A 1", "ab") == "https://x.example/v?lang=zh&receipt=A+1&digest=ab"


def test_person_identifier_is_masked_and_enterprise_uscc_is_not():
    assert is_person_identifier(PERSON_ID)
    assert not is_person_identifier(USCC)
    assert mask_identifier(PERSON_ID) == "110105********002X"
    assert display_identifier(PERSON_ID) == "110105********002X"
    assert display_identifier(USCC) == USCC
    assert is_person_identifier("652302800101123")  # legacy 15-digit ID
    assert is_person_identifier("91652302MA78ABCDE0")  # bad check character → not provably an enterprise, masked

    person_text = content_text(render_certificate(make_data(applicant_name="张三", applicant_identifier=PERSON_ID)))
    assert "110105********002X" in person_text
    assert PERSON_ID not in person_text
    enterprise_text = content_text(render_certificate(make_data()))
    assert USCC in enterprise_text


def test_fingerprint_is_short_hex_and_recomputable():
    data = make_data()
    assert re.fullmatch(r"[0-9a-f]{16}", data.digest)
    assert fingerprint_of(data) == data.digest
    shanghai = timezone(timedelta(hours=8))
    same_instant = dataclasses.replace(data, issued_at=data.issued_at.astimezone(shanghai))
    assert fingerprint_of(same_instant) == data.digest  # canonical form is UTC
    assert fingerprint_of(dataclasses.replace(data, applicant_name="改名", issuing_office="别处")) == data.digest


@pytest.mark.parametrize(
    "change",
    [
        {"receipt_number": "FK-2025-000124"},
        {"bundle_name": "开办超市一件事"},
        {"applicant_identifier": PERSON_ID},
        {"issued_at": datetime(2025, 3, 4, 2, 6, tzinfo=UTC)},
        {"items": ITEMS[:2]},
        {"items": (dataclasses.replace(ITEMS[0], outcome="不予许可"), *ITEMS[1:])},
        {"items": (dataclasses.replace(ITEMS[0], valid_until=date(2031, 5, 1)), *ITEMS[1:])},
        {"items": (ITEMS[1], ITEMS[0], ITEMS[2])},
    ],
)
def test_different_content_gives_a_different_fingerprint(change):
    assert make_data(**change).digest != make_data().digest


def test_different_data_renders_a_different_pdf(pdf):
    assert render_certificate(make_data(receipt_number="FK-2025-000999")) != pdf


def test_naive_issue_time_is_rejected():
    with pytest.raises(ValueError, match="aware"):
        make_data(issued_at=datetime(2025, 3, 4, 10, 5))


def test_issue_time_is_printed_in_shanghai():
    assert format_issued_at(datetime(2025, 12, 31, 20, 30, tzinfo=UTC)) == "2026年01月01日 04:30（北京时间）"


def test_many_items_flow_onto_more_pages():
    items = tuple(dataclasses.replace(ITEMS[0], item_name=f"第{i}项许可") for i in range(60))
    many = render_certificate(make_data(items=items))
    assert len(re.findall(rb"/Type /Page\b(?!s)", many)) >= 2
    assert len(re.findall(rb"/Type /Page\b(?!s)", render_certificate(make_data()))) == 1
