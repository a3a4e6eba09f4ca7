"""No secret in any log: query codes, API keys, tokens, passwords and session cookies are redacted from log records.

Secrets travel in places that get logged: runserver's access lines carry the query string
(``"GET /open311/v2/requests.json?api_key=… HTTP/1.1" 200``), ``django.request`` names the path of every 4xx
(and a path can hold anything a client typed), notifications to the applicant state the 查询码, and an
exception's message may quote a header or a form field. :func:`redact` rewrites such text; it knows:

* ``name=value`` pairs, as in query strings, form bodies and cookies (``?api_key=…&``, ``password=…``,
  ``sessionid=…; csrftoken=…``), also URL-encoded (``api_key%3D…``);
* ``"name": value`` in JSON and Python reprs, and ``name: value`` in free text and headers (``X-Api-Key: …``),
  except for words that describe the secret instead of being it (``api_key: invalid``);
* ``Authorization: Bearer …`` (any scheme) and a bare ``Bearer …``;
* the Chinese labels of the platform's own messages: ``查询码 123456``, ``密码：…``, ``令牌 …``.

Mobile phone numbers are personal data, and notices (``core.notifications``) carry them: every 11-digit mainland
mobile number standing alone (``13812345678``, ``+86 13812345678``) is masked to its first 3 and last 4 digits
(``138****5678``, :func:`mask_mobiles`) wherever it appears.

A name is secret when it contains one of :data:`SECRET_WORDS` (``api_key``, ``token``, ``password``,
``query_code``, ``sessionid``, ``csrftoken``…): ``csrfmiddlewaretoken`` and ``new_password1`` are covered,
``service_code`` is not.

Two guards apply it, both installed from ``settings.LOGGING`` (see ``configure_logging``):

* :class:`RedactSecrets`, a filter on every configured handler, so everything written passes through it;
* a log-record factory that redacts each record when it is made, so that no handler added later (pytest's
  caplog, an error tracker) ever receives the secret either.
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = ["REDACTED", "SECRET_WORDS", "RedactSecrets", "configure_logging", "install_record_factory",
           "mask_mobiles", "redact", "redact_record"]

REDACTED = "[REDACTED]"
#: A field whose name contains one of these (case-insensitive) holds a secret.
SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "api-key", "apikey", "query_code",
                "querycode", "sessionid", "csrftoken", "authorization", "signature")
#: Values that say what is wrong with a secret rather than being one: "api_key: invalid" keeps its meaning.
_DESCRIPTIONS = frozenset({"missing", "invalid", "required", "expired", "wrong", "none", "null", "empty", "absent",
                           "inactive", "unknown", "incorrect", "revoked", "not", "is", "must", "or", "and",
                           "bearer", "basic", "digest", "token", REDACTED.lower()})

#: A whole name (a run of word characters, dots and dashes) holding a secret word. It starts only where a run
#: starts and takes the run possessively, so that a long run costs linear time, never quadratic.
_NAME = (r"(?<![\w.\-])(?=[\w.\-]*?(?:" + "|".join(re.escape(word) for word in SECRET_WORDS) + r"))"
         r"[\w.\-]*+")
_PAIR = re.compile(r"(?P<name>" + _NAME + r")(?P<sep>\s*(?:=|%3D)\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s&;,'\"<>]+)",
                   re.IGNORECASE)
_QUOTED = re.compile(r"(?P<name>([\"'])" + _NAME + r"\2\s*:\s*)"
                     r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s,}\]]+)", re.IGNORECASE)
_HEADER = re.compile(r"(?P<name>\b(?:Proxy-)?Authorization\s*[:=]\s*(?:(?:Bearer|Basic|Digest|Token)\s+)?)"
                     r"(?P<value>[^\s,;'\"]+)", re.IGNORECASE)
_SCHEME = re.compile(r"\b(?P<name>(?:Bearer|Basic|Digest|Token)\s+)(?P<value>[\w.~+/=\-]{6,})")
_COLON = re.compile(r"(?P<name>(?<![\"'])" + _NAME + r"\s*[:：]\s*)(?P<value>[^\s,;&'\"<>]+)", re.IGNORECASE)
_CHINESE = re.compile(r"(?P<name>(?:查询码|密码|口令|令牌|密钥)\s*[:：=]?\s*)(?P<value>[0-9A-Za-z_.~+/=\-]+)")


def _keep_name(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.strip("\"'").lower() in _DESCRIPTIONS:
        return match.group(0)
    quote = value[0] if value[:1] in ("'", '"') and len(value) > 1 and value[-1] == value[0] else ""
    return f"{match.group('name')}{match.groupdict().get('sep') or ''}{quote}{REDACTED}{quote}"


#: Every pattern above needs one of these words: text without any (nearly every log line) is left at once.
_TRIGGER = re.compile("|".join([*(re.escape(word) for word in SECRET_WORDS), "bearer", "basic", "digest",
                                "查询码", "密码", "口令", "令牌", "密钥"]), re.IGNORECASE)


#: A mainland mobile number (1[3-9] and 9 more digits), optionally after +86, with no ASCII letter or digit on
#: either side (so a run inside a hex frame or a longer number is left alone).
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?P<country>\+?86[ -]?)?(?P<head>1[3-9][0-9])[0-9]{4}(?P<tail>[0-9]{4})"
                     r"(?![0-9A-Za-z])")


def mask_mobiles(text: str) -> str:
    """``text`` with every mobile number masked to its first 3 and last 4 digits: 13812345678 → 138****5678."""
    return _MOBILE.sub(lambda m: f"{m.group('country') or ''}{m.group('head')}****{m.group('tail')}", text)


def redact(text: str) -> str:
    """``text`` with every secret's value replaced by :data:`REDACTED` and mobile numbers masked (module docstring)."""
    text = mask_mobiles(text)
    if not _TRIGGER.search(text):
        return text
    for pattern in (_HEADER, _QUOTED, _PAIR, _SCHEME, _COLON, _CHINESE):
        text = pattern.sub(_keep_name, text)
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact ``record`` in place: its message (with its args merged in), its traceback and its stack."""
    if getattr(record, "secrets_redacted", False):
        return record  # made by the factory; a handler's filter need not do it again
    try:
        message = record.getMessage()
    except Exception:  # a broken format: logging reports it when the record is emitted
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record.secrets_redacted = True
    return record


class RedactSecrets(logging.Filter):
    """A logging filter that redacts secrets from every record it sees and lets the record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_record_factory() -> None:
    """Make every log record of the process redacted as it is created (once; later calls do nothing)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_secrets", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(current(*args, **kwargs))

    factory.redacts_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure_logging(config: dict[str, Any]) -> None:
    """``settings.LOGGING_CONFIG``: apply ``settings.LOGGING`` with ``dictConfig``, then the record factory."""
    logging.config.dictConfig(config)
    install_record_factory()
