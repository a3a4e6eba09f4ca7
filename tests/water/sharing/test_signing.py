"""The exchange's request signature: every signed part is covered, the window and the header shapes."""

from __future__ import annotations

import pytest

from changji.water.sharing import signing

SECRET = "s3cret-for-tests-only-0123456789abcdef"
BODY = b'{"stream":"usage","seq":1,"entries":[]}'


def _signed(**overrides):
    parts = {"method": "POST", "path": "/api/exchange/v1/batches", "body": BODY}
    headers = signing.sign("652302-abcd", SECRET, parts["method"], parts["path"], parts["body"], now=1_800_000_000,
                           nonce="n" * 20)
    return headers, {**parts, **overrides}


def test_a_signed_request_verifies():
    headers, parts = _signed()
    signed = signing.read_headers(headers)
    signing.verify(SECRET, signed, parts["method"], parts["path"], parts["body"])
    assert signed.key_id == "652302-abcd" and signed.timestamp == 1_800_000_000


@pytest.mark.parametrize("change", [
    {"method": "PUT"},
    {"path": "/api/exchange/v1/status"},
    {"path": "/api/exchange/v1/batches?x=1"},
    {"body": BODY.replace(b"1", b"2")},
    {"body": BODY + b" "},
])
def test_tampering_with_a_signed_part_of_the_request_is_refused(change):
    headers, parts = _signed(**change)
    with pytest.raises(signing.SignatureError, match="签名不匹配"):
        signing.verify(SECRET, signing.read_headers(headers), parts["method"], parts["path"], parts["body"])


@pytest.mark.parametrize("header, value", [
    (signing.TIMESTAMP_HEADER, "1800000001"),
    (signing.NONCE_HEADER, "m" * 20),
    (signing.SIGNATURE_HEADER, "0" * 64),
])
def test_tampering_with_a_signed_header_is_refused(header, value):
    headers, parts = _signed()
    headers[header] = value
    with pytest.raises(signing.SignatureError, match="签名不匹配"):
        signing.verify(SECRET, signing.read_headers(headers), parts["method"], parts["path"], parts["body"])


def test_another_secret_does_not_verify():
    headers, parts = _signed()
    with pytest.raises(signing.SignatureError):
        signing.verify(SECRET + "x", signing.read_headers(headers), parts["method"], parts["path"], parts["body"])


@pytest.mark.parametrize("header, value, message", [
    (signing.KEY_HEADER, "", "缺少签名请求头"),
    (signing.KEY_HEADER, "a b", "凭据编号"),
    (signing.TIMESTAMP_HEADER, "-5", "时间戳"),
    (signing.TIMESTAMP_HEADER, "１２３", "时间戳"),
    (signing.NONCE_HEADER, "short", "随机数"),
    (signing.SIGNATURE_HEADER, "ABC", "签名格式"),
])
def test_malformed_headers_are_refused_with_a_reason(header, value, message):
    headers, _ = _signed()
    headers[header] = value
    with pytest.raises(signing.SignatureError, match=message):
        signing.read_headers(headers)


def test_the_replay_window_is_300_seconds_either_way():
    signing.check_fresh(1000, 1300)
    signing.check_fresh(1300, 1000)
    for now in (1301, 699):
        with pytest.raises(signing.SignatureError, match="300"):
            signing.check_fresh(1000, now)


def test_the_string_to_sign_is_five_lines_ending_with_the_body_digest():
    lines = signing.string_to_sign("post", "/p?q=1", 7, "n" * 16, b"").decode().split("\n")
    assert lines == ["POST", "/p?q=1", "7", "n" * 16,
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]


def test_nonces_and_secrets_are_fresh_and_well_formed():
    nonces = {signing.new_nonce() for _ in range(100)}
    assert len(nonces) == 100 and all(signing.NONCE_PATTERN.match(n) for n in nonces)
    assert len(signing.new_secret()) >= 40
