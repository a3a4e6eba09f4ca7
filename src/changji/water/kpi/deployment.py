"""Planned against installed monitoring sets (设备建设进度) and the bureau's KPI targets (考核目标).

The prefecture plans its 10,401 sets per county and year (``DeploymentPlan``); a set counts as

* **installed** (已安装) when its terminal has ``installed_on`` on or before the view's day (``as_of``: today, or
  the year's last day for a past year);
* **online** (上线) when it is installed and reported on at least one day of the KPI window (the 30 local days up
  to ``as_of``, ``TerminalDay.received_reports > 0``), so the figure is rebuildable from the readings;
* **new** (新设备) when installed during the view's year; **accepted** (已验收) when ``accepted_on`` ≤ ``as_of``.

Rates: 安装完成率 = installed / planned up to the year; 新设备上线率 = new and online / new; 上线率 = online /
installed; 验收率 = accepted / installed; 设备完好率 and 数据准确率 as ``kpi.definitions`` over the window. Each is
judged against the target of its metric for the year (``KpiTarget``): the county's own, else the nearest region
above it (the prefecture's). Plans and targets are changed only here (``save_plan``, ``save_target``,
``import_plans``), by ``water.kpi_target.edit`` within its scope, and audited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from changji.core import audit
from changji.core.access import P, allows
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset, user_can_access_region
from changji.core.uploads import ImportOutcome, ProblemList, cell_problem, read_workbook
from changji.water.kpi import definitions as kpi
from changji.water.kpi.terminal_days import kpi_sums_by_region, roll_up_sums
from changji.water.models import DeploymentPlan, KpiMetric, KpiTarget, Terminal, TerminalDay

WINDOW_DAYS = 30
PLAN_SHEET = "设备建设计划"
PLAN_COLUMNS = ["区划代码", "县（市）", "年度", "计划安装套数", "备注"]
VIEW_SHEET = "建设进度"
METRICS = list(KpiMetric)


@dataclass(frozen=True, slots=True)
class Figure:
    """One rate of a row against its target: value 0..1, target in percent, met (None: no target or no value)."""

    value: float | None
    target_pct: float | None
    met: bool | None

    @property
    def pct(self) -> float | None:
        """The value in percent, one decimal."""
        return None if self.value is None else round(self.value * 100, 1)


@dataclass
class DeploymentRow:
    """One county (or the total) of the view."""

    code: str
    name: str
    planned_year: int = 0
    planned_to_date: int = 0
    installed: int = 0
    installed_year: int = 0
    online: int = 0
    new_online: int = 0
    accepted: int = 0
    sums: list[kpi.KpiSums] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass
class DeploymentView:
    region: Region
    year: int
    as_of: date
    window_first: date
    rows: list[DeploymentRow]
    total: DeploymentRow


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _county_of(path: str) -> str:
    codes = [code for code in path.split("/") if code]
    return codes[RegionLevel.COUNTY] if len(codes) > RegionLevel.COUNTY else codes[-1]


def _counties(region: Region) -> list[Region]:
    if region.level >= RegionLevel.COUNTY:
        return [region]
    return list(Region.objects.within(region).filter(level=RegionLevel.COUNTY).order_by("code"))


def target_of(targets: list[KpiTarget], path: str, metric: str) -> float | None:
    """The target of ``metric`` for the region at ``path``: its own, else the nearest region above it."""
    fitting = [t for t in targets if t.metric == metric and path.startswith(t.region.path)]
    return max(fitting, key=lambda t: len(t.region.path)).target_pct if fitting else None


def _judge(row: DeploymentRow, targets: list[KpiTarget], path: str) -> None:
    rates = kpi.rates(roll_up_sums(row.sums))
    values = {
        KpiMetric.INSTALLATION_RATE: _rate(row.installed, row.planned_to_date),
        KpiMetric.NEW_ONLINE_RATE: _rate(row.new_online, row.installed_year),
        KpiMetric.ONLINE_RATE: _rate(row.online, row.installed),
        KpiMetric.ACCEPTANCE_RATE: _rate(row.accepted, row.installed),
        KpiMetric.INTACT_RATE: rates.intact_rate,
        KpiMetric.ACCURACY_RATE: rates.accuracy_rate,
    }
    for metric, value in values.items():
        target = target_of(targets, path, metric)
        row.figures[metric] = Figure(value, target, kpi.meets_target(value, target))


def _add(total: DeploymentRow, row: DeploymentRow) -> None:
    for name in ("planned_year", "planned_to_date", "installed", "installed_year", "online", "new_online",
                 "accepted"):
        setattr(total, name, getattr(total, name) + getattr(row, name))
    total.sums.extend(row.sums)


def deployment_view(region: Region, year: int, today: date) -> DeploymentView:
    """Planned, installed, online and accepted sets per county of ``region`` for ``year`` (module docstring)."""
    as_of = min(today, date(year, 12, 31))
    first = as_of - timedelta(days=WINDOW_DAYS - 1)
    counties = _counties(region)
    rows = {county.code: DeploymentRow(county.code, county.name) for county in counties}
    paths = {county.code: county.path for county in counties}
    for plan in DeploymentPlan.objects.filter(region__path__startswith=region.path, year__lte=year).select_related(
            "region"):
        row = rows.get(_county_of(plan.region.path))
        if row is not None:
            row.planned_to_date += plan.planned_sets
            row.planned_year += plan.planned_sets if plan.year == year else 0
    online = set(TerminalDay.objects.filter(
        terminal__region__path__startswith=region.path, day__gte=first, day__lte=as_of, received_reports__gt=0,
    ).values_list("terminal_id", flat=True).distinct())
    terminals = Terminal.objects.filter(region__path__startswith=region.path, installed_on__isnull=False,
                                        installed_on__lte=as_of)
    for pk, path, installed_on, accepted_on in terminals.values_list("pk", "region__path", "installed_on",
                                                                     "accepted_on").iterator():
        row = rows.get(_county_of(path)) if region.level < RegionLevel.COUNTY else rows[region.code]
        if row is None:
            continue
        new = installed_on is not None and installed_on.year == year
        row.installed += 1
        row.installed_year += new
        row.online += pk in online
        row.new_online += new and pk in online
        row.accepted += accepted_on is not None and accepted_on <= as_of
    region_paths = dict(Region.objects.within(region).values_list("code", "path"))
    for code, sums in kpi_sums_by_region(region, first, as_of).items():
        row = rows.get(_county_of(region_paths[code])) if region.level < RegionLevel.COUNTY else rows[region.code]
        if row is not None:
            row.sums.append(sums)
    targets = list(KpiTarget.objects.filter(year=year).select_related("region"))
    total = DeploymentRow(region.code, f"{region.name}合计")
    for code, row in rows.items():
        _judge(row, targets, paths[code])
        _add(total, row)
    _judge(total, targets, region.path)
    return DeploymentView(region, year, as_of, first, list(rows.values()), total)


# --- changes ---------------------------------------------------------------------------------------------


def check_editor(actor: Any, region: Region) -> None:
    """Refuse unless ``actor`` may set plans and targets (``water.kpi_target.edit``) for ``region``."""
    if not allows(actor, P.WATER_KPI_TARGET_EDIT) or not user_can_access_region(actor, region):
        raise PermissionDenied("无权设置该区划的考核目标或建设计划")


def _county(region: Region) -> None:
    if region.level != RegionLevel.COUNTY:
        raise PermissionDenied("设备建设计划按县（市）制定")


@transaction.atomic
def save_plan(region: Region, year: int, planned_sets: int, note: str, actor: Any) -> DeploymentPlan:
    """Set a county's planned sets for a year (create or change); audited ``water.deployment_plan.saved``."""
    check_editor(actor, region)
    _county(region)
    plan = DeploymentPlan.objects.select_for_update().filter(region=region, year=year).first()
    before = None if plan is None else plan.planned_sets
    plan = plan or DeploymentPlan(region=region, year=year)
    plan.planned_sets, plan.note = planned_sets, note
    plan.full_clean()
    plan.save()
    audit.record("water.deployment_plan.saved", actor=actor, target=plan, year=year, planned_sets=planned_sets,
                 before=before)
    return plan


@transaction.atomic
def save_target(region: Region, year: int, metric: str, target_pct: float, actor: Any) -> KpiTarget:
    """Set the target of ``metric`` for ``region`` and ``year`` (create or change); audited."""
    check_editor(actor, region)
    target = KpiTarget.objects.select_for_update().filter(region=region, year=year, metric=metric).first()
    before = None if target is None else target.target_pct
    target = target or KpiTarget(region=region, year=year, metric=metric)
    target.target_pct = target_pct
    target.full_clean()
    target.save()
    audit.record("water.kpi_target.saved", actor=actor, target=target, year=year, metric=metric,
                 target_pct=target_pct, before=before)
    return target


@transaction.atomic
def delete_target(target: KpiTarget, actor: Any) -> None:
    """Remove a target (the region above it applies again); audited ``water.kpi_target.deleted``."""
    check_editor(actor, target.region)
    audit.record("water.kpi_target.deleted", actor=actor, target=target, year=target.year, metric=target.metric,
                 target_pct=target.target_pct)
    target.delete()


# --- workbooks -------------------------------------------------------------------------------------------


def export_plans(plans: Any) -> bytes:
    """The plans (already scoped by the caller) as a workbook with the import's columns."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = PLAN_SHEET
    append_row(sheet, PLAN_COLUMNS)
    for plan in plans.select_related("region").order_by("year", "region__code"):
        append_row(sheet, [plan.region.code, plan.region.name, plan.year, plan.planned_sets, plan.note])
    return workbook_bytes(book)


VIEW_COLUMNS = ["县（市）", "区划代码", "本年计划", "累计计划", "已安装", "本年新装", "上线", "新设备上线", "已验收",
                *[str(metric.label) for metric in METRICS], *[f"{metric.label}目标" for metric in METRICS]]


def _view_row(row: DeploymentRow) -> list[Any]:
    return [row.name, row.code, row.planned_year, row.planned_to_date, row.installed, row.installed_year, row.online,
            row.new_online, row.accepted,
            *[("" if row.figures[m].pct is None else row.figures[m].pct) for m in METRICS],
            *[("" if row.figures[m].target_pct is None else row.figures[m].target_pct) for m in METRICS]]


def export_view(view: DeploymentView) -> bytes:
    """The planned-vs-installed view as a workbook: one row per county and the total (rates in percent)."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = VIEW_SHEET
    append_row(sheet, [f"{view.region.name} {view.year} 年设备建设进度（截至 {view.as_of:%Y-%m-%d}，"
                       f"上线窗口 {view.window_first:%Y-%m-%d} 起 {WINDOW_DAYS} 天）"])
    append_row(sheet, VIEW_COLUMNS)
    for row in [*view.rows, view.total]:
        append_row(sheet, _view_row(row))
    return workbook_bytes(book)


class PlanImport(ImportOutcome):
    noun = "条"


def _number(value: Any, low: int, high: int) -> int:
    number = float(str(value).strip())
    if number != int(number) or not low <= number <= high:
        raise ValueError(f"应为 {low}–{high} 之间的整数")
    return int(number)


def _plan_row(number: int, values: tuple[Any, ...], positions: dict[str, int], regions: dict[str, Region],
              problems: ProblemList) -> tuple[Region, int, int, str] | None:
    cells = {name: values[index] if index < len(values) else None for name, index in positions.items()}
    where = f"{PLAN_SHEET} 第 {number} 行"
    for name, kind in (("区划代码", "text"), ("年度", "number"), ("计划安装套数", "number"), ("备注", "text")):
        problem = cell_problem(cells[name], kind) if name in cells else None
        if cells.get(name) is None and name != "备注":
            problem = "不能为空"
        if problem:
            problems.add(f"{where} {name}：{problem}")
            return None
    region = regions.get(str(cells["区划代码"]).strip())
    if region is None:
        problems.add(f"{where} 区划代码：不是您管辖范围内的县（市）代码")
        return None
    try:
        year = _number(cells["年度"], 2000, 2100)
        planned = _number(cells["计划安装套数"], 0, 1_000_000)
    except ValueError as error:
        problems.add(f"{where} 年度或计划安装套数：{error}")
        return None
    return region, year, planned, str(cells.get("备注") or "").strip()[:200]


def import_plans(content: bytes, actor: Any) -> PlanImport:
    """Apply a plan workbook (all or nothing): each row sets one county's planned sets for one year."""
    outcome = PlanImport()
    rows = read_workbook(content, [PLAN_SHEET])[PLAN_SHEET]
    header = [str(v).strip() if v is not None else "" for v in (rows[0].values if rows else ())]
    required = ["区划代码", "年度", "计划安装套数"]
    missing = [name for name in required if name not in header]
    if missing:
        outcome.problems.add(f"工作表「{PLAN_SHEET}」缺少列：{'、'.join(missing)}")
        return outcome
    positions = {name: header.index(name) for name in PLAN_COLUMNS if name in header}
    regions = {r.code: r for r in scope_queryset(Region.objects.filter(level=RegionLevel.COUNTY), actor)}
    parsed: dict[tuple[str, int], tuple[Region, int, int, str]] = {}
    for row in rows[1:]:
        record = _plan_row(row.number, row.values, positions, regions, outcome.problems)
        if record is None:
            continue
        key = (record[0].code, record[1])
        if key in parsed:
            outcome.problems.add(f"{PLAN_SHEET} 第 {row.number} 行：与前面的行重复（同一县市、同一年度）")
        parsed[key] = record
    if outcome.problems:
        return outcome
    existing = {(p.region_id, p.year): p for p in DeploymentPlan.objects.filter(region_id__in=[k[0] for k in parsed])}
    with transaction.atomic():
        for key, (region, year, planned, note) in parsed.items():
            plan = existing.get(key)
            if plan is not None and (plan.planned_sets, plan.note) == (planned, note):
                outcome.unchanged += 1
                continue
            save_plan(region, year, planned, note, actor)
            if plan is None:
                outcome.created += 1
            else:
                outcome.updated += 1
    return outcome


def plans_by_county(region: Region, year: int) -> dict[str, int]:
    """Planned sets of ``year`` per county code within ``region`` (for the API and the demo's check)."""
    out: dict[str, int] = defaultdict(int)
    for code, planned in DeploymentPlan.objects.filter(region__path__startswith=region.path, year=year).values_list(
            "region__code", "planned_sets"):
        out[code] += planned
    return dict(out)
