"""Compound and building outlines in the register: checked, imported all or nothing, exported, served to maps.

The rules are the pure ``community.grids.outlines``; this module finds the containers they check
against (a street/town's extent is the outline of its unified grids; a building's is its compound's
outline) and writes. The admin form, ``changji community import-outlines`` / ``export-outlines`` and
the maps call these functions only.

An import file is a GeoJSON FeatureCollection. Each feature names its compound by ``compound_id``
(or ``compound``, the name, unique in the register) and, for a building, its building by
``building_id`` (or ``building``, the name within the compound); a feature without a building is
the compound's outline. Any bad feature is reported by its number (1-based) and then nothing is saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from changji.community.grids import geo, outlines
from changji.community.grids.service import grids_within
from changji.community.models import Building, Compound
from changji.core.audit import record
from changji.core.models import Region, RegionLevel
from changji.core.uploads import problem_lines, quoted

#: Length of a street/town (township) region code.
TOWNSHIP_CODE_LENGTH = 9


class TownExtents:
    """The extent of each street/town (the outline of its unified grids), computed once per township."""

    def __init__(self) -> None:
        self._known: dict[str, BaseGeometry | None] = {}

    def of(self, region_code: str) -> BaseGeometry | None:
        """The extent of the street/town holding ``region_code``; None when it has no grids (nothing to check)."""
        code = region_code[:TOWNSHIP_CODE_LENGTH]
        if code not in self._known:
            town = Region.objects.filter(code=code, level=RegionLevel.TOWNSHIP).first()
            shapes = ([shape(b) for b in grids_within(town).values_list("boundary", flat=True)]
                      if town is not None else [])
            self._known[code] = geo.outline(shapes) if shapes else None
        return self._known[code]


def clean_compound_outline(compound: Compound, value: Any, extents: TownExtents | None = None) -> dict | None:
    """The outline to store for ``compound`` (None clears it); GeometryError when it breaks a rule."""
    if value in (None, ""):
        return None
    within = (extents or TownExtents()).of(compound.region_id) if compound.region_id else None
    return outlines.outline_json(outlines.check_outline(value, within=within, within_label="所在街道（乡镇）"))


def clean_building_outline(building: Building, value: Any, compound_outline: Any = None,
                           extents: TownExtents | None = None) -> dict | None:
    """The outline to store for ``building``: within its compound's outline, or its town's if the compound has none.

    ``compound_outline`` overrides the stored one (an import that redraws the compound too).
    """
    if value in (None, ""):
        return None
    container = compound_outline if compound_outline is not None else (
        building.compound.outline if building.compound_id else None)
    if container:
        return outlines.outline_json(outlines.check_outline(value, within=shape(container), within_label="小区轮廓"))
    within = (extents or TownExtents()).of(building.region_id) if building.region_id else None
    return outlines.outline_json(outlines.check_outline(value, within=within, within_label="所在街道（乡镇）"))


@dataclass
class OutlineImportResult:
    """The outcome of an outline import: counts, or the features at fault (nothing saved)."""

    compounds: int = 0
    buildings: int = 0
    #: (feature number, 1-based, or None for the file as a whole; Chinese reason)
    errors: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors: the outlines were saved."""
        return not self.errors

    def __str__(self) -> str:
        if not self.errors:
            return f"已导入轮廓：小区 {self.compounds} 个，楼栋 {self.buildings} 栋"
        problems = problem_lines(quoted(r, 200) if i is None else f"第 {i} 个要素：{quoted(r, 200)}"
                                 for i, r in self.errors)
        return "\n  ".join([f"{len(self.errors)} 处错误，未保存任何轮廓", *problems])


def _text(properties: Mapping[str, Any], key: str) -> str:
    value = properties.get(key)
    return str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _find_compound(properties: Mapping[str, Any]) -> Compound:
    """The compound a feature names by ``compound_id`` or by its unique ``compound`` name."""
    compound_id, name = properties.get("compound_id"), _text(properties, "compound")
    if compound_id is not None:
        if not isinstance(compound_id, int) or isinstance(compound_id, bool):
            raise geo.GeometryError(f"compound_id 应为整数，收到 {compound_id!r}")
        found = Compound.objects.filter(pk=compound_id).first()
        if found is None:
            raise geo.GeometryError(f"未找到编号为 {compound_id} 的小区")
        return found
    if not name:
        raise geo.GeometryError("要素缺少 compound_id 或 compound（小区名称）")
    matches = list(Compound.objects.filter(name=name)[:2])
    if not matches:
        raise geo.GeometryError(f"未找到小区“{name}”")
    if len(matches) > 1:
        raise geo.GeometryError(f"有多个名为“{name}”的小区，请用 compound_id 指明")
    return matches[0]


def _find_building(compound: Compound, properties: Mapping[str, Any]) -> Building | None:
    """The building of ``compound`` a feature names (by ``building_id`` or ``building``); None for the compound."""
    building_id, name = properties.get("building_id"), _text(properties, "building")
    if building_id is None and not name:
        return None
    if building_id is not None:
        if not isinstance(building_id, int) or isinstance(building_id, bool):
            raise geo.GeometryError(f"building_id 应为整数，收到 {building_id!r}")
        found = Building.objects.filter(pk=building_id, compound=compound).first()
    else:
        found = Building.objects.filter(name=name, compound=compound).first()
    if found is None:
        named = building_id if building_id is not None else name
        raise geo.GeometryError(f"小区“{compound.name}”中未找到楼栋“{named}”")
    return found


def _features(data: Any, result: OutlineImportResult) -> list[Any]:
    features = data.get("features") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection" or not isinstance(features, list):
        result.errors.append((None, "文件不是 GeoJSON FeatureCollection"))
        return []
    if not features:
        result.errors.append((None, "FeatureCollection 中没有要素"))
    return features


def _resolve(features: list[Any], result: OutlineImportResult) -> list[tuple[int, Compound, Building | None, Any]]:
    """Each feature as (number, compound, building or None, geometry); a bad or repeated one is an error."""
    resolved: list[tuple[int, Compound, Building | None, Any]] = []
    seen: dict[tuple[int, int | None], int] = {}
    for number, feature in enumerate(features, 1):
        try:
            if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
                raise geo.GeometryError("不是 GeoJSON Feature")
            properties = feature.get("properties") or {}
            if not isinstance(properties, Mapping):
                raise geo.GeometryError("properties 应为对象")
            compound = _find_compound(properties)
            building = _find_building(compound, properties)
        except geo.GeometryError as error:
            result.errors.append((number, str(error)))
            continue
        key = (compound.pk, building.pk if building else None)
        if key in seen:
            result.errors.append((number, f"与第 {seen[key]} 个要素是同一{'楼栋' if building else '小区'}"))
            continue
        seen[key] = number
        resolved.append((number, compound, building, feature.get("geometry")))
    return resolved


def import_outlines(data: Any, *, actor: Any = None) -> OutlineImportResult:
    """Set the outlines a FeatureCollection gives, all or nothing; compounds first, so buildings fit the new walls."""
    result = OutlineImportResult()
    resolved = _resolve(_features(data, result), result)
    extents = TownExtents()
    new_compound: dict[int, dict | None] = {}
    changes: list[tuple[Compound | Building, dict | None]] = []
    for number, compound, building, geometry in sorted(resolved, key=lambda row: row[2] is not None):
        try:
            if building is None:
                new_compound[compound.pk] = clean_compound_outline(compound, geometry, extents)
                changes.append((compound, new_compound[compound.pk]))
            else:
                changes.append((building, clean_building_outline(building, geometry, new_compound.get(compound.pk),
                                                                 extents)))
        except geo.GeometryError as error:
            result.errors.append((number, str(error)))
    if result.errors:
        result.errors.sort(key=lambda error: error[0] if error[0] is not None else -1)
        return result
    with transaction.atomic():
        for row, outline in changes:
            row.outline = outline
            row.save(update_fields=["outline"])
        result.compounds = sum(isinstance(row, Compound) for row, _ in changes)
        result.buildings = len(changes) - result.compounds
        record("community.outlines.import", actor=actor, compounds=result.compounds, buildings=result.buildings)
    return result


def export_outlines(compounds: Iterable[Compound] | None = None) -> dict[str, Any]:
    """The outlines of ``compounds`` (default: all) and their buildings, the FeatureCollection import_outlines reads."""
    chosen = list(compounds) if compounds is not None else list(Compound.objects.order_by("pk"))
    features: list[dict[str, Any]] = []
    buildings = Building.objects.filter(compound__in=chosen, outline__isnull=False).order_by("compound_id", "pk")
    by_compound: dict[int, list[Building]] = {}
    for building in buildings:
        by_compound.setdefault(building.compound_id, []).append(building)
    for compound in chosen:
        if compound.outline:
            features.append({"type": "Feature", "geometry": compound.outline,
                             "properties": {"compound_id": compound.pk, "compound": compound.name}})
        features.extend({"type": "Feature", "geometry": b.outline,
                         "properties": {"compound_id": compound.pk, "compound": compound.name,
                                        "building_id": b.pk, "building": b.name}}
                        for b in by_compound.get(compound.pk, []))
    return {"type": "FeatureCollection", "features": features}


def _bbox_filter(queryset: Any, bbox: tuple[float, float, float, float] | None, prefix: str = "") -> Any:
    """Rows whose point lies in ``bbox`` (west, south, east, north); an outline is small next to a map view."""
    if bbox is None:
        return queryset
    west, south, east, north = bbox
    return queryset.filter(**{f"{prefix}lon__gte": west, f"{prefix}lon__lte": east,
                              f"{prefix}lat__gte": south, f"{prefix}lat__lte": north})


def map_outlines(bbox: tuple[float, float, float, float] | None = None, *,
                 compounds: Any = None, buildings: Any = None) -> dict[str, Any]:
    """The register's outlines for a map: names and shapes only, nothing about households or residents.

    Compact: ``compounds`` [id, name, lon, lat, rings or null], ``buildings`` [index into compounds, name, rings].

    ``compounds`` and ``buildings`` narrow the register (a user's scope); ``bbox`` (west, south, east,
    north) keeps the compounds whose point is in it, with their buildings.
    """
    rows = _bbox_filter(compounds if compounds is not None else Compound.objects.all(), bbox).order_by("pk")
    compound_rows = list(rows.values_list("pk", "name", "lon", "lat", "outline"))
    index = {pk: n for n, (pk, *_) in enumerate(compound_rows)}
    buildings = ((buildings if buildings is not None else Building.objects.all())
                 .filter(compound_id__in=list(index), outline__isnull=False)
                 .order_by("compound_id", "pk").values_list("compound_id", "name", "outline"))
    return {
        "compounds": [[pk, name, round(lon, outlines.SERVED_DECIMALS), round(lat, outlines.SERVED_DECIMALS),
                       outlines.served_rings(outline) if outline else None]
                      for pk, name, lon, lat, outline in compound_rows],
        "buildings": [[index[compound_id], name, outlines.served_rings(outline)]
                      for compound_id, name, outline in buildings],
    }

