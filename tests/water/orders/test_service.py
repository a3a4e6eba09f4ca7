"""Work orders through their life: who may move them, what closing a calibration and a 率定 records, photos."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from changji.core.models import AuditEntry
from changji.water.models import (
    CoefficientMethod,
    Meter,
    MeterCalibration,
    WellCoefficient,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from changji.water.orders import photos, service
from changji.water.orders.states import State
from changji.water.registry.work_orders import schedule_calibrations
from tests.water.orders.conftest import jpeg

pytestmark = pytest.mark.django_db

CALIBRATED = {"result": "检定合格", "flow_before_m3": 1200.0, "flow_after_m3": 1203.5, "energy_before_kwh": 800.0,
              "energy_after_kwh": 801.2, "certificate_number": "CJJD-2026-0815", "error_pct": -0.6}


def calibration(w, **extra) -> WorkOrder:
    order = service.create(well=w.well, kind="calibration", by=w.operator, due_on=date(2026, 12, 10),
                           description="年度检定", meter=w.flow, **extra)
    return service.transition(order, State.ASSIGNED, w.operator, assignee=w.worker)


def test_a_calibration_closed_and_reviewed_is_recorded_on_the_meter(orders_world):
    w = orders_world
    order = calibration(w)
    order = service.transition(order, State.ON_SITE, w.worker, latitude=44.3, longitude=86.9)
    with pytest.raises(ValidationError) as missing:
        service.transition(order, State.DONE, w.worker, **{**CALIBRATED, "certificate_number": ""})
    assert "certificate_number" in missing.value.message_dict
    order = service.transition(order, State.DONE, w.worker, **CALIBRATED)
    assert Meter.objects.get(pk=w.flow.pk).last_certificate_number == ""  # recorded only on review
    order = service.transition(order, State.REVIEWED, w.operator, note="资料齐全")
    meter = Meter.objects.get(pk=w.flow.pk)
    day = order.done_at.astimezone(UTC).date()  # the test runs within a day; local day checked below
    assert (meter.last_certificate_number, meter.last_error_pct) == ("CJJD-2026-0815", -0.6)
    assert meter.last_calibrated_on in (day, day + timedelta(days=1))
    history = MeterCalibration.objects.get(meter=w.flow)
    assert (history.certificate_number, history.error_pct, history.work_order) == ("CJJD-2026-0815", -0.6, order)
    steps = list(WorkOrderEvent.objects.filter(order=order).values_list("from_state", "to_state", "by_name"))
    assert steps == [("", "pending", "htb-op"), ("pending", "assigned", "htb-op"),
                     ("assigned", "on_site", "htb-worker"), ("on_site", "done", "htb-worker"),
                     ("done", "reviewed", "htb-op")]
    assert AuditEntry.objects.filter(action="water.work_order.reviewed", object_id=str(order.pk)).count() == 1
    assert (order.on_site_latitude, order.on_site_longitude) == (44.3, 86.9)


def test_a_field_rating_records_a_calibration_coefficient(orders_world):
    w = orders_world
    order = service.transition(calibration(w), State.ON_SITE, w.worker)
    order = service.transition(order, State.DONE, w.worker, **CALIBRATED, measured_m3=118.0, measured_kwh=40.0)
    assert not WellCoefficient.objects.exists()
    service.transition(order, State.REVIEWED, w.operator)
    coefficient = WellCoefficient.objects.get(well=w.well)
    assert coefficient.method == CoefficientMethod.CALIBRATION
    assert (coefficient.measured_m3, coefficient.measured_kwh, coefficient.m3_per_kwh) == (118.0, 40.0, 2.95)
    assert coefficient.calibrated_on == coefficient.valid_from


def test_a_review_sends_back_with_a_reason_and_the_order_is_done_again(orders_world):
    w = orders_world
    order = service.transition(calibration(w), State.ON_SITE, w.worker)
    order = service.transition(order, State.DONE, w.worker, **CALIBRATED)
    with pytest.raises(ValidationError):
        service.transition(order, State.ON_SITE, w.operator, reason="")
    order = service.transition(order, State.ON_SITE, w.operator, reason="证书照片缺失")
    assert order.state == State.ON_SITE and order.closed_at is None
    order = service.transition(order, State.DONE, w.worker, **CALIBRATED)
    assert WorkOrderEvent.objects.filter(order=order, note="退回：证书照片缺失").exists()
    order = service.transition(order, State.ASSIGNED, w.operator, reason="改派他人复检", assignee=w.other)
    assert (order.state, order.assignee) == (State.ASSIGNED, w.other)
    order = service.transition(service.transition(order, State.ON_SITE, w.other), State.DONE, w.other, **CALIBRATED)
    order = service.transition(order, State.ASSIGNED, w.operator, reason="再查一次")  # the same worker again
    assert order.assignee == w.other


def test_a_worker_acts_only_on_their_own_order_and_only_as_a_worker(orders_world):
    w = orders_world
    order = calibration(w)
    with pytest.raises(ValidationError) as not_theirs:
        service.transition(order, State.ON_SITE, w.other)
    assert "assignee" in not_theirs.value.message_dict
    with pytest.raises(PermissionDenied):
        service.transition(order, State.ON_SITE, w.foreign_worker)
    with pytest.raises(PermissionDenied):  # workers do not dispatch or review
        service.transition(order, State.ASSIGNED, w.worker, assignee=w.other)
    with pytest.raises(PermissionDenied):  # another county's operator
        service.transition(order, State.CANCELLED, w.foreign_operator, reason="x")
    with pytest.raises(ValidationError) as foreign:  # another county's worker cannot be sent
        service.transition(order, State.ASSIGNED, w.operator, assignee=w.foreign_worker)
    assert "assignee" in foreign.value.message_dict
    assert WorkOrder.objects.get(pk=order.pk).state == State.ASSIGNED


def test_power_company_meters_are_never_scheduled(orders_world):
    w = orders_world
    Meter.objects.filter(pk=w.flow.pk).update(last_calibrated_on=date(2025, 12, 10))
    Meter.objects.filter(pk=w.power.pk).update(last_calibrated_on=date(2025, 11, 1))  # kind electricity: power's
    owned = Meter.objects.create(well=w.well, kind="ultrasonic", serial="US-P", owner="power",
                                 last_calibrated_on=date(2025, 11, 1), installed_at=datetime(2024, 1, 1, tzinfo=UTC))
    water_owned = Meter.objects.create(well=w.well, kind="electricity", serial="E-W", owner="water",
                                       last_calibrated_on=date(2025, 11, 1),
                                       installed_at=datetime(2024, 1, 1, tzinfo=UTC))
    scheduled = schedule_calibrations(date(2026, 11, 25))
    assert {order.meter.serial for order in scheduled} == {"EM-1", "E-W"}
    assert w.power.owned_by_power_company and owned.owned_by_power_company
    assert not water_owned.owned_by_power_company
    assert all(order.state == State.PENDING for order in scheduled)


def test_a_photo_is_stored_once_per_client_id_with_its_exif_time_and_position(orders_world):
    w = orders_world
    order = calibration(w)
    client_id = uuid.uuid4()
    data = jpeg(gps=(44.30123, 86.90456), taken="2026:07:01 10:30:00")
    photo, created = photos.add_photo(order, w.worker, client_id=client_id, data=data, name="IMG_1.jpg",
                                      latitude=40.0, longitude=80.0)
    again, created_again = photos.add_photo(order, w.worker, client_id=client_id, data=data, name="IMG_1.jpg")
    assert (created, created_again, again.pk) == (True, False, photo.pk)
    assert WorkOrderPhoto.objects.count() == 1
    assert photo.taken_at == datetime(2026, 7, 1, 2, 30, tzinfo=UTC)  # 10:30 Asia/Shanghai
    assert photo.latitude == pytest.approx(44.30123, abs=1e-4) and photo.longitude == pytest.approx(86.90456, abs=1e-4)
    assert photo.position_source == "exif"
    plain, _ = photos.add_photo(order, w.worker, client_id=uuid.uuid4(), data=jpeg(), name="b.jpg",
                                latitude=44.1, longitude=86.8, taken_at=datetime(2026, 7, 1, 3, tzinfo=UTC))
    assert (plain.position_source, plain.latitude) == ("browser", 44.1)
    assert plain.taken_at == datetime(2026, 7, 1, 3, tzinfo=UTC)
    with pytest.raises(ValidationError):
        photos.add_photo(order, w.other, client_id=uuid.uuid4(), data=jpeg(), name="c.jpg")
    with pytest.raises(ValidationError):
        photos.add_photo(order, w.worker, client_id=uuid.uuid4(), data=b"not an image", name="c.jpg")


def test_the_alarm_flow_issues_and_completes_its_site_check(orders_world):
    from changji.water.alarms.service import acknowledge, assign, resolve
    from changji.water.models import Alarm

    w = orders_world
    alarm = Alarm.objects.create(terminal=w.terminal, well=w.well, kind="door_open", severity="warning", state="open",
                                 raised_at=datetime(2026, 7, 1, tzinfo=UTC))
    alarm = assign(acknowledge(alarm, w.operator), w.operator, w.worker, date(2026, 7, 3))
    order = WorkOrder.objects.get(alarm=alarm)
    assert (order.kind, order.state, order.assignee) == ("site_check", State.ASSIGNED, w.worker)
    resolve(alarm, w.worker, "门锁已修复", "uploads/door.jpg")
    order.refresh_from_db()
    assert (order.state, order.result) == (State.DONE, "门锁已修复") and order.on_site_at and order.done_at


def test_a_calibration_order_is_not_opened_on_a_power_company_meter(orders_world):
    """The power company calibrates its meters: a calibration order naming one is refused on ``meter``."""
    w = orders_world
    owned = Meter.objects.create(well=w.well, kind="ultrasonic", serial="US-P2", owner="power",
                                 installed_at=w.flow.installed_at)
    for meter in (w.power, owned):
        with pytest.raises(ValidationError) as refused:
            service.create(well=w.well, kind="calibration", by=w.operator, due_on=date(2026, 12, 1), meter=meter)
        assert "meter" in refused.value.message_dict
    repair = service.create(well=w.well, kind="repair", by=w.operator, due_on=date(2026, 12, 1), meter=w.power)
    assert repair.meter == w.power  # other kinds may still name it
