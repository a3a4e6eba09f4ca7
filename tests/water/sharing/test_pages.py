"""The exchange pages and API by role and region: issuing shows the secret once, managers only, scoped peers."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from changji.core.models import AuditEntry, Region, Role
from changji.water.models import DownstreamPeer, PeerStream, RawReadingRequest, RefusedRow, UpstreamLink
from changji.water.sharing import credentials

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("zhou-admin", "652300", Role.PREFECTURE_ADMIN))
    return client


def test_issuing_shows_the_secret_once_and_audits_without_it(admin_client):
    response = admin_client.post("/water/exchange/peers/", {"name": "昌吉市平台", "region": "652301"})
    assert response.status_code == 302
    peer = DownstreamPeer.objects.get()
    page = admin_client.get("/water/exchange/peers/").content.decode()
    assert peer.secret in page and peer.key_id in page
    assert peer.secret not in admin_client.get("/water/exchange/peers/").content.decode()
    entry = AuditEntry.objects.get(action="water.exchange.peer_issued")
    assert peer.secret not in str(entry.detail)


def test_rotate_and_revoke(admin_client):
    peer, secret = credentials.issue("昌吉市平台", Region.objects.get(code="652301"), None)
    admin_client.post(f"/water/exchange/peers/{peer.pk}/rotate/")
    peer.refresh_from_db()
    assert peer.secret != secret and peer.secret in admin_client.get("/water/exchange/peers/").content.decode()
    admin_client.post(f"/water/exchange/peers/{peer.pk}/revoke/", {"reason": "迁移"})
    peer.refresh_from_db()
    assert peer.revoked_at is not None and not peer.active
    assert AuditEntry.objects.filter(action="water.exchange.peer_revoked", reason="迁移").exists()


def test_a_county_operator_sees_only_their_peers_and_cannot_manage(client, make_user):
    credentials.issue("昌吉市平台", Region.objects.get(code="652301"), None)
    other, _ = credentials.issue("呼图壁县平台", Region.objects.get(code="652323"), None)
    client.force_login(make_user("hutubi", "652323", Role.COUNTY_OPERATOR))
    page = client.get("/water/exchange/peers/").content.decode()
    assert "呼图壁县平台" in page and "昌吉市平台" not in page and "签发新凭据" not in page
    assert client.post("/water/exchange/peers/", {"name": "x", "region": "652323"}).status_code == 403
    assert client.post(f"/water/exchange/peers/{other.pk}/revoke/").status_code == 403
    assert client.get("/water/exchange/health/").status_code == 200


def test_a_township_viewer_cannot_open_the_exchange(client, make_user):
    client.force_login(make_user("xiang", "652323", Role.TOWNSHIP_VIEWER))
    assert client.get("/water/exchange/peers/").status_code == 403
    assert client.get("/water/exchange/upstream/").status_code == 403


def test_an_admin_cannot_issue_outside_their_scope(client, make_user):
    client.force_login(make_user("county-admin", "652323", Role.PREFECTURE_ADMIN))
    response = client.post("/water/exchange/peers/", {"name": "越权", "region": "652301"})
    assert response.status_code == 400 and not DownstreamPeer.objects.exists()


def test_foreign_peers_are_404(make_user, client):
    peer, _ = credentials.issue("昌吉市平台", Region.objects.get(code="652301"), None)
    client.force_login(make_user("manas-admin", "652324", Role.PREFECTURE_ADMIN))
    assert client.post(f"/water/exchange/peers/{peer.pk}/rotate/").status_code == 404


def test_health_page_and_its_xlsx(admin_client):
    from io import BytesIO

    peer, _ = credentials.issue("昌吉市平台", Region.objects.get(code="652301"), None)
    PeerStream.objects.create(peer=peer, stream="usage", expected_seq=8, gaps=2, backlog=40)
    RefusedRow.objects.create(peer=peer, stream="usage", seq=3, key="=HYPERLINK(1)", region_code="652302",
                              reason="区划不在管辖范围")
    page = admin_client.get("/water/exchange/health/").content.decode()
    assert "区划不在管辖范围" in page and "昌吉市平台" in page
    book = load_workbook(BytesIO(admin_client.get("/water/exchange/health/?format=xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    from changji.water.sharing import streams

    label = streams.get("usage").label if streams.get("usage") else "usage"
    assert rows[1][4] == label and rows[1][5] == 7 and rows[1][9] == 2


def test_a_reading_request_is_stored_and_audited(admin_client):
    peer, _ = credentials.issue("昌吉市平台", Region.objects.get(code="652301"), None)
    response = admin_client.post("/water/exchange/requests/", {"peer": peer.pk, "well_code": "652301-00001",
                                                               "since": "2026-05-01", "until": "2026-05-02"})
    assert response.status_code == 302
    assert RawReadingRequest.objects.get().well_code == "652301-00001"
    bad = admin_client.post("/water/exchange/requests/", {"peer": peer.pk, "well_code": "x",
                                                          "since": "2026-05-03", "until": "2026-05-02"})
    assert bad.status_code == 400 and RawReadingRequest.objects.count() == 1


def test_the_upstream_link_secret_is_write_only(admin_client):
    data = {"name": "自治区平台", "base_url": "http://127.0.0.1:9/", "key_id": "652300-abcd",
            "secret": "top-secret-value-123", "batch_size": 200}
    assert admin_client.post("/water/exchange/upstream/", data).status_code == 302
    page = admin_client.get("/water/exchange/upstream/").content.decode()
    assert "top-secret-value-123" not in page and "652300-abcd" in page
    admin_client.post("/water/exchange/upstream/", {**data, "secret": "", "batch_size": 300})
    link = UpstreamLink.objects.get()
    assert link.secret == "top-secret-value-123" and link.batch_size == 300
    assert "top-secret-value-123" not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_push_now_reports_an_unreachable_upstream(admin_client):
    from changji.water.sharing.outbox import Change, record

    UpstreamLink.objects.create(name="x", base_url="http://127.0.0.1:9/", key_id="k", secret="s")
    record(Change("registry", "W1", "652301", {}))
    response = admin_client.post("/water/exchange/upstream/push/", follow=True)
    assert "上报未完成" in response.content.decode()


def test_api_issue_lists_and_revokes(admin_client, make_user):
    from django.test import Client

    client = Client()
    issued = admin_client.post("/api/water/exchange/peers", {"name": "玛纳斯县平台", "region": "652324"},
                               content_type="application/json")
    assert issued.status_code == 200 and len(issued.json()["secret"]) >= 40
    listed = admin_client.get("/api/water/exchange/peers").json()
    assert [p["key_id"] for p in listed] == [issued.json()["key_id"]] and "secret" not in listed[0]
    client.force_login(make_user("viewer", "652324", Role.COUNTY_OPERATOR))
    assert client.post(f"/api/water/exchange/peers/{listed[0]['id']}/revoke",
                       content_type="application/json").status_code == 403
    assert admin_client.post(f"/api/water/exchange/peers/{listed[0]['id']}/revoke",
                             content_type="application/json").json()["active"] is False
    assert admin_client.get("/api/water/exchange/health").status_code == 200


def test_the_menu_links_the_exchange(admin_client):
    assert "/water/exchange/health/" in admin_client.get("/water/").content.decode()
