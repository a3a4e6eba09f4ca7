"""Credentials between levels.

The upstream issues, rotates and revokes a downstream's; the downstream stores the link to its upstream.

A secret is generated here (``signing.new_secret``), returned once to be shown to the administrator who
issued or rotated it, and never again: pages and the API show key ids only, and the link form's secret field
is write-only (left blank, the stored secret stays). Every change is audited without the secret.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from changji.core import audit
from changji.core.errors import Refusal
from changji.core.models import Region
from changji.core.scope import user_can_access_region
from changji.water.models import DownstreamPeer, RawReadingRequest, UpstreamLink
from changji.water.sharing import signing
from changji.water.sharing.receiving import MAX_ENTRIES


def _new_key_id(region: Region) -> str:
    return f"{region.code}-{secrets.token_hex(4)}"


def issue(name: str, region: Region, by: Any) -> tuple[DownstreamPeer, str]:
    """Issue a credential to a downstream instance serving ``region``; return it and its secret (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise Refusal("name", "请填写下级平台名称（不超过 100 字）")
    if by is not None and not user_can_access_region(by, region):
        raise Refusal("region", "只能为本人管辖范围内的区划签发凭据")
    secret = signing.new_secret()
    with transaction.atomic():
        peer = DownstreamPeer.objects.create(name=name, region=region, key_id=_new_key_id(region), secret=secret,
                                             issued_by=by.get_username() if by is not None else "cli")
        audit.record("water.exchange.peer_issued", actor=by, target=peer, key_id=peer.key_id, name=name)
    return peer, secret


def rotate(peer: DownstreamPeer, by: Any) -> str:
    """Give ``peer`` a new secret (the old one stops working at once); return it (shown once)."""
    if peer.revoked_at is not None:
        raise Refusal(None, "已吊销的凭据不能更换密钥，请重新签发")
    secret = signing.new_secret()
    with transaction.atomic():
        DownstreamPeer.objects.filter(pk=peer.pk).update(secret=secret)
        audit.record("water.exchange.peer_rotated", actor=by, target=peer, key_id=peer.key_id)
    peer.secret = secret
    return secret


def revoke(peer: DownstreamPeer, by: Any, reason: str = "") -> None:
    """Revoke ``peer``'s credential: every later request with it is refused (403)."""
    if peer.revoked_at is not None:
        return
    with transaction.atomic():
        peer.active, peer.revoked_at = False, timezone.now()
        peer.save(update_fields=["active", "revoked_at"])
        audit.record("water.exchange.peer_revoked", actor=by, target=peer, reason=reason, key_id=peer.key_id)


def save_link(*, name: str, base_url: str, key_id: str, secret: str, batch_size: int, by: Any) -> UpstreamLink:
    """Create or update this instance's (single) upstream link; a blank ``secret`` keeps the stored one."""
    if not signing.KEY_PATTERN.match(key_id or ""):
        raise Refusal("key_id", "凭据编号格式不正确（字母、数字、- 或 _）")
    if not base_url.startswith(("http://", "https://")):
        raise Refusal("base_url", "地址应以 http:// 或 https:// 开头")
    if not 1 <= batch_size <= MAX_ENTRIES:
        raise Refusal("batch_size", f"每批条数应在 1–{MAX_ENTRIES} 之间")
    with transaction.atomic():
        link = UpstreamLink.objects.filter(active=True).order_by("pk").first() or UpstreamLink(active=True)
        if not secret and not link.secret:
            raise Refusal("secret", "首次配置须填写签名密钥")
        link.name, link.base_url, link.key_id = name.strip() or "上级平台", base_url, key_id
        link.batch_size = batch_size
        if secret:
            link.secret = secret
        link.save()
        audit.record("water.exchange.link_saved", actor=by, target=link, base_url=base_url, key_id=key_id,
                     secret_changed=bool(secret))
    return link


def request_readings(peer: DownstreamPeer, well_code: str, since: Any, until: Any, by: Any) -> RawReadingRequest:
    """Ask ``peer`` for a well's raw readings over [since, until] (召测); served by ``GET requests``."""
    well_code = well_code.strip()
    if not well_code or len(well_code) > 32:
        raise Refusal("well_code", "请填写井编号")
    if until < since or (until - since).days > 366:
        raise Refusal("until", "截止日应不早于起始日，且跨度不超过一年")
    with transaction.atomic():
        row = RawReadingRequest.objects.create(peer=peer, well_code=well_code, since=since, until=until,
                                               requested_by=by.get_username() if by is not None else "cli")
        audit.record("water.exchange.readings_requested", actor=by, target=row, region=peer.region,
                     well_code=well_code, since=since.isoformat(), until=until.isoformat())
    return row
