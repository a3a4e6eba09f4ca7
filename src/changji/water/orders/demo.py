"""Demo work orders (运维工单): one O&M contractor per county with a worker, and orders of every kind in every state.

The worker of each county (``yunwei-<county code>``, password the demo administrator's) has today's orders on real
demo wells of the county, so 我的工单 shows a day's round on the phone; the first county's contractor has orders
of every kind in every state for the list, the detail pages and the contract review. Idempotent: a county whose
contractor exists is left as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from changji.core import localtime
from changji.core.models import Region, RegionLevel, Role, User
from changji.water.models import (
    ContractorWorker,
    MaintenanceContract,
    MaintenanceContractor,
    Meter,
    MeterKind,
    Well,
    WorkOrder,
)
from changji.water.orders import service
from changji.water.orders.states import Kind, State

SYSTEM = "demo"
DONE_FIELDS = {"flow_before_m3": 15230.5, "flow_after_m3": 15233.0, "energy_before_kwh": 8201.2,
               "energy_after_kwh": 8202.0, "certificate_number": "CJJD-DEMO-0001", "error_pct": -0.4}

#: The path of states to each state, from 待派单.
PATHS: dict[State, list[State]] = {
    State.PENDING: [], State.ASSIGNED: [State.ASSIGNED], State.ON_SITE: [State.ASSIGNED, State.ON_SITE],
    State.DONE: [State.ASSIGNED, State.ON_SITE, State.DONE],
    State.REVIEWED: [State.ASSIGNED, State.ON_SITE, State.DONE, State.REVIEWED],
    State.CANCELLED: [State.ASSIGNED, State.CANCELLED],
}


def _worker(county: Region, contractor: MaintenanceContractor, password: str) -> User:
    user, created = User.objects.get_or_create(
        username=f"yunwei-{county.code}",
        defaults={"role": Role.MAINTENANCE_WORKER, "region": county, "last_name": f"{county.name}运维员"})
    if created or not user.has_usable_password():  # the history's incidents make the same account, without one
        user.set_password(password)
        user.save(update_fields=["password"])
    ContractorWorker.objects.get_or_create(user=user, defaults={"contractor": contractor})
    return user


def _meters(well: Well) -> Meter:
    installed = datetime(2024, 4, 1, tzinfo=UTC)
    flow = Meter.objects.filter(well=well, removed_at__isnull=True).exclude(kind=MeterKind.ELECTRICITY).first()
    if flow is None:
        flow = Meter.objects.create(well=well, kind=MeterKind.ELECTROMAGNETIC_FLOW, serial=f"DC-{well.code}-D",
                                    installed_at=installed, last_calibrated_on=localtime.today() - timedelta(days=350))
    if not Meter.objects.filter(well=well, kind=MeterKind.ELECTRICITY).exists():
        Meter.objects.create(well=well, kind=MeterKind.ELECTRICITY, serial=f"DB-{well.code}", installed_at=installed)
    return flow


def _walk(order: WorkOrder, target: State, worker: User, now: datetime) -> WorkOrder:
    step_at = now - timedelta(hours=8)
    for step in PATHS[target]:
        step_at += timedelta(hours=1, minutes=20)
        fields: dict[str, object] = {"at": step_at}
        if step == State.ASSIGNED:
            fields["assignee"] = worker
        elif step == State.DONE:
            fields.update(result="现场处理完毕，设备运行正常", **DONE_FIELDS)
        elif step == State.CANCELLED:
            fields["reason"] = "用水户已自行处理"
        order = service.transition(order, step, SYSTEM, **fields)
    return order


def seed_county(county: Region, password: str, every_state: bool) -> int:
    """The county's contractor, worker and orders; return how many orders were opened."""
    contractor, created = MaintenanceContractor.objects.get_or_create(
        name=f"{county.name}水务运维有限公司", defaults={"contact_phone": "0994-2300000"})
    if not created:
        return 0
    year = localtime.today().year
    MaintenanceContract.objects.create(contractor=contractor, county=county, starts_on=datetime(year, 1, 1).date(),
                                       ends_on=datetime(year, 12, 31).date(), number=f"YW-{county.code}-{year}")
    worker = _worker(county, contractor, password)
    wells = list(Well.objects.filter(region__path__startswith=county.path, kind="extraction").order_by("code")[:30])
    if not wells:
        return 0
    today, now = localtime.today(), timezone.now()
    plan = [(kind, state) for kind in Kind for state in State] if every_state else []
    plan += [(Kind.REPAIR, State.ASSIGNED), (Kind.CALIBRATION, State.ASSIGNED), (Kind.INSTALLATION, State.ON_SITE)]
    for index, (kind, state) in enumerate(plan):
        well = wells[index % len(wells)]
        meter = _meters(well) if kind == Kind.CALIBRATION else None
        due = today if state in (State.ASSIGNED, State.ON_SITE) else today - timedelta(days=index % 5)
        order = service.create(well=well, kind=kind, by=SYSTEM, due_on=due, meter=meter,
                               description=f"{kind_text(kind)}（演示）")
        _walk(order, state, worker, now)
    return len(plan)


def kind_text(kind: Kind) -> str:
    return {Kind.SITE_CHECK: "现场核查告警", Kind.CALIBRATION: "流量计年度检定", Kind.REPAIR: "终端通信故障维修",
            Kind.INSTALLATION: "新装计量设施"}[kind]


def seed_work_orders(password: str) -> str:
    """Seed every county that has demo wells; return the line to print."""
    counties = [c for c in Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
                if Well.objects.filter(region__path__startswith=c.path).exists()]
    opened = sum(seed_county(county, password, every_state=index == 0) for index, county in enumerate(counties))
    first = f"yunwei-{counties[0].code}" if counties else "—"
    return f"{opened} work orders, {len(counties)} O&M contractors (我的工单: {first})"
