"""The exchange API between instances (``/api/exchange/v1/``), authenticated by the request signature only.

* ``POST batches`` — a numbered batch of one stream (``receiving.receive``);
* ``GET status`` — the next sequence number expected of each stream;
* ``GET requests`` / ``POST requests/done`` — raw-reading requests (召测) for the peer, and their completion;
* ``GET targets?year=`` — the 总量控制 targets for the peer's region and below.

No session, no CSRF (``csrf_exempt``): each request carries the HMAC of ``water.sharing.signing``, declared to
the access policy as ``SIGNED_REQUEST``. Every refusal is JSON ``{"code", "detail", "field"}`` with a 4xx
status, logged with the key id (never the secret or the signature) and changes nothing. The format is
documented in ``docs/exchange-openapi.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from changji.core import localtime
from changji.core.guards import declare_signed
from changji.water.models import DownstreamPeer
from changji.water.sharing import authentication, receiving
from changji.water.sharing.errors import BodyTooLargeError, ExchangeError, GapError

log = logging.getLogger("changji.water.exchange")
Handler = Callable[[HttpRequest, DownstreamPeer, bytes], dict[str, Any]]


def _refused(request: HttpRequest, error: ExchangeError) -> JsonResponse:
    key = request.headers.get("X-Changji-Key", "")[:40]
    log.warning("exchange refused %s %s: %s (%s) key=%r", request.method, request.path, error.code,
                error.message, key)
    body: dict[str, Any] = {"code": error.code, "detail": error.message, "field": error.field}
    if isinstance(error, GapError):
        body["expected_seq"] = error.expected_seq
    return JsonResponse(body, status=error.status, json_dumps_params={"ensure_ascii": False})


def _body(request: HttpRequest) -> bytes:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ExchangeError("bad_length", "Content-Length 不正确") from None
    if length > receiving.MAX_BODY_BYTES:
        raise BodyTooLargeError("too_large", f"请求体超过 {receiving.MAX_BODY_BYTES // 1024} KiB，请减小每批条数")
    return request.body


def _endpoint(method: str, handler: Handler) -> Callable[[HttpRequest], HttpResponse]:
    """A view taking ``method`` only: read the body, authenticate the signature, run ``handler``."""

    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if request.method != method:
            return JsonResponse({"code": "method", "detail": f"只接受 {method}", "field": None}, status=405)
        try:
            body = _body(request)
            peer = authentication.authenticate(request.headers, method, request.get_full_path(), body)
            return JsonResponse(handler(request, peer, body), json_dumps_params={"ensure_ascii": False})
        except ExchangeError as error:
            return _refused(request, error)

    view.__name__ = view.__qualname__ = handler.__name__
    view.__doc__ = handler.__doc__
    return declare_signed(view, (method,))


def batches(request: HttpRequest, peer: DownstreamPeer, body: bytes) -> dict[str, Any]:
    """Receive one numbered batch of a stream."""
    return receiving.receive(peer, receiving.parse_batch(body)).as_json()


def status(request: HttpRequest, peer: DownstreamPeer, body: bytes) -> dict[str, Any]:
    """The next sequence number this instance expects of each of the peer's streams."""
    return receiving.status(peer)


def requests(request: HttpRequest, peer: DownstreamPeer, body: bytes) -> dict[str, Any]:
    """The raw-reading requests (召测) the peer has still to answer."""
    return {"requests": receiving.pending_requests(peer)}


def requests_done(request: HttpRequest, peer: DownstreamPeer, body: bytes) -> dict[str, Any]:
    """Mark raw-reading requests done: their readings are queued in the peer's outbox."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ExchangeError("bad_json", "请求体不是有效的 UTF-8 JSON") from None
    ids = data.get("ids") if isinstance(data, dict) else None
    return {"done": receiving.finish_requests(peer, ids)}


def targets(request: HttpRequest, peer: DownstreamPeer, body: bytes) -> dict[str, Any]:
    """The year's 总量控制 targets for the peer's region and the regions below it."""
    year = receiving.parse_year(request.GET.get("year"), localtime.today())
    return {"year": year, "targets": receiving.targets(peer, year)}


app_name = "exchange"
urlpatterns = [
    path("batches", _endpoint("POST", batches), name="batches"),
    path("status", _endpoint("GET", status), name="status"),
    path("requests", _endpoint("GET", requests), name="requests"),
    path("requests/done", _endpoint("POST", requests_done), name="requests_done"),
    path("targets", _endpoint("GET", targets), name="targets"),
]
