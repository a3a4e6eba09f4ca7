"""Maintenance work orders: meter calibrations coming due (检定校准) and overdue warnings.

Flowmeters and the bureau's own electricity meters are re-verified on a fixed interval (a year by default); a meter
whose last calibration is older gets a calibration work order due on its anniversary, once. Every
open work order past its due date is warned about once (an audit entry the dashboards read), so
the maintenance team sees what is late without anyone re-checking lists by hand. Meters of the power company
(供电公司, ``Meter.owner``; an electricity meter by default) are calibrated by it and never scheduled here.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from changji.core import audit
from changji.core.models import AuditEntry
from changji.water.models import Meter, MeterKind, MeterOwner, WorkOrder, WorkOrderKind
from changji.water.orders.service import create
from changji.water.orders.states import OPEN_STATES, UNFINISHED_STATES

#: Meters the power company (供电公司) owns and calibrates: given so, or electricity meters left at the default.
POWER_COMPANY = Q(owner=MeterOwner.POWER) | Q(owner="", kind=MeterKind.ELECTRICITY)

CALIBRATION_INTERVAL = timedelta(days=365)
CALIBRATION_NOTICE = timedelta(days=30)


@transaction.atomic
def schedule_calibrations(today: date, interval: timedelta = CALIBRATION_INTERVAL,
                          notice: timedelta = CALIBRATION_NOTICE) -> list[WorkOrder]:
    """Open a calibration work order for each installed meter due within ``notice``; return them."""
    horizon = today + notice - interval
    due_meters = Meter.objects.filter(removed_at__isnull=True, last_calibrated_on__lte=horizon,
                                      well__reported_by="").exclude(  # not wells reported from below
        pk__in=WorkOrder.objects.filter(kind=WorkOrderKind.CALIBRATION, state__in=UNFINISHED_STATES)
        .values("meter_id")
    ).exclude(POWER_COMPANY).select_related("well")
    orders = []
    for meter in due_meters:
        assert meter.last_calibrated_on is not None  # the filter's ``__lte`` leaves out a meter never calibrated
        order = create(
            kind=WorkOrderKind.CALIBRATION, well=meter.well, meter=meter, by="system",
            due_on=meter.last_calibrated_on + interval,
            description=(
                f"{meter.get_kind_display()} {meter.serial} 上次检定 {meter.last_calibrated_on}，需年度检定校准"
            ),
        )
        audit.record("water.work_order.calibration_due", target=order, region=meter.well.region,
                     meter=meter.serial, due_on=order.due_on.isoformat())
        orders.append(order)
    return orders


def warn_overdue(today: date) -> list[WorkOrder]:
    """Audit each open work order past its due date once; return the newly overdue ones."""
    overdue = list(WorkOrder.objects.filter(state__in=OPEN_STATES, due_on__lt=today).select_related("well__region"))
    warned = set(AuditEntry.objects.filter(
        action="water.work_order.overdue", object_id__in=[str(order.pk) for order in overdue]
    ).values_list("object_id", flat=True))
    newly = [order for order in overdue if str(order.pk) not in warned]
    for order in newly:
        audit.record("water.work_order.overdue", target=order, region=order.well.region,
                     kind=order.kind, due_on=order.due_on.isoformat(), days_late=(today - order.due_on).days)
    return newly

