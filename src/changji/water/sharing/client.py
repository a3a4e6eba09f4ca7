"""The downstream's HTTP client of its upstream's exchange API: signed requests over urllib, with timeouts.

Every call signs its method, path with query, timestamp, a fresh nonce and the body (``signing.sign``). An
answer is returned as (status, JSON body) for 2xx and 4xx; a connection failure, a timeout or a 5xx raises
:class:`TransportError`, which delivery treats as "retry later with back-off".
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from changji.water.sharing import signing

PREFIX = "/api/exchange/v1/"
#: Seconds to wait for the upstream's answer (connect and read).
TIMEOUT_SECONDS = 30.0


class TransportError(Exception):
    """The upstream could not be reached or failed (connection refused, timeout, 5xx): try again later."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where the upstream is and the credential it issued."""

    base_url: str
    key_id: str
    secret: str
    timeout: float = TIMEOUT_SECONDS

    def url(self, name: str, query: dict[str, Any] | None = None) -> str:
        """The absolute URL of the exchange operation ``name``."""
        base = self.base_url.rstrip("/")
        return f"{base}{PREFIX}{name}" + (f"?{urlencode(query)}" if query else "")

    def call(self, method: str, name: str, body: Any = None, query: dict[str, Any] | None = None,
             extra_headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """Send a signed request; return (status, decoded JSON) for 2xx/4xx, raise ``TransportError`` else."""
        url = self.url(name, query)
        data = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        parts = urlsplit(url)
        signed_path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   **signing.sign(self.key_id, self.secret, method, signed_path, data), **(extra_headers or {})}
        request = urllib.request.Request(url, data=data if method != "GET" else None, headers=headers,
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (https or http URL)
                return answer.status, _decode(answer.read())
        except urllib.error.HTTPError as answer:
            if answer.code >= 500:
                raise TransportError(f"上级平台返回 {answer.code}") from None
            return answer.code, _decode(answer.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TransportError(f"无法连接上级平台：{reason}") from None


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        return {"detail": raw[:200].decode("utf-8", "replace")}
