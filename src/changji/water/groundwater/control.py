"""Keeping the 管控水位 red lines and the 超采区 zones: save, import (all or nothing), and the zones' index.

Changing either needs ``water.groundwater.edit`` on the region concerned (the monitoring well's, the zone's);
every change is audited: ``water.groundwater.control_level_saved`` (before and after),
``water.groundwater.control_levels_imported`` and ``water.groundwater.zone_saved`` /
``water.groundwater.zones_imported`` (the counts). Imports apply nothing when any row or feature has a problem,
and name each problem by sheet and row, or by feature number and name.

A zone import is a GeoJSON FeatureCollection; each feature's properties are ``name`` (名称), ``level``
(``general``/``overdraft``/一般超采区 or ``severe``/严重超采区), ``region`` (the county code it is designated in),
``document`` (划定文件), ``valid_from_year`` and optionally ``valid_to_year``; its geometry a Polygon or
MultiPolygon in WGS-84 longitude/latitude. A feature with the name, region and first year of a stored zone
replaces its outline and fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from changji.core import access, audit, params
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.models import Region
from changji.core.scope import scope_queryset
from changji.core.uploads import ImportOutcome, ProblemList, UploadError, cell_problem, quoted, read_json, read_workbook
from changji.water.groundwater.geometry import GeometryError, Zone, ZoneIndex, validate
from changji.water.models import ControlLevel, OverdraftLevel, OverdraftZone, Well, WellKind

LEVELS = {"general": OverdraftLevel.GENERAL, "overdraft": OverdraftLevel.GENERAL, "一般": OverdraftLevel.GENERAL,
          "一般超采区": OverdraftLevel.GENERAL, "severe": OverdraftLevel.SEVERE, "严重": OverdraftLevel.SEVERE,
          "严重超采区": OverdraftLevel.SEVERE}
CONTROL_SHEET = "管控水位"
CONTROL_COLUMNS = ("监测井编号", "管控水位埋深（米）", "依据文件")


class ZoneImportOutcome(ImportOutcome):
    noun = "个"


def zone_index(year: int, zones: Any = None) -> ZoneIndex:
    """The zones valid in ``year`` (all stored zones, or ``zones``), ready for point queries."""
    rows = OverdraftZone.objects.all() if zones is None else zones
    return ZoneIndex(Zone(z.pk, z.level, z.geometry) for z in rows if z.valid_in(year))


# --- red lines ---------------------------------------------------------------------------------------------


@transaction.atomic
def save_control_level(well: Well, control_depth_m: float, document: str, actor: Any) -> ControlLevel:
    """Set a monitoring well's red line (audited with the depth before and after)."""
    access.check_actor(actor, P.WATER_GROUNDWATER_EDIT, well.region)
    if well.kind != WellKind.MONITORING:
        raise Refusal("well", "只有监测井可设置管控水位")
    if not 0 <= control_depth_m <= 1000:
        raise Refusal("control_depth_m", "管控水位埋深应在 0–1000 米之间")
    control = ControlLevel.objects.filter(well=well).first()
    before = control.control_depth_m if control else None
    control = control or ControlLevel(well=well)
    control.control_depth_m, control.document = control_depth_m, document[:255]
    control.updated_by = actor if hasattr(actor, "is_authenticated") else None
    control.save()
    audit.record("water.groundwater.control_level_saved", actor=actor, target=well, region=well.region,
                 before=before, after=control_depth_m, document=control.document)
    return control


def import_control_levels(content: bytes, actor: Any) -> ImportOutcome:
    """Apply a red-line workbook (sheet 管控水位: 监测井编号, 管控水位埋深（米）, 依据文件), all or nothing."""
    access.check_actor(actor, P.WATER_GROUNDWATER_EDIT)
    outcome = ImportOutcome()
    rows = read_workbook(content, [CONTROL_SHEET])[CONTROL_SHEET]
    header = [str(v).strip() if v is not None else "" for v in (rows[0].values if rows else ())]
    missing = [name for name in CONTROL_COLUMNS[:2] if name not in header]
    if missing:
        outcome.problems.add(f"工作表「{CONTROL_SHEET}」缺少列：{'、'.join(missing)}")
        return outcome
    at = {name: header.index(name) for name in CONTROL_COLUMNS if name in header}
    wells = {w.code: w for w in scope_queryset(Well.objects.filter(kind=WellKind.MONITORING), actor)
             .select_related("region")}
    found: list[tuple[Well, float, str]] = []
    for row in rows[1:]:
        code, depth, document = (row.values[at[name]] if name in at and at[name] < len(row.values) else None
                                 for name in CONTROL_COLUMNS)
        where = f"{CONTROL_SHEET} 第 {row.number} 行"
        well = wells.get(str(code or "").strip())
        if well is None:
            outcome.problems.add(f"{where} 监测井编号：「{quoted(code or '')}」不是您管辖范围内的监测井")
            continue
        problem = cell_problem(depth, "number")
        if problem or depth is None or not 0 <= float(depth) <= 1000:
            outcome.problems.add(f"{where} 管控水位埋深（米）：{problem or '应为 0–1000 之间的数字'}")
            continue
        found.append((well, float(depth), str(document or "").strip()))
    if outcome.problems:
        return outcome
    with transaction.atomic():
        for well, depth, document in found:
            existing = ControlLevel.objects.filter(well=well).values_list("control_depth_m", flat=True).first()
            if existing == depth:
                outcome.unchanged += 1
                continue
            save_control_level(well, depth, document, actor)
            if existing is None:
                outcome.created += 1
            else:
                outcome.updated += 1
        audit.record("water.groundwater.control_levels_imported", actor=actor, created=outcome.created,
                     updated=outcome.updated, unchanged=outcome.unchanged)
    return outcome


# --- zones -------------------------------------------------------------------------------------------------


@transaction.atomic
def save_zone(zone: OverdraftZone, actor: Any) -> OverdraftZone:
    """Validate and save a zone (its outline and fields), audited."""
    access.check_actor(actor, P.WATER_GROUNDWATER_EDIT, zone.region)
    validate(zone.geometry)
    zone.full_clean()
    created = zone.pk is None
    zone.save()
    audit.record("water.groundwater.zone_saved", actor=actor, target=zone, created=created, name=zone.name,
                 level=zone.level, valid_from_year=zone.valid_from_year, valid_to_year=zone.valid_to_year)
    return zone


@dataclass
class _Feature:
    name: str
    level: str
    region: Region
    geometry: dict[str, Any]
    document: str
    valid_from_year: int
    valid_to_year: int | None


def _year(value: Any, label: str, required: bool) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        year = int(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{label}应为年份") from error
    if not params.FIRST_YEAR <= year <= params.LAST_YEAR:
        raise ValueError(f"{label}应在 {params.FIRST_YEAR}–{params.LAST_YEAR} 之间")
    return year


def _feature(feature: Any, regions: dict[str, Region]) -> _Feature:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("不是 GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError("properties 应为对象")
    name = str(props.get("name") or props.get("名称") or "").strip()
    if not name or len(name) > 100:
        raise ValueError("缺少名称（name），或超过 100 字")
    level = LEVELS.get(str(props.get("level") or props.get("超采程度") or "general").strip())
    if level is None:
        raise ValueError(f"超采程度「{quoted(props.get('level'))}」应为 general 或 severe（一般/严重）")
    code = str(props.get("region") or props.get("区划") or "").strip()
    if code not in regions:
        raise ValueError(f"区划「{quoted(code)}」不是您管辖范围内的区划代码")
    try:
        validate(feature.get("geometry"))
    except GeometryError as error:
        raise ValueError(str(error)) from error
    first = _year(props.get("valid_from_year") or props.get("起始年度"), "起始年度", True)
    last = _year(props.get("valid_to_year") or props.get("截止年度"), "截止年度", False)
    assert first is not None  # required
    if last is not None and last < first:
        raise ValueError("截止年度早于起始年度")
    document = str(props.get("document") or props.get("划定文件") or "").strip()[:255]
    if not document:
        raise ValueError("缺少划定文件（document）")
    return _Feature(name, level, regions[code], feature["geometry"], document, first, last)


def import_zones(content: bytes, actor: Any) -> ZoneImportOutcome:
    """Apply a GeoJSON FeatureCollection of zones (see the module docstring), all or nothing."""
    access.check_actor(actor, P.WATER_GROUNDWATER_EDIT)
    outcome = ZoneImportOutcome()
    data = read_json(content)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise UploadError("文件应为 GeoJSON FeatureCollection")
    regions = {r.code: r for r in scope_queryset(Region.objects.filter(level__gte=3), actor)}
    features: list[_Feature] = []
    keys: set[tuple[str, str, int]] = set()
    problems = ProblemList()
    for n, raw in enumerate(data["features"], 1):
        label = raw.get("properties", {}).get("name", "") if isinstance(raw, dict) and isinstance(
            raw.get("properties"), dict) else ""
        try:
            feature = _feature(raw, regions)
        except ValueError as error:
            problems.add(f"第 {n} 个要素{f'（{quoted(label)}）' if label else ''}：{error}")
            continue
        key = (feature.region.code, feature.name, feature.valid_from_year)
        if key in keys:
            problems.add(f"第 {n} 个要素（{quoted(feature.name)}）：与前面的要素重复（区划、名称、起始年度相同）")
        keys.add(key)
        features.append(feature)
    if not data["features"]:
        problems.add("文件中没有要素")
    outcome.problems = problems
    if problems:
        return outcome
    with transaction.atomic():
        for feature in features:
            zone = OverdraftZone.objects.filter(region=feature.region, name=feature.name,
                                                valid_from_year=feature.valid_from_year).first()
            if zone is None:
                zone, outcome.created = OverdraftZone(region=feature.region, name=feature.name), outcome.created + 1
            else:
                outcome.updated += 1
            zone.level, zone.geometry, zone.document = feature.level, feature.geometry, feature.document
            zone.valid_from_year, zone.valid_to_year = feature.valid_from_year, feature.valid_to_year
            save_zone(zone, actor)
        audit.record("water.groundwater.zones_imported", actor=actor, created=outcome.created,
                     updated=outcome.updated)
    return outcome
