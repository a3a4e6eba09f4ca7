"""The bureau's switch: public by default, turned off and on from the 开放数据接口 page (audited); off is a 403."""

from __future__ import annotations

import pytest

from changji.core.models import AuditEntry, Role
from changji.water.models import OpenDataSetting

pytestmark = pytest.mark.django_db


def test_open_by_default_and_closed_by_the_prefecture_admin(client, sta_data, make_user):
    assert client.get("/sta/v1.1/Things").status_code == 200
    admin = make_user("zhou", "652300", Role.PREFECTURE_ADMIN)
    client.force_login(admin)
    page = client.get("/water/open-data/")
    assert page.status_code == 200 and "已开启" in page.content.decode()
    assert "/water/open-data/" in page.content.decode()  # reachable from the menu
    response = client.post("/water/open-data/", {"enabled": "0", "reason": "数据核查期间暂停"})
    assert response.status_code == 302 and response["Location"] == "/water/open-data/"
    assert OpenDataSetting.objects.get().enabled is False
    entry = AuditEntry.objects.get(action="water.open_data.switch")
    assert entry.actor == admin and entry.detail == {"before": True, "after": False}
    assert entry.reason == "数据核查期间暂停"
    client.logout()
    for path in ("", "Things", "Observations('652323-00001:water:2026-05-01')"):
        closed = client.get("/sta/v1.1/" + path)
        assert closed.status_code == 403 and "关闭" in closed.json()["message"]
    client.force_login(admin)
    client.post("/water/open-data/", {"enabled": "1"})
    client.logout()
    assert client.get("/sta/v1.1/Things").status_code == 200


def test_only_the_instance_wide_manager_may_switch(client, sta_data, make_user):
    client.force_login(make_user("xian", "652323", Role.COUNTY_OPERATOR))
    assert client.get("/water/open-data/").status_code == 403
    assert client.post("/water/open-data/", {"enabled": "0"}).status_code == 403
    client.force_login(make_user("hutubi-admin", "652323", Role.PREFECTURE_ADMIN))
    assert client.post("/water/open-data/", {"enabled": "0"}).status_code == 403
    assert OpenDataSetting.objects.get().enabled is True


def test_a_bad_form_changes_nothing(client, sta_data, make_user):
    client.force_login(make_user("zhou", "652300", Role.PREFECTURE_ADMIN))
    assert client.post("/water/open-data/", {"enabled": "maybe"}).status_code == 400
    assert not AuditEntry.objects.filter(action="water.open_data.switch").exists()
