"""O&M contractor figures per county and month (运维考核): response, repair time, 完好率, overdue orders.

An order counts for a contractor in a county and month when it is on a well of that county, was created in
that month (Asia/Shanghai) and is (or was last) assigned to one of the contractor's workers (``ContractorWorker``).
响应时间 is dispatch → on site, 修复时间 dispatch → done (hours; median and p90, ``figures``); 逾期 the orders
finished after their due day or still open past it; 完好率 is the county's 设备完好率 over the month as the
KPI module defines it (``kpi.terminal_days.intact_rate_of_wells``), the wells a county contract covers being the
county's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from changji.core import localtime
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import Region
from changji.water.kpi.terminal_days import intact_rate_of_wells
from changji.water.models import MaintenanceContract, Well, WorkOrder, WorkOrderState
from changji.water.orders import figures
from changji.water.orders.states import OPEN_STATES


@dataclass(frozen=True)
class ContractFigures:
    """One contractor's figures in one county over one month."""

    contractor: str
    county: str
    county_name: str
    month: date
    orders: int
    response_median_h: float | None
    response_p90_h: float | None
    repair_median_h: float | None
    repair_p90_h: float | None
    intact_rate: float | None
    overdue: int


def _month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _late(order: WorkOrder, today: date) -> bool:
    if order.state == WorkOrderState.CANCELLED:
        return False
    if order.state in OPEN_STATES:
        return order.due_on < today
    return order.done_at is not None and localtime.local_day(order.done_at) > order.due_on


def contract_figures(contract: MaintenanceContract, month: date, today: date | None = None) -> ContractFigures:
    """The figures of ``contract``'s contractor in its county over ``month``."""
    first, last = _month_bounds(month)
    today = today or localtime.today()
    start, end = localtime.days_bounds(first, last)
    county: Region = contract.county
    orders = list(WorkOrder.objects.filter(
        well__region__path__startswith=county.path, created_at__gte=start, created_at__lt=end,
        assignee__contractor_link__contractor=contract.contractor,
    ))
    response = [h for h in (figures.hours_between(o.assigned_at or o.created_at, o.on_site_at) for o in orders)
                if h is not None]
    repair = [h for h in (figures.hours_between(o.assigned_at or o.created_at, o.done_at) for o in orders)
              if h is not None]
    wells = Well.objects.filter(region__path__startswith=county.path).values_list("pk", flat=True)
    intact = intact_rate_of_wells(wells, first, min(last, today))
    return ContractFigures(
        contractor=contract.contractor.name, county=county.code, county_name=county.name, month=first,
        orders=len(orders), response_median_h=figures.median(response), response_p90_h=figures.percentile(response),
        repair_median_h=figures.median(repair), repair_p90_h=figures.percentile(repair),
        intact_rate=intact, overdue=sum(_late(order, today) for order in orders),
    )


def month_rows(contracts: Any, month: date, today: date | None = None) -> list[ContractFigures]:
    """The figures of every contract (a queryset, already scoped) in force during ``month``."""
    first, last = _month_bounds(month)
    running = contracts.filter(starts_on__lte=last, ends_on__gte=first).select_related("contractor", "county")
    ordered = running.order_by("county__code", "contractor__name")
    return [contract_figures(contract, month, today) for contract in ordered]


HEADER = ["运维单位", "县市", "月份", "工单数", "响应时间中位数（小时）", "响应时间P90（小时）",
          "修复时间中位数（小时）", "修复时间P90（小时）", "设备完好率（%）", "逾期工单"]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def workbook(rows: list[ContractFigures]) -> bytes:
    """The contract review as an XLSX (formula-safe, ``core.exports``)."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = "运维考核"
    append_row(sheet, HEADER)
    for row in rows:
        append_row(sheet, [row.contractor, row.county_name, row.month.strftime("%Y-%m"), row.orders,
                           _round(row.response_median_h), _round(row.response_p90_h), _round(row.repair_median_h),
                           _round(row.repair_p90_h),
                           None if row.intact_rate is None else round(row.intact_rate * 100, 1), row.overdue])
    return workbook_bytes(book)
