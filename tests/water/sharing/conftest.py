"""Fixtures of the exchange tests.

Transport: a recording stream, an issued peer, signed requests through the test client. Streams: a county's
registry as a downstream would send it.
"""

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

PEER = "peer-652323"


@pytest.fixture
def sent(db):
    """Return a function: the outbox entries of ``stream`` as the rows a batch carries (and empty the outbox)."""
    from changji.water.models import OutboxEntry
    from changji.water.sharing.streams import Row

    def rows(stream: str) -> list[Row]:
        entries = list(OutboxEntry.objects.filter(stream=stream).order_by("id"))
        OutboxEntry.objects.filter(pk__in=[e.pk for e in entries]).delete()
        return [Row(e.key, e.region_code, e.payload, e.deleted) for e in entries]

    return rows


@pytest.fixture
def county_registry(db):
    """A village of 呼图壁县 with a water user, a well, its terminal, a meter, a licence and a plan."""
    from datetime import UTC, date, datetime

    from django.db import transaction

    from changji.core.models import Region, RegionLevel
    from changji.water.models import AnnualPlan, Licence, Meter, Terminal, WaterUser, Well

    with transaction.atomic():
        town = Region.objects.create(code="652323100", name="呼图壁镇", level=RegionLevel.TOWNSHIP, parent_id="652323")
        village = Region.objects.create(code="652323100201", name="东滩村", level=RegionLevel.VILLAGE, parent=town)
        user = WaterUser.objects.create(code="WU-652323-001", name="东滩合作社", kind="cooperative", region=village)
        well = Well.objects.create(code="652323-00001", name="东滩1号井", region=village, latitude=44.2,
                                   longitude=86.9, water_user=user, pump_rated_power_kw=30)
        terminal = Terminal.objects.create(protocol="szy206", address="6523230001", well=well, region=village,
                                           installed_on=date(2026, 3, 1), accepted_on=date(2026, 4, 1))
        Meter.objects.create(well=well, kind="electromagnetic", serial="DC-1",
                             installed_at=datetime(2026, 3, 1, tzinfo=UTC))
        licence = Licence.objects.create(number="取水(新呼)字[2026]第001号", water_user=user,
                                         permitted_m3_per_year=90000,
                                         valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31),
                                         issuing_authority="呼图壁县水利局")
        licence.wells.set([well])
        AnnualPlan.objects.create(licence=licence, year=2026, volume_m3=80000, monthly_m3=[80000 / 12] * 12)
    return terminal
