"""Refusals of the exchange API, each with its HTTP status and a stable ``code`` (pure: no Django).

::

    Refusal                          core.errors
     └── ExchangeError(code, message)            status 400  bad JSON, a batch that breaks the format
          ├── UnknownStreamError                 status 400  a stream this instance does not know
          ├── BodyTooLargeError                  status 413  a body above ``MAX_BODY_BYTES``
          ├── SignatureRefused                   status 401  missing, stale, replayed or wrong signature
          ├── CredentialRefused                  status 403  a revoked or inactive credential
          └── GapError(expected_seq)             status 409  a batch beyond the next expected one

The message is Chinese and never carries a secret; the ``code`` is what a client branches on.
"""

from __future__ import annotations

from changji.core.errors import Refusal

__pure__ = True


class ExchangeError(Refusal):
    """A request the exchange API refuses; nothing was changed."""

    status = 400

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(field, message)
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class UnknownStreamError(ExchangeError):
    """The batch names a stream this instance does not apply."""


class BodyTooLargeError(ExchangeError):
    """The body is larger than the API accepts."""

    status = 413


class SignatureRefused(ExchangeError):
    """The signature headers are missing, stale, replayed or do not match."""

    status = 401


class CredentialRefused(ExchangeError):
    """The credential exists but is revoked or inactive."""

    status = 403


class GapError(ExchangeError):
    """The batch's sequence number is beyond the next expected one: the sender must rewind to ``expected_seq``."""

    status = 409

    def __init__(self, expected_seq: int, got: int) -> None:
        super().__init__("gap", f"批次号不连续：期望 {expected_seq}，收到 {got}，请从 {expected_seq} 起重发")
        self.expected_seq = expected_seq
