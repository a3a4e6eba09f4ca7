"""Meter calibrations come due once, and overdue work orders are warned about once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from changji.core.models import AuditEntry
from changji.water.models import Meter, WorkOrder
from changji.water.registry.work_orders import schedule_calibrations, warn_overdue

pytestmark = pytest.mark.django_db


def test_a_meter_due_within_a_month_gets_one_calibration_order(make_terminal):
    well = make_terminal().well
    due = Meter.objects.create(well=well, kind="electromagnetic", serial="EM-1", last_calibrated_on=date(2025, 12, 10),
                               installed_at=datetime(2024, 1, 1, tzinfo=UTC))
    Meter.objects.create(well=well, kind="electricity", serial="E-1", last_calibrated_on=date(2026, 6, 1),
                         installed_at=datetime(2024, 1, 1, tzinfo=UTC))
    [order] = schedule_calibrations(date(2026, 11, 25))
    assert (order.meter, order.kind, order.due_on) == (due, "calibration", date(2026, 12, 10))
    assert schedule_calibrations(date(2026, 11, 26)) == []
    assert AuditEntry.objects.filter(action="water.work_order.calibration_due", region_id="652323").count() == 1


def test_overdue_work_orders_are_warned_once(make_terminal):
    well = make_terminal().well
    late = WorkOrder.objects.create(kind="repair", well=well, due_on=date(2026, 11, 20))
    WorkOrder.objects.create(kind="repair", well=well, due_on=date(2026, 12, 1))
    WorkOrder.objects.create(kind="repair", well=well, due_on=date(2026, 11, 1), state="done")
    assert warn_overdue(date(2026, 11, 25)) == [late]
    assert warn_overdue(date(2026, 11, 26)) == []
    entry = AuditEntry.objects.get(action="water.work_order.overdue")
    assert entry.detail["days_late"] == 5
