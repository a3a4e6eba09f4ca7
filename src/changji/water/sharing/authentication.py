"""Who is calling the exchange API: the signed request checked against the credential issued to the peer.

:func:`authenticate` parses the signature headers (``signing``), refuses a stale timestamp, finds the
:class:`DownstreamPeer` by key, refuses a revoked or inactive one, checks the HMAC in constant time and
finally stores the nonce (``ExchangeNonce``, unique per key): a replayed request fails there. The nonce is
stored in its own transaction before the request is acted on, so a replay is refused even if the first
request is still running. Nonces older than twice the window are pruned (:func:`prune_nonces`, run by the
push job and opportunistically here).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from changji.water.models import DownstreamPeer, ExchangeNonce
from changji.water.sharing import signing
from changji.water.sharing.errors import CredentialRefused, SignatureRefused

log = logging.getLogger("changji.water.exchange")
#: Nonces are kept this long: a replay inside the window finds its nonce, one after it fails on the timestamp.
NONCE_RETENTION = timedelta(seconds=2 * signing.WINDOW_SECONDS)


def authenticate(headers: Mapping[str, str], method: str, path: str, body: bytes,
                 now: datetime | None = None) -> DownstreamPeer:
    """Return the peer that signed this request, or raise ``SignatureRefused`` / ``CredentialRefused``."""
    now = now or timezone.now()
    try:
        signed = signing.read_headers(headers)
        signing.check_fresh(signed.timestamp, now.timestamp())
    except signing.SignatureError as error:
        raise SignatureRefused("signature", str(error)) from None
    peer = DownstreamPeer.objects.select_related("region").filter(key_id=signed.key_id).first()
    if peer is None:
        raise SignatureRefused("unknown_key", "凭据编号不存在")
    try:
        signing.verify(peer.secret, signed, method, path, body)
    except signing.SignatureError as error:
        raise SignatureRefused("signature", str(error)) from None
    if not peer.active or peer.revoked_at is not None:
        raise CredentialRefused("revoked", "该凭据已吊销或停用，请向上级平台申请新凭据")
    _remember_nonce(signed.key_id, signed.nonce, now)
    DownstreamPeer.objects.filter(pk=peer.pk).update(last_seen_at=now)
    return peer


def _remember_nonce(key_id: str, nonce: str, now: datetime) -> None:
    try:
        with transaction.atomic():
            ExchangeNonce.objects.create(key_id=key_id, nonce=nonce, seen_at=now)
    except IntegrityError:
        raise SignatureRefused("replayed", "该请求已处理过（随机数重复），拒绝重放") from None
    if now.second % 10 == 0:  # prune now and then, without a query per request
        prune_nonces(now)


def prune_nonces(now: datetime | None = None) -> int:
    """Delete nonces too old to matter; return how many."""
    cutoff = (now or timezone.now()) - NONCE_RETENTION
    deleted, _ = ExchangeNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
