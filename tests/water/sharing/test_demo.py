"""The demo shows the exchange: a downstream credential with health rows, idempotently."""

from __future__ import annotations

import pytest

from changji.core.models import Role
from changji.water.models import DownstreamPeer, PeerStream
from changji.water.sharing.demo import seed_exchange

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_downstream_with_health_once(client, make_user):
    assert seed_exchange().startswith("exchange: 1 downstream")
    assert seed_exchange() == "exchange: nothing to add"
    assert DownstreamPeer.objects.count() == 1 and PeerStream.objects.count() == 3
    client.force_login(make_user("zhou", "652300", Role.PREFECTURE_ADMIN))
    page = client.get("/water/exchange/health/").content.decode()
    assert "昌吉市平台（县级）" in page and "不在本下级平台的管辖范围" in page
    assert "配置上级平台连接" in client.get("/water/exchange/upstream/").content.decode()
