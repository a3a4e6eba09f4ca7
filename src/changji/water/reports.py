"""Monthly, quarterly and yearly reports (月报/季报/年报) as XLSX and CSV, on demand or on a schedule.

A report covers one region (a county or the prefecture) and one period of local days. The workbook
has a summary sheet (one row per county: use, metered water, 以电折水, electricity, allocation and
its use, KPIs, alarms), one sheet per county listing its wells, a water-user sheet, and a 超采区 sheet: per
zone polygon valid in the period's year (``OverdraftZone``), the wells of the region inside its outline
(``groundwater.geometry``) and their use — a well inside two zones counts in both, and a last row gives the
use inside any zone once. The CSV is
the well table with the county on every row, for tools that read CSV. Every figure comes from the
derived tables (DailyUsage, TerminalDay, Alarm, Allocation), so a report can be regenerated and
gives the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import Count, Q, Sum
from openpyxl.styles import Font

from changji.core import localtime
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, csv_bytes, workbook_bytes
from changji.core.models import Region, RegionLevel
from changji.core.regions import root_region
from changji.water.groundwater.control import zone_index
from changji.water.kpi.definitions import rates
from changji.water.kpi.terminal_days import kpi_sums_by_region, roll_up_sums
from changji.water.models import Alarm, Allocation, OverdraftZone, Report, ReportPeriod, Well
from changji.water.usage import monthly

WELL_COLUMNS = ["县市", "机井编号", "机井名称", "取水户", "用途", "认定用水量(m³)", "计量水量(m³)", "以电折水(m³)",
                "用电量(kWh)", "以电折水天数", "告警数"]
ZONE_COLUMNS = ["超采区", "超采程度", "所属区划", "机井数", "认定用水量(m³)", "计量水量(m³)", "以电折水(m³)",
                "用电量(kWh)"]
SUMMARY_COLUMNS = ["县市", "区划代码", "机井数", "认定用水量(m³)", "计量水量(m³)", "以电折水(m³)", "用电量(kWh)",
                   "年度指标(m³)", "指标使用率", "设备完好率", "数据上线率", "到报率", "数据准确率", "告警数",
                   "未关闭告警", "通信中断率"]


def period_bounds(period: str, at: date) -> tuple[date, date]:
    """Return the first and last local day of the month, quarter or year containing ``at``."""
    if period == ReportPeriod.MONTH:
        first = localtime.month_of(at)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    elif period == ReportPeriod.QUARTER:
        first = localtime.quarter_of(at)
        last = (first.replace(month=first.month + 2, day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    elif period == ReportPeriod.YEAR:
        first, last = date(at.year, 1, 1), date(at.year, 12, 31)
    else:
        raise ValueError(f"unknown report period {period!r}")
    return first, last


@dataclass
class ReportData:
    """Everything a report shows, as plain rows."""

    region: Region
    period: str
    first: date
    last: date
    summary: list[list[Any]] = field(default_factory=list)
    wells: dict[str, list[list[Any]]] = field(default_factory=dict)  # county name -> rows
    water_users: list[list[Any]] = field(default_factory=list)
    zones: list[list[Any]] = field(default_factory=list)


def _counties(region: Region) -> list[Region]:
    if region.level >= RegionLevel.COUNTY:
        return [region]
    return list(Region.objects.within(region).filter(level=RegionLevel.COUNTY).order_by("code"))


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def build_report(period: str, at: date, region: Region) -> ReportData:
    """Collect the figures of ``region`` for the period containing ``at`` (a few grouped queries)."""
    first, last = period_bounds(period, at)
    data = ReportData(region, period, first, last)
    start, _ = localtime.day_bounds(first)
    _, end = localtime.day_bounds(last)
    per_well = monthly.sums(first, last, region.path)
    used_year = monthly.sums(date(first.year, 1, 1), last, region.path, figures=("usage_m3",))  # 指标使用率
    alarms = dict(Alarm.objects.filter(raised_at__gte=start, raised_at__lt=end).values("well_id")
                  .annotate(n=Count("id")).values_list("well_id", "n"))
    county_figures = _county_figures(region, first, last, start, end)
    user_totals: dict[str, list[Any]] = {}
    uses = {value: str(label) for value, label in Well._meta.get_field("use").flatchoices}
    by_county: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    positions: dict[int, tuple[float, float]] = {}
    for well in Well.objects.filter(region__path__startswith=region.path).order_by("code").values_list(
        "id", "code", "name", "use", "region__path", "water_user__code", "water_user__name", "latitude", "longitude"
    ).iterator(chunk_size=5000):
        by_county[_county_code(well[4])].append(well[:7])
        positions[well[0]] = (well[7], well[8])
    for county in _counties(region):
        rows = []
        for well_id, code, name, use, _, user_code, user_name in by_county.get(county.code, []):
            figures = per_well.get(well_id, {})
            rows.append([county.name, code, name, user_name or "", uses.get(use, use), _r(figures.get("usage_m3")),
                         _r(figures.get("water_m3")), _r(figures.get("estimated_water_m3")),
                         _r(figures.get("energy_kwh")), figures.get("estimated_days") or 0, alarms.get(well_id, 0)])
            county_figures["used_year"][county.code] += used_year.get(well_id, {}).get("usage_m3") or 0.0
            if user_code:
                total = user_totals.setdefault(user_code, [user_code, user_name, county.name, 0, 0.0])
                total[3] += 1
                total[4] += figures.get("usage_m3") or 0.0
        data.wells[county.name] = rows
        data.summary.append(_summary_row(county, rows, county_figures))
    data.water_users = [[*row[:4], round(row[4], 1)] for row in sorted(user_totals.values())]
    data.zones = zone_rows(region, first.year, positions, per_well)
    return data


ZONE_FIGURES = ("usage_m3", "water_m3", "estimated_water_m3", "energy_kwh")


def zone_rows(region: Region, year: int, positions: dict[int, tuple[float, float]],
              per_well: Any) -> list[list[Any]]:
    """Per 超采区 polygon valid in ``year`` (designated in or above ``region``): its wells of the region and their use.

    The last row (「超采区内合计」) counts each well once, however many zones it lies in.
    """
    ancestors = [code for code in region.path.strip("/").split("/") if code]
    zones = list(OverdraftZone.objects.filter(Q(region__path__startswith=region.path) | Q(region_id__in=ancestors))
                 .select_related("region").order_by("region_id", "name"))
    index = zone_index(year, zones)
    if not index.zones:
        return []
    inside: dict[int, list[int]] = defaultdict(list)
    anywhere: set[int] = set()
    for well_id, (lat, lon) in positions.items():
        for zone in index.zones_at(lat, lon):
            inside[zone.id].append(well_id)
            anywhere.add(well_id)

    def totals(well_ids: Any) -> list[Any]:
        return [round(sum(per_well.get(w, {}).get(name) or 0.0 for w in well_ids), 1) for name in ZONE_FIGURES]

    rows = [[zone.name, zone.get_level_display(), zone.region.name, len(inside[zone.pk]), *totals(inside[zone.pk])]
            for zone in zones if zone.valid_in(year)]
    rows.append(["超采区内合计", "", region.name, len(anywhere), *totals(anywhere)])
    return rows


def _county_code(path: str) -> str:
    """Return the county code on a region path (nation/region/prefecture/county/…)."""
    parts = path.split("/")
    return parts[3] if len(parts) > 4 else parts[-2]


def _by_county(rows: Any, key: str, value: str, paths: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for row in rows:
        out[_county_code(paths[row[key]])] += row[value] or 0.0
    return out


def _county_figures(region: Region, first: date, last: date, start: Any, end: Any) -> dict[str, Any]:
    """Per county: allocation, use since Jan 1, KPI sums, alarms raised and still open."""
    allocations = Allocation.objects.filter(
        Q(well__isnull=False) | Q(region__level=RegionLevel.COUNTY), year=first.year,
        scope_region__path__startswith=region.path,
    ).values("scope_region_id").annotate(total=Sum("allocation_m3"))
    paths = dict(Region.objects.filter(path__startswith=region.path).values_list("code", "path"))
    kpis: dict[str, list[Any]] = defaultdict(list)
    for code, sums in kpi_sums_by_region(region, first, last).items():
        kpis[_county_code(paths[code])].append(sums)
    alarm_rows = Alarm.objects.filter(
        raised_at__gte=start, raised_at__lt=end, terminal__region__path__startswith=region.path
    )
    open_rows = alarm_rows.filter(closed_at__isnull=True, cleared_at__isnull=True)
    return {
        "allocation": _by_county(allocations, "scope_region_id", "total", paths),
        "used_year": defaultdict(float),  # filled per well by build_report
        "kpis": kpis,
        "raised": _by_county(alarm_rows.values("terminal__region_id").annotate(n=Count("id")),
                             "terminal__region_id", "n", paths),
        "open": _by_county(open_rows.values("terminal__region_id").annotate(n=Count("id")),
                           "terminal__region_id", "n", paths),
    }


def _r(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def _summary_row(county: Region, rows: list[list[Any]], figures: dict[str, Any]) -> list[Any]:
    def total(column: int) -> float:
        return round(sum(row[column] for row in rows if row[column] != ""), 1)

    allocation = figures["allocation"].get(county.code)
    used_year = figures["used_year"].get(county.code, 0.0)
    kpis = rates(roll_up_sums(figures["kpis"].get(county.code, [])))
    return [county.name, county.code, len(rows), total(5), total(6), total(7), total(8),
            round(allocation, 1) if allocation else "", _rate(used_year / allocation if allocation else None),
            _rate(kpis.intact_rate), _rate(kpis.online_rate), _rate(kpis.arrival_rate),
            _rate(kpis.accuracy_rate), int(figures["raised"].get(county.code, 0)),
            int(figures["open"].get(county.code, 0)), _rate(kpis.comm_loss_rate)]


def to_xlsx(data: ReportData) -> bytes:
    """Return the report as an XLSX workbook (formula-safe: a well or user named ``=…`` stays text)."""
    book = FormulaSafeWorkbook()
    summary = active_worksheet(book)
    summary.title = "汇总"
    append_row(summary, [f"{data.region.name} {data.first:%Y-%m-%d} 至 {data.last:%Y-%m-%d} 地下水取用水统计"])
    append_row(summary, SUMMARY_COLUMNS)
    for row in data.summary:
        append_row(summary, row)
    for county, rows in data.wells.items():
        sheet = book.create_sheet(county[:31])
        append_row(sheet, WELL_COLUMNS)
        for row in rows:
            append_row(sheet, row)
    users = book.create_sheet("取水户")
    append_row(users, ["取水户编号", "取水户名称", "县市", "机井数", "认定用水量(m³)"])
    for row in data.water_users:
        append_row(users, row)
    if data.zones:
        zones = book.create_sheet("超采区")
        append_row(zones, ZONE_COLUMNS)
        for row in data.zones:
            append_row(zones, row)
    for sheet in book.worksheets:
        for cell in sheet[2 if sheet.title == "汇总" else 1]:
            cell.font = Font(bold=True)
    return workbook_bytes(book)


def to_csv(data: ReportData) -> bytes:
    """Return the well table as CSV (UTF-8 with BOM, so Excel opens the Chinese headers; formula-safe)."""
    return csv_bytes([WELL_COLUMNS, *(row for rows in data.wells.values() for row in rows)])


def generate_report(period: str, at: date, region: Region, file_format: str = "xlsx", by: str = "system") -> Report:
    """Build the report and store it as a ``Report`` with its file."""
    data = build_report(period, at, region)
    content = to_xlsx(data) if file_format == "xlsx" else to_csv(data)
    name = f"{region.code}-{data.period}-{data.first:%Y%m%d}-{data.last:%Y%m%d}.{file_format}"
    report = Report(period=period, first_day=data.first, last_day=data.last, region=region, file_format=file_format,
                    generated_by=by)
    report.file.save(name, ContentFile(content), save=True)
    return report


def scheduled_reports(today: date) -> list[Report]:
    """Generate the reports due on ``today``: last month's on the 1st, last quarter's, last year's.

    A report the schedule already made (``generated_by`` "system", same period, region and format) is not
    made again, so the monthly job may be retried or caught up; return the reports made now.
    """
    due: list[tuple[str, date]] = []
    yesterday = today - timedelta(days=1)
    if today.day == 1:
        due.append((ReportPeriod.MONTH, yesterday))
        if today.month in (1, 4, 7, 10):
            due.append((ReportPeriod.QUARTER, yesterday))
        if today.month == 1:
            due.append((ReportPeriod.YEAR, yesterday))
    top = root_region()
    regions = [top, *(county for county in _counties(top) if county.code != top.code)]
    made = set(Report.objects.filter(generated_by="system", region__in=regions).values_list(
        "period", "first_day", "region_id", "file_format"))
    return [
        generate_report(period, at, region, file_format)
        for period, at in due for region in regions for file_format in ("xlsx", "csv")
        if (period, period_bounds(period, at)[0], region.code, file_format) not in made
    ]
