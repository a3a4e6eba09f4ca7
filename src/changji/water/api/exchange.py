"""上下级数据交换 administration in the JSON API (the machine-to-machine exchange itself is ``/api/exchange/v1/``).

``GET /exchange/peers`` lists the credentials issued to downstream instances in scope; ``POST /exchange/peers``
issues one (the secret is in this answer only), ``POST /exchange/peers/{id}/rotate`` and ``…/revoke`` change
one (``water.exchange.manage``, audited); ``GET /exchange/health`` is the health table;
``GET /exchange/upstream`` the push state of this instance and ``POST /exchange/upstream/push`` runs a push.
"""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema

from changji.core.access import P
from changji.core.api_schemas import Text
from changji.core.guards import operation
from changji.core.scope import scope_queryset
from changji.water.api.tax import region_in_scope
from changji.water.models import DownstreamPeer
from changji.water.sharing import credentials, delivery, health

router = Router(tags=["water"])


class PeerOut(Schema):
    id: int
    name: str
    region: str = Field(alias="region_id")
    key_id: str
    active: bool
    revoked_at: Any = None
    last_seen_at: Any = None


class PeerIn(Schema):
    name: Text = Field(min_length=1, max_length=100)
    region: Text = Field(pattern=r"^[0-9]{6}(?:[0-9]{3}){0,3}$", description="下级平台所辖区划代码")


class IssuedOut(Schema):
    key_id: str
    secret: str = Field(description="签名密钥：只在此应答中出现一次")


class HealthOut(Schema):
    peer: str
    region: str
    key_id: str
    stream: str
    applied_seq: int
    last_batch_at: Any = None
    lag_minutes: int | None
    backlog: int | None
    gaps: int
    duplicates: int
    rows_applied: int
    rows_refused: int


class PushStateOut(Schema):
    stream: str
    next_seq: int
    backlog: int
    attempts: int
    last_error: str
    next_try_at: Any = None
    last_delivered_at: Any = None


class PushOut(Schema):
    batches: int
    rows: int
    errors: int


def _peers(request: HttpRequest) -> Any:
    return scope_queryset(DownstreamPeer.objects.all(), request.user)


@router.get("/exchange/peers", response=list[PeerOut])
@operation(P.WATER_EXCHANGE_READ)
def list_peers(request: HttpRequest) -> Any:
    """The credentials issued to downstream instances in scope (never their secrets)."""
    return _peers(request)


@router.post("/exchange/peers", response=IssuedOut)
@operation(P.WATER_EXCHANGE_MANAGE)
def issue_peer(request: HttpRequest, body: PeerIn) -> dict[str, str]:
    """Issue a credential to a downstream instance; the answer carries its secret, once."""
    peer, secret = credentials.issue(body.name, region_in_scope(request, body.region), request.user)
    return {"key_id": peer.key_id, "secret": secret}


@router.post("/exchange/peers/{peer_id}/rotate", response=IssuedOut)
@operation(P.WATER_EXCHANGE_MANAGE)
def rotate_peer(request: HttpRequest, peer_id: int) -> dict[str, str]:
    """Give a peer a new secret (in this answer only); the old one stops working."""
    peer = get_object_or_404(_peers(request), pk=peer_id)
    return {"key_id": peer.key_id, "secret": credentials.rotate(peer, request.user)}


@router.post("/exchange/peers/{peer_id}/revoke", response=PeerOut)
@operation(P.WATER_EXCHANGE_MANAGE)
def revoke_peer(request: HttpRequest, peer_id: int) -> DownstreamPeer:
    """Revoke a peer's credential."""
    peer = get_object_or_404(_peers(request), pk=peer_id)
    credentials.revoke(peer, request.user)
    return peer


@router.get("/exchange/health", response=list[HealthOut])
@operation(P.WATER_EXCHANGE_READ)
def exchange_health(request: HttpRequest) -> list[dict[str, Any]]:
    """Each downstream's health per stream."""
    return [{"peer": r.peer.name, "region": r.peer.region_id, "key_id": r.peer.key_id, "stream": r.stream,
             "applied_seq": r.applied_seq, "last_batch_at": r.last_batch_at, "lag_minutes": r.lag_minutes,
             "backlog": r.backlog, "gaps": r.gaps, "duplicates": r.duplicates, "rows_applied": r.rows_applied,
             "rows_refused": r.rows_refused} for r in health.health_rows(_peers(request), timezone.now())]


@router.get("/exchange/upstream", response=list[PushStateOut])
@operation(P.WATER_EXCHANGE_READ)
def push_state(request: HttpRequest) -> list[health.PushState]:
    """This instance's push state per stream."""
    return health.push_states()


@router.post("/exchange/upstream/push", response=PushOut)
@operation(P.WATER_EXCHANGE_MANAGE)
def push_now(request: HttpRequest) -> dict[str, int]:
    """Clear the back-off and run one bounded push now (「立即上报」)."""
    delivery.retry_now()
    return delivery.push(limit=10).summary()
