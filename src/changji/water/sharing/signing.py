r"""Request signing of the exchange API: HMAC-SHA256 over the request, a replay window and a nonce.

A downstream instance signs every request to its upstream with the secret the upstream issued it
(``DownstreamPeer``). The signed string is five lines, joined by ``\n``::

    METHOD            upper case, e.g. POST
    PATH              with its query string, exactly as sent (e.g. /api/exchange/v1/targets?year=2026)
    TIMESTAMP         Unix seconds, decimal
    NONCE             16 to 64 characters of [A-Za-z0-9_-], never reused within the window
    SHA256(BODY)      lower-case hex of the body's SHA-256 (of b"" for a GET)

and sent in four headers (``X-Changji-Key``, ``X-Changji-Timestamp``, ``X-Changji-Nonce``,
``X-Changji-Signature``: lower-case hex of the HMAC). The upstream recomputes the HMAC and compares in
constant time (``hmac.compare_digest``); refuses a timestamp more than ``WINDOW_SECONDS`` from its clock;
and refuses a nonce it has already seen for that key (its nonce store keeps them for twice the window, so a
request replayed inside the window is refused, and one replayed after it fails on the timestamp).

Pure: no Django, so the scheme can be read (and reimplemented by another vendor) from this file alone; the
nonce store is the caller's (``water.sharing.nonces``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

__pure__ = True

#: Seconds a request's timestamp may differ from the receiver's clock, either way.
WINDOW_SECONDS = 300
KEY_HEADER = "X-Changji-Key"
TIMESTAMP_HEADER = "X-Changji-Timestamp"
NONCE_HEADER = "X-Changji-Nonce"
SIGNATURE_HEADER = "X-Changji-Signature"
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
SIGNATURE_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class SignatureError(ValueError):
    """A request whose signature headers are missing, malformed, stale or wrong (the reason says which)."""


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The four signature headers of one request, as received."""

    key_id: str
    timestamp: int
    nonce: str
    signature: str


def body_digest(body: bytes) -> str:
    """Lower-case hex SHA-256 of ``body``."""
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    """The five signed lines of a request, as bytes."""
    return "\n".join((method.upper(), path, str(timestamp), nonce, body_digest(body))).encode()


def compute(secret: str, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of a request under ``secret``."""
    return hmac.new(secret.encode(), string_to_sign(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    """A fresh random nonce (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def new_secret() -> str:
    """A fresh signing secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def sign(key_id: str, secret: str, method: str, path: str, body: bytes, *, now: float | None = None,
         nonce: str | None = None) -> dict[str, str]:
    """The headers that sign a request to ``path`` (with its query) carrying ``body``."""
    timestamp = int(time.time() if now is None else now)
    nonce = nonce or new_nonce()
    return {KEY_HEADER: key_id, TIMESTAMP_HEADER: str(timestamp), NONCE_HEADER: nonce,
            SIGNATURE_HEADER: compute(secret, method, path, timestamp, nonce, body)}


def read_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """Parse the signature headers (``headers`` looked up case-insensitively by the caller's mapping)."""
    values = {name: headers.get(name) for name in (KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SignatureError(f"缺少签名请求头：{', '.join(missing)}")
    key_id, stamp, nonce, signature = (str(values[n]) for n in values)
    if not KEY_PATTERN.match(key_id):
        raise SignatureError("凭据编号格式不正确")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise SignatureError("时间戳格式不正确")
    if not NONCE_PATTERN.match(nonce):
        raise SignatureError("随机数格式不正确（16–64 位字母、数字、- 或 _）")
    if not SIGNATURE_PATTERN.match(signature):
        raise SignatureError("签名格式不正确（64 位小写十六进制）")
    return SignedHeaders(key_id, int(stamp), nonce, signature)


def check_fresh(timestamp: int, now: float, window: int = WINDOW_SECONDS) -> None:
    """Refuse a timestamp outside ``now ± window``."""
    if abs(now - timestamp) > window:
        raise SignatureError(f"请求时间超出允许范围（±{window} 秒），请校准时钟")


def verify(secret: str, signed: SignedHeaders, method: str, path: str, body: bytes) -> None:
    """Refuse a signature that does not match the request (constant-time comparison)."""
    expected = compute(secret, method, path, signed.timestamp, signed.nonce, body)
    if not hmac.compare_digest(expected, signed.signature):
        raise SignatureError("签名不匹配")
