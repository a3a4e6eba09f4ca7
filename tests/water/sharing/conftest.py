"""Fixtures of the exchange tests: a recording stream, an issued peer, signed requests through the test client."""

from __future__ import annotations

import json

import pytest

from changji.water.sharing import signing, streams

PREFIX = "/api/exchange/v1/"


class Recorder:
    """A stream's ``apply`` that upserts into a dict by key and refuses rows whose payload says so."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}
        self.calls = 0

    def __call__(self, rows, source):
        self.calls += 1
        result = streams.ApplyResult()
        for row in rows:
            if row.payload.get("refuse"):
                result.refused.append((row.key, str(row.payload["refuse"])))
                continue
            if row.deleted:
                self.rows.pop(row.key, None)
            else:
                self.rows[row.key] = dict(row.payload)
            result.applied += 1
        return result


@pytest.fixture
def echo_stream():
    """A registered stream ``echo`` recording what is applied (unregistered afterwards)."""
    recorder = Recorder()
    streams.register(streams.Stream("echo", "测试流", recorder, order=1))
    yield recorder
    streams._STREAMS.pop("echo", None)


@pytest.fixture
def issued(db):
    """A credential issued to the 昌吉市 (652301) instance: (peer, secret)."""
    from changji.core.models import Region
    from changji.water.sharing import credentials

    return credentials.issue("昌吉市平台", Region.objects.get(code="652301"), None)


def signed(client, peer, secret, method: str, name: str, body=None, *, query: str = "", headers=None, raw=None):
    """Send a signed request to the exchange API through ``client``; ``raw`` bytes replace the JSON body."""
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    path = PREFIX + name + (f"?{query}" if query else "")
    sig = signing.sign(peer.key_id, secret, method, path, data)
    sig.update(headers or {})
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in sig.items()}
    if method == "GET":
        return client.get(path, **extra)
    return client.generic(method, path, data, content_type="application/json", **extra)


def batch(seq: int, rows, stream: str = "echo", **extra):
    """A batch body of ``rows`` given as (key, region_code, payload)."""
    return {"stream": stream, "seq": seq, "entries": [
        {"key": k, "region_code": r, "payload": p, "deleted": False} for k, r, p in rows], **extra}
