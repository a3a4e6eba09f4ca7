"""Aliyun SMS ``SendSms`` (dysmsapi, API version 2017-05-25): the request, its signature and the answer (pure).

The RPC-style request and its signature follow Aliyun's 《签名机制》 (https://help.aliyun.com/document_detail/101343.html,
the SMS API's signature method):

1. the request parameters (common ones — ``AccessKeyId``, ``Action``, ``Format``, ``RegionId``, ``SignatureMethod``
   = ``HMAC-SHA1``, ``SignatureNonce`` (a UUID, new each request), ``SignatureVersion`` = ``1.0``, ``Timestamp``
   (ISO 8601, UTC, ``YYYY-MM-DDThh:mm:ssZ``), ``Version`` = ``2017-05-25`` — and SendSms's own ``PhoneNumbers``,
   ``SignName``, ``TemplateCode``, ``TemplateParam`` (a JSON object), ``OutId``) are sorted by name;
2. each name and value is percent-encoded in UTF-8 (RFC 3986: ``A-Z a-z 0-9 - _ . ~`` kept, a space is ``%20``,
   ``*`` is ``%2A``) and joined ``name=value`` with ``&`` (the canonicalized query string);
3. ``StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(CanonicalizedQueryString)``;
4. ``Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``, sent as the ``Signature`` parameter.

The answer is JSON: ``{"Code": "OK", "Message": "OK", "BizId": "…", "RequestId": "…"}`` on success, else
``Code`` names the error (``isv.MOBILE_NUMBER_ILLEGAL``, ``isv.BUSINESS_LIMIT_CONTROL``, …, see the SMS API's
error code list). ``classify`` sorts a code into sent, throttled (retry later), permanent (do not retry) and
transient (retry with backoff).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import quote

__pure__ = True  # no Django: tests/test_architecture.py checks it

API_VERSION = "2017-05-25"
ACTION = "SendSms"
DEFAULT_REGION = "cn-hangzhou"

#: Error codes after which the same request must not be repeated (the number, the template or the account is wrong).
PERMANENT_CODES = frozenset({
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_PARAMETERS", "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.PARAM_LENGTH_LIMIT", "isv.PARAM_NOT_SUPPORT_URL", "isv.INVALID_JSON_PARAM", "isv.DENY_IP_RANGE",
    "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL", "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE",
    "SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound", "isv.SMS_TEST_NUMBER_LIMIT",
})
#: Flow control by the provider: the number (or the account) got too many; try again later.
THROTTLE_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling.User",
                            "isv.SMS_OVER_LIMIT"})


class Outcome(StrEnum):
    SENT = "sent"
    THROTTLED = "throttled"
    PERMANENT = "permanent"
    TRANSIENT = "transient"


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding as the signature needs it (space → %20, ``*`` → %2A, ``~`` kept)."""
    return quote(value, safe="-_.~", encoding="utf-8")


def canonical_query(params: Mapping[str, str]) -> str:
    """The sorted, encoded ``name=value&…`` string of every parameter but ``Signature``."""
    return "&".join(f"{percent_encode(name)}={percent_encode(params[name])}"
                    for name in sorted(params) if name != "Signature")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``HTTPMethod&%2F&percentEncode(CanonicalizedQueryString)``."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """Base64(HMAC-SHA1(secret + "&", StringToSign))."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp(at: datetime) -> str:
    """ISO 8601 in UTC as the API wants it: ``2026-12-05T04:00:00Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str

    def __repr__(self) -> str:  # the secret never reaches a log or a traceback
        return f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret='[REDACTED]')"


def send_sms_params(credentials: Credentials, *, phone: str, sign_name: str, template_code: str,
                    template_param: Mapping[str, str], at: datetime, nonce: str, out_id: str = "",
                    region_id: str = DEFAULT_REGION, method: str = "POST") -> dict[str, str]:
    """The signed parameters of one SendSms request (sent as the form body of a POST, or the query of a GET)."""
    params = {
        "AccessKeyId": credentials.access_key_id, "Action": ACTION, "Format": "JSON", "RegionId": region_id,
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce, "SignatureVersion": "1.0",
        "Timestamp": timestamp(at), "Version": API_VERSION,
        "PhoneNumbers": phone, "SignName": sign_name, "TemplateCode": template_code,
        "TemplateParam": json.dumps(dict(template_param), ensure_ascii=False, separators=(",", ":")),
    }
    if out_id:
        params["OutId"] = out_id
    params["Signature"] = signature(credentials.access_key_secret, method, params)
    return params


@dataclass(frozen=True)
class Answer:
    """The provider's answer to one SendSms request, classified."""

    outcome: Outcome
    code: str
    message: str = ""
    biz_id: str = ""
    request_id: str = ""


def classify(status: int, body: bytes) -> Answer:
    """Read the HTTP status and JSON body of a SendSms answer (a 5xx or an unreadable body is transient)."""
    try:
        data = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    code, message = str(data.get("Code", "")), str(data.get("Message", ""))[:300]
    request_id = str(data.get("RequestId", ""))
    if status == 200 and code == "OK":
        return Answer(Outcome.SENT, code, message, str(data.get("BizId", "")), request_id)
    if code in THROTTLE_CODES or status == 429:
        return Answer(Outcome.THROTTLED, code or str(status), message, request_id=request_id)
    if code in PERMANENT_CODES or (400 <= status < 500 and code):
        return Answer(Outcome.PERMANENT, code or str(status), message, request_id=request_id)
    return Answer(Outcome.TRANSIENT, code or f"HTTP {status}", message, request_id=request_id)
