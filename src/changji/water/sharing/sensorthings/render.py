"""The JSON of SensorThings entities and collections (OGC 18-088 §8.2 entity control information, §9.3).

An entity carries ``@iot.id``, ``@iot.selfLink`` and one ``<Nav>@iot.navigationLink`` per navigation property,
then its properties; a collection is ``{"@iot.count"?, "value": [...], "@iot.nextLink"?}``. ``$select`` keeps
only the properties named (``id`` for ``@iot.id``; a navigation property's name keeps its link), as FROST-Server
does. Pure: rows come in as dicts of the columns of ``sources``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from changji.water.sharing.sensorthings import intervals
from changji.water.sharing.sensorthings.errors import BAD_REQUEST, StaError
from changji.water.sharing.sensorthings.model import (
    OBSERVED_PROPERTIES,
    SENSORS,
    EntityType,
    Restriction,
    format_id,
    quote_id,
)

__pure__ = True

GEOJSON = "application/geo+json"
SENSOR_ENCODING = "text/plain"
PLACE_DESCRIPTION = {"Location": "机井位置（WGS-84 经纬度）", "FeatureOfInterest": "机井所在位置（观测对象）"}
KIND_LABELS = {"extraction": "取水井", "monitoring": "地下水监测井"}
USE_LABELS = {"agricultural": "农业灌溉", "industrial": "工业", "domestic": "生活"}
CONTROL = ("@iot.id", "@iot.selfLink")


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def identity(entity: EntityType, row: Mapping[str, Any]) -> Restriction:
    """What the row's entity pins down (its id's dimensions, and a Datastream's sensor)."""
    if entity.name in ("Sensor",):
        return {"sensor": row["o_key"]}
    if entity.name == "ObservedProperty":
        return {"prop": row["o_key"]}
    found = {"well": row["o_code"]}
    if entity.name in ("Datastream", "Observation"):
        found["prop"] = row["o_prop"]
        found["sensor"] = OBSERVED_PROPERTIES[row["o_prop"]].sensor
    if entity.name == "Observation":
        found["day"] = _day(row["o_day"]).isoformat()
    return found


def _point(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [row["o_lon"], row["o_lat"]]}


def properties(entity: EntityType, row: Mapping[str, Any], counties: Mapping[str, str]) -> dict[str, Any]:
    """The entity's properties (those without a value are left out, as optional properties may be)."""
    name = entity.name
    if name == "Thing":
        county = str(row["o_region"])[:6]
        return {"name": row["o_name"],
                "description": f"{KIND_LABELS.get(row['o_kind'], '')}（{USE_LABELS.get(row['o_use'], '')}）",
                "properties": {"code": row["o_code"], "kind": row["o_kind"], "use": row["o_use"],
                               "countyCode": county, "county": counties.get(county, "")}}
    if name in ("Location", "FeatureOfInterest"):
        geometry = "location" if name == "Location" else "feature"
        return {"name": row["o_name"], "description": PLACE_DESCRIPTION[name], "encodingType": GEOJSON,
                geometry: _point(row)}
    if name == "Sensor":
        s = SENSORS[row["o_key"]]
        return {"name": s.name, "description": s.description, "encodingType": SENSOR_ENCODING,
                "metadata": s.metadata}
    if name == "ObservedProperty":
        p = OBSERVED_PROPERTIES[row["o_key"]]
        return {"name": p.name, "definition": p.definition, "description": p.description}
    if name == "Datastream":
        p = OBSERVED_PROPERTIES[row["o_prop"]]
        return {"name": f"{row['o_name']} {p.name}", "description": f"{p.name}（{p.unit_name}）",
                "unitOfMeasurement": {"name": p.unit_name, "symbol": p.unit_symbol, "definition": p.unit_definition},
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"}
    if name == "Observation":
        day = _day(row["o_day"])
        out: dict[str, Any] = {"phenomenonTime": intervals.day_interval(day), "resultTime": intervals.day_end(day),
                               "result": round(float(row["o_result"]), 3)}
        if row.get("o_source"):
            out["parameters"] = {"source": row["o_source"]}
        return out
    return {}


def self_link(base: str, entity: EntityType, found: Restriction) -> str:
    """The entity's URL."""
    return f"{base}/{entity.set_name}({quote_id(format_id(entity, found))})"


def check_select(entity: EntityType, select: Sequence[str] | None) -> None:
    """Refuse a ``$select`` naming what the entity type does not have."""
    known = {"id", *CONTROL, *entity.properties, *(n.name for n in entity.navs)}
    bad = [s for s in select or () if s not in known]
    if bad:
        raise StaError(BAD_REQUEST, f"$select: {entity.name} has no property '{bad[0][:80]}'")


def entity_json(entity: EntityType, row: Mapping[str, Any], base: str, select: Sequence[str] | None,
                counties: Mapping[str, str]) -> dict[str, Any]:
    """One entity with its control information, as much as ``$select`` keeps."""
    found = identity(entity, row)
    link = self_link(base, entity, found)
    full: dict[str, Any] = {"@iot.id": format_id(entity, found), "@iot.selfLink": link}
    for nav in entity.navs:
        full[f"{nav.name}@iot.navigationLink"] = f"{link}/{nav.name}"
    full.update(properties(entity, row, counties))
    if select is None:
        return full
    keep = {"@iot.id" if s == "id" else s for s in select}
    return {k: v for k, v in full.items()
            if k in keep or (k.endswith("@iot.navigationLink") and k.split("@", 1)[0] in keep)}


def collection(values: list[dict[str, Any]], count: int | None, next_link: str | None) -> dict[str, Any]:
    """A collection in the standard's shape."""
    out: dict[str, Any] = {}
    if count is not None:
        out["@iot.count"] = count
    out["value"] = values
    if next_link is not None:
        out["@iot.nextLink"] = next_link
    return out
