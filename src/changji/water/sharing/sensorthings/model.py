"""The SensorThings v1.1 data model as the platform exposes it (OGC 18-088 §8.2): entity types, links, ids.

What each entity is here:

* ``Thing`` — a well (机井), ``@iot.id`` its code (``652323-00017``); ``Location`` and ``FeatureOfInterest`` —
  the same well's coordinates, with the same id; ``HistoricalLocation`` — an empty set (the registry keeps no
  history of well positions, and a well does not move);
* ``Sensor`` — the kind of instrument (电磁流量计, 电能表, 水位计), ``ObservedProperty`` — daily water use,
  daily electricity, groundwater depth: three of each, constants below;
* ``Datastream`` — one well × one observed property it has (``652323-00017:water``);
* ``Observation`` — one value of one local day (``652323-00017:water:2026-05-01``).

Every id is built from natural keys (the well code that embeds the county's GB 2260 code, the property, the
day), never from an auto-increment id, so the same well has the same ids on every instance of the four
levels. The standard lets an id be any string or number (18-088 §8.2 "@iot.id … can be of any type");
strings are addressed as ``Things('652323-00017')`` with a quote doubled inside (OData 4.01 URL conventions).

A ``Restriction`` is what a path or an id pins down: the well code, the property, the sensor, the day.
Following a navigation link passes on the dimensions the link names (``Nav.passes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from changji.water.sharing.sensorthings.errors import NOT_FOUND, StaError

__pure__ = True

Restriction = dict[str, str]

OM_MEASUREMENT: Final = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


@dataclass(frozen=True)
class Sensor:
    """A kind of instrument that makes one observed property's values."""

    key: str
    name: str
    description: str
    metadata: str


@dataclass(frozen=True)
class ObservedProperty:
    """A daily figure the platform publishes, with its unit (UCUM) and the sensor that measures it."""

    key: str
    name: str
    definition: str
    description: str
    unit_name: str
    unit_symbol: str
    unit_definition: str
    sensor: str
    well_kind: str


SENSORS: Final = {s.key: s for s in (
    Sensor("flowmeter", "电磁流量计", "取水井出水管上的电磁流量计（累计水量），缺表或失准时以电折水",
           "JJG 1033 电磁流量计检定规程"),
    Sensor("electricity-meter", "电能表", "取水井水泵回路的智能电能表（累计电量）", "JJG 596 电子式交流电能表检定规程"),
    Sensor("level-gauge", "水位计", "地下水监测井的水位计（地下水埋深）", "SL 360 地下水监测规范"),
)}

OBSERVED_PROPERTIES: Final = {p.key: p for p in (
    ObservedProperty("water", "日用水量", "urn:changji:observed-property:daily-water-use",
                     "取水井一个自然日（北京时间）的认定用水量：计量水量，缺表或失准时为以电折水水量",
                     "立方米", "m3", "http://unitsofmeasure.org/ucum.html#m3", "flowmeter", "extraction"),
    ObservedProperty("energy", "日用电量", "urn:changji:observed-property:daily-electricity",
                     "取水井水泵一个自然日（北京时间）的用电量", "千瓦时", "kW.h",
                     "http://unitsofmeasure.org/ucum.html#kW.h", "electricity-meter", "extraction"),
    ObservedProperty("depth", "地下水埋深", "urn:changji:observed-property:groundwater-depth",
                     "监测井一个自然日（北京时间）地下水埋深的日均值（地面以下米数，越大水位越低）", "米", "m",
                     "http://unitsofmeasure.org/ucum.html#m", "level-gauge", "monitoring"),
)}


@dataclass(frozen=True)
class Nav:
    """A navigation property: its name, the entity type it leads to, to-many or to-one, dimensions passed."""

    name: str
    target: str
    many: bool
    passes: tuple[str, ...]


@dataclass(frozen=True)
class EntityType:
    """An entity type: its set's name, its properties in output order, its links and the dimensions of its id."""

    name: str
    set_name: str
    properties: tuple[str, ...]
    navs: tuple[Nav, ...]
    key: tuple[str, ...]

    def nav(self, name: str) -> Nav | None:
        """The navigation property ``name``, or None."""
        return next((n for n in self.navs if n.name == name), None)


WELL = ("well",)
ENTITY_TYPES: Final = {t.name: t for t in (
    EntityType("Thing", "Things", ("name", "description", "properties"), (
        Nav("Locations", "Location", True, WELL), Nav("HistoricalLocations", "HistoricalLocation", True, WELL),
        Nav("Datastreams", "Datastream", True, WELL)), WELL),
    EntityType("Location", "Locations", ("name", "description", "encodingType", "location", "properties"), (
        Nav("Things", "Thing", True, WELL), Nav("HistoricalLocations", "HistoricalLocation", True, WELL)), WELL),
    EntityType("HistoricalLocation", "HistoricalLocations", ("time",), (
        Nav("Thing", "Thing", False, WELL), Nav("Locations", "Location", True, WELL)), WELL),
    EntityType("Sensor", "Sensors", ("name", "description", "encodingType", "metadata", "properties"), (
        Nav("Datastreams", "Datastream", True, ("sensor",)),), ("sensor",)),
    EntityType("ObservedProperty", "ObservedProperties", ("name", "definition", "description", "properties"), (
        Nav("Datastreams", "Datastream", True, ("prop",)),), ("prop",)),
    EntityType("Datastream", "Datastreams", ("name", "description", "unitOfMeasurement", "observationType",
                                             "properties"), (
        Nav("Thing", "Thing", False, WELL), Nav("Sensor", "Sensor", False, ("sensor",)),
        Nav("ObservedProperty", "ObservedProperty", False, ("prop",)),
        Nav("Observations", "Observation", True, ("well", "prop"))), ("well", "prop")),
    EntityType("Observation", "Observations", ("phenomenonTime", "resultTime", "result", "parameters"), (
        Nav("Datastream", "Datastream", False, ("well", "prop")),
        Nav("FeatureOfInterest", "FeatureOfInterest", False, WELL)), ("well", "prop", "day")),
    EntityType("FeatureOfInterest", "FeaturesOfInterest", ("name", "description", "encodingType", "feature",
                                                           "properties"), (
        Nav("Observations", "Observation", True, WELL),), WELL),
)}

BY_SET: Final = {t.set_name: t for t in ENTITY_TYPES.values()}


def parse_id(entity: EntityType, raw: str) -> Restriction:
    """Return what the id ``raw`` of an ``entity`` pins down; 404 when it cannot be one of its ids."""
    parts = raw.rsplit(":", len(entity.key) - 1) if len(entity.key) > 1 else [raw]
    if len(parts) != len(entity.key) or not all(parts):
        raise StaError(NOT_FOUND, f"no {entity.name} with id '{raw[:64]}'")
    found = dict(zip(entity.key, parts, strict=True))
    if "prop" in found:
        prop = OBSERVED_PROPERTIES.get(found["prop"])
        if prop is None:
            raise StaError(NOT_FOUND, f"no {entity.name} with id '{raw[:64]}'")
        found["sensor"] = prop.sensor
    if "sensor" in found and found["sensor"] not in SENSORS:
        raise StaError(NOT_FOUND, f"no {entity.name} with id '{raw[:64]}'")
    if "day" in found:
        try:
            date.fromisoformat(found["day"])
        except ValueError:
            raise StaError(NOT_FOUND, f"no {entity.name} with id '{raw[:64]}'") from None
    return found


def format_id(entity: EntityType, found: Restriction) -> str:
    """The ``@iot.id`` of the entity that ``found`` pins down."""
    return ":".join(found[k] for k in entity.key)


def quote_id(value: str) -> str:
    """The id as written in a path: ``'…'`` with a quote doubled inside."""
    return "'" + value.replace("'", "''") + "'"


def passed(nav: Nav, found: Restriction) -> Restriction:
    """The restriction a link from the entity ``found`` hands to its target.

    A Datastream's sensor follows its property.
    """
    out = {k: found[k] for k in nav.passes if k in found}
    if "prop" in out:
        out["sensor"] = OBSERVED_PROPERTIES[out["prop"]].sensor
    return out
