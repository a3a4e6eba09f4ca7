"""Work-order pages and API: filters, idempotent photo upload, scope, the contract review and its XLSX."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from changji.core import localtime
from changji.water.models import (
    ContractorWorker,
    MaintenanceContract,
    MaintenanceContractor,
    WorkOrder,
    WorkOrderPhoto,
)
from changji.water.orders import contractors, figures, service, states
from changji.water.orders.states import State
from tests.water.orders.conftest import jpeg

pytestmark = pytest.mark.django_db


def assigned(w, kind="repair", worker=None, due=None) -> WorkOrder:
    order = service.create(well=w.well, kind=kind, by=w.operator, due_on=due or localtime.today(), description="x")
    return service.transition(order, State.ASSIGNED, w.operator, assignee=worker or w.worker)


def test_api_filters_assignee_me_kind_and_state(client, orders_world):
    w = orders_world
    mine = assigned(w, "repair")
    calibration = assigned(w, "calibration")
    assigned(w, "installation", worker=w.other)
    service.create(well=w.well, kind="repair", by=w.operator, due_on=localtime.today())
    client.force_login(w.worker)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/water/work-orders?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert sorted(ids("assignee=me")) == sorted([mine.pk, calibration.pk])
    assert ids("assignee=me&kind=calibration") == [calibration.pk]
    assert len(ids("state=pending")) == 1 and len(ids("state=open")) == 4
    assert client.get("/api/water/work-orders?state=nonsense").status_code == 400
    assert client.get("/api/water/work-orders?assignee=%C2%B2").status_code == 400
    detail = client.get(f"/api/water/work-orders/{mine.pk}").json()
    assert (detail["state"], detail["state_label"], detail["kind_label"], detail["assignee"]) == (
        "assigned", "已派单", "维修", "htb-worker")


def test_api_steps_and_idempotent_photo_upload(client, orders_world):
    w = orders_world
    order = assigned(w, "calibration")
    client.force_login(w.other)
    refused = client.post(f"/api/water/work-orders/{order.pk}/on-site", {}, content_type="application/json")
    assert refused.status_code == 400 and "assignee" in refused.json()["detail"]
    client.force_login(w.foreign_worker)
    assert client.post(f"/api/water/work-orders/{order.pk}/on-site", {},
                       content_type="application/json").status_code == 404
    client.force_login(w.worker)
    assert client.post(f"/api/water/work-orders/{order.pk}/on-site", {"latitude": 44.3, "longitude": 86.9},
                       content_type="application/json").json()["state"] == "on_site"
    client_id = str(uuid.uuid4())
    for expected in (201, 200):
        upload = io.BytesIO(jpeg())
        upload.name = "a.jpg"
        response = client.post(f"/api/water/work-orders/{order.pk}/photos",
                               {"client_id": client_id, "photo": upload, "latitude": "44.3", "longitude": "86.9"})
        assert response.status_code == expected, response.content
        assert response.json()["client_id"] == client_id
    assert WorkOrderPhoto.objects.filter(order=order).count() == 1
    done = client.post(f"/api/water/work-orders/{order.pk}/done", {
        "result": "合格", "flow_before_m3": 1, "flow_after_m3": 2, "energy_before_kwh": 3, "energy_after_kwh": 4,
        "certificate_number": "JD-9", "error_pct": 0.5}, content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "done"
    assert client.post(f"/api/water/work-orders/{order.pk}/review", {},
                       content_type="application/json").status_code == 403  # a worker does not review
    client.force_login(w.operator)
    assert client.post(f"/api/water/work-orders/{order.pk}/review", {},
                       content_type="application/json").json()["state"] == "reviewed"


def test_page_photo_upload_is_idempotent_and_refuses_another_worker(client, orders_world):
    w = orders_world
    order = assigned(w)
    url = f"/water/work-orders/{order.pk}/photos/"
    client_id = str(uuid.uuid4())
    client.force_login(w.worker)
    for expected in (201, 200):
        upload = io.BytesIO(jpeg())
        upload.name = "a.jpg"
        response = client.post(url, {"client_id": client_id, "photo": upload, "taken_at_ms": "1782873000000"},
                               HTTP_ACCEPT="application/json")
        assert response.status_code == expected
    assert WorkOrderPhoto.objects.get().taken_at == datetime(2026, 7, 1, 2, 30, tzinfo=UTC)
    client.force_login(w.other)
    upload = io.BytesIO(jpeg())
    upload.name = "b.jpg"
    assert client.post(url, {"client_id": str(uuid.uuid4()), "photo": upload},
                       HTTP_ACCEPT="application/json").status_code == 400
    assert client.post(f"/water/work-orders/{order.pk}/work/", {"action": "on_site"}).status_code == 400
    assert client.get(f"/water/my-orders/{order.pk}/").status_code == 404  # not theirs
    client.force_login(w.foreign_worker)
    assert client.get(f"/water/work-orders/{order.pk}/").status_code == 404
    assert WorkOrder.objects.get(pk=order.pk).state == State.ASSIGNED and WorkOrderPhoto.objects.count() == 1


def test_my_orders_sorts_due_today_first_then_by_distance(client, orders_world, make_terminal):
    from changji.water.models import Well

    w = orders_world
    near = Well.objects.create(code="652323-NEAR", name="近井", region_id="652323", latitude=44.301,
                               longitude=86.901)
    far = Well.objects.create(code="652323-FAR", name="远井", region_id="652323", latitude=44.5, longitude=87.3)
    today = localtime.today()
    later = service.transition(service.create(well=near, kind="repair", by=w.operator,
                                              due_on=today + timedelta(days=3)), State.ASSIGNED, w.operator,
                               assignee=w.worker)
    far_today = service.transition(service.create(well=far, kind="repair", by=w.operator, due_on=today),
                                   State.ASSIGNED, w.operator, assignee=w.worker)
    near_today = service.transition(service.create(well=near, kind="calibration", by=w.operator, due_on=today),
                                    State.ASSIGNED, w.operator, assignee=w.worker)
    client.force_login(w.worker)
    page = client.get("/water/my-orders/?lat=44.3&lon=86.9").content.decode()
    order = [page.index(f'data-order="{o.pk}"') for o in (near_today, far_today, later)]
    assert order == sorted(order)
    assert "https://uri.amap.com/marker?position=86.901,44.301" in page and "geo:44.301,86.901" in page
    far_km = states.haversine_m(44.3, 86.9, 44.5, 87.3) / 1000  # about 38 km: shown in 公里, not bare metres
    assert f"{far_km:.1f} 公里" in page and f"{far_km * 1000:.1f}" not in page
    assert f"{today:%Y}年" in page  # the day's header carries its year
    unsorted = client.get("/water/my-orders/").content.decode()
    assert unsorted.index(f'data-order="{far_today.pk}"') < unsorted.index(f'data-order="{later.pk}"')
    assert client.get("/water/my-orders/?lat=999&lon=1").status_code == 400


def test_median_and_nearest_rank_p90():
    assert figures.median([]) is None and figures.percentile([]) is None
    assert figures.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert figures.percentile([float(n) for n in range(1, 11)]) == 9.0
    assert figures.percentile([5.0]) == 5.0


def test_contractor_figures_on_a_worked_example(client, orders_world):
    """Three orders of 天山运维 in 呼图壁县, November 2026 (times in UTC; the month is local).

    A: assigned 11-02 02:00, on site +2 h, done +5 h, due 11-03 → on time.
    B: assigned 11-10 00:00, on site +4 h, done +10 h, due 11-09 → done late (overdue).
    C: assigned 11-20 00:00, on site +12 h, still on site, due 11-25 → open past due on 12-01 (overdue).
    Response hours [2, 4, 12] → median 4, p90 12; repair hours [5, 10] → median 7.5, p90 10; overdue 2.
    """
    w = orders_world
    contractor = MaintenanceContractor.objects.create(name="天山运维")
    ContractorWorker.objects.create(user=w.worker, contractor=contractor)
    contract = MaintenanceContract.objects.create(contractor=contractor, county_id="652323",
                                                  starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    spec = [(datetime(2026, 11, 2, 2, tzinfo=UTC), 2, 5, date(2026, 11, 3)),
            (datetime(2026, 11, 10, tzinfo=UTC), 4, 10, date(2026, 11, 9)),
            (datetime(2026, 11, 20, tzinfo=UTC), 12, None, date(2026, 11, 25))]
    for at, on_site_h, done_h, due in spec:
        with mock.patch("django.utils.timezone.now", return_value=at):
            order = service.create(well=w.well, kind="repair", by=w.operator, due_on=due)
        order = service.transition(order, State.ASSIGNED, w.operator, assignee=w.worker, at=at)
        order = service.transition(order, State.ON_SITE, w.worker, at=at + timedelta(hours=on_site_h))
        if done_h is not None:
            service.transition(order, State.DONE, w.worker, result="修复", flow_before_m3=1.0, flow_after_m3=2.0,
                               energy_before_kwh=1.0, energy_after_kwh=2.0, at=at + timedelta(hours=done_h))
    assigned(w, worker=w.other)  # another contractor's worker: not counted
    row = contractors.contract_figures(contract, date(2026, 11, 1), today=date(2026, 12, 1))
    assert (row.orders, row.response_median_h, row.response_p90_h) == (3, 4.0, 12.0)
    assert (row.repair_median_h, row.repair_p90_h, row.overdue) == (7.5, 10.0, 2)
    assert row.intact_rate is None  # no terminal-days compiled in this world

    from openpyxl import load_workbook

    w.operator.refresh_from_db()
    client.force_login(w.operator)
    assert "天山运维" in client.get("/water/work-orders/review/?month=2026-11").content.decode()
    response = client.get("/water/work-orders/review.xlsx?month=2026-11")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "运维单位" and rows[1][:8] == ("天山运维", "呼图壁县", "2026-11", 3, 4.0, 12.0, 7.5, 10.0)
    assert client.get("/water/work-orders/review/?month=2026-13").status_code == 400
    assert timezone.now()  # the patched clock is gone


def test_photo_upload_checks_size_first_and_stores_under_the_format_it_is(client, orders_world):
    """An oversized upload is refused before it is read; the stored name follows the picture, not the uploader."""
    from PIL import Image

    from changji.water.orders.photos import MAX_PHOTO_BYTES

    w = orders_world
    order = assigned(w)
    url = f"/water/work-orders/{order.pk}/photos/"
    client.force_login(w.worker)

    def post(data: bytes, name: str):
        upload = io.BytesIO(data)
        upload.name = name
        return client.post(url, {"client_id": str(uuid.uuid4()), "photo": upload}, HTTP_ACCEPT="application/json")

    too_big = post(jpeg() + b"\0" * MAX_PHOTO_BYTES, "big.jpg")
    assert too_big.status_code == 400 and "文件过大" in too_big.json()["detail"]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    assert post(gif.getvalue(), "x.gif").status_code == 400  # not a phone photo format
    assert post(jpeg(), "page.html").status_code == 201
    stored = WorkOrderPhoto.objects.get(order=order)
    assert stored.image.name.endswith(".jpg")
    api = client.post(f"/api/water/work-orders/{order.pk}/photos",
                      {"client_id": str(uuid.uuid4()), "photo": io.BytesIO(jpeg() + b"\0" * MAX_PHOTO_BYTES)})
    assert api.status_code == 400 and "文件过大" in str(api.json()["detail"])


def test_the_detail_page_links_photos_and_pictures_through_scoped_views(client, orders_world):
    """Media files are not served: the order's photos and attached pictures open through permissioned views."""
    import hashlib

    from django.core.files.base import ContentFile

    from changji.water.models import Snapshot

    w = orders_world
    order = assigned(w)
    client.force_login(w.worker)
    upload = io.BytesIO(jpeg())
    upload.name = "a.jpg"
    assert client.post(f"/water/work-orders/{order.pk}/photos/", {"client_id": str(uuid.uuid4()), "photo": upload},
                       HTTP_ACCEPT="application/json").status_code == 201
    photo = WorkOrderPhoto.objects.get(order=order)
    now = timezone.now()
    picture = Snapshot(terminal=w.terminal, observed_at=now, received_at=now, size_bytes=3,
                       sha256=hashlib.sha256(b"jpg").hexdigest(), work_order=order)
    picture.image.save("p.jpg", ContentFile(jpeg()), save=True)
    client.force_login(w.operator)
    page = client.get(f"/water/work-orders/{order.pk}/").content.decode()
    photo_url = f"/water/work-orders/{order.pk}/photos/{photo.pk}/"
    assert photo_url in page and "/media/" not in page
    assert f"/water/pictures/{picture.pk}/" in page
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == jpeg()
    other = assigned(w)
    assert client.get(f"/water/work-orders/{other.pk}/photos/{photo.pk}/").status_code == 404  # not its order
    client.force_login(w.foreign_worker)
    assert client.get(photo_url).status_code == 404


def test_contractor_intact_rate_is_the_kpi_modules_rate_of_the_countys_wells(orders_world, make_terminal):
    """完好率 comes from ``kpi.terminal_days.intact_rate_of_wells``: device faults only, terminals on wells only.

    The well's terminal has 4 terminal-days in November: 2 intact, 1 communication loss (counts as intact), 1
    device fault → 3/4. A spare terminal of the county on no well, faulty all month, is not a well of the contract.
    """
    from changji.water.models import Terminal, TerminalDay

    w = orders_world
    contractor = MaintenanceContractor.objects.create(name="天山运维")
    contract = MaintenanceContract.objects.create(contractor=contractor, county_id="652323",
                                                  starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    spare = make_terminal("6523230099", county="652323")
    Terminal.objects.filter(pk=spare.pk).update(well=None)
    common = {"expected_reports": 24, "received_reports": 24, "readings_valid": 24}
    for n, condition in enumerate(["intact", "intact", "comm_loss", "device_fault"], 1):
        TerminalDay.objects.create(terminal=w.terminal, day=date(2026, 11, n), condition=condition,
                                   faulty=condition == "device_fault", **common)
    for n in range(1, 5):
        TerminalDay.objects.create(terminal=spare, day=date(2026, 11, n), condition="device_fault", faulty=True,
                                   **common)
    row = contractors.contract_figures(contract, date(2026, 11, 1), today=date(2026, 12, 1))
    assert row.intact_rate == 0.75


def test_api_photo_time_without_offset_is_read_as_beijing_time(client, orders_world):
    """``taken_at`` sent without an offset is the phone's wall clock (Asia/Shanghai), stored as UTC."""
    w = orders_world
    order = assigned(w)
    client.force_login(w.worker)
    upload = io.BytesIO(jpeg())
    upload.name = "a.jpg"
    response = client.post(f"/api/water/work-orders/{order.pk}/photos",
                           {"client_id": str(uuid.uuid4()), "photo": upload, "taken_at": "2026-07-01T10:30:00"})
    assert response.status_code == 201, response.content
    assert WorkOrderPhoto.objects.get(order=order).taken_at == datetime(2026, 7, 1, 2, 30, tzinfo=UTC)
