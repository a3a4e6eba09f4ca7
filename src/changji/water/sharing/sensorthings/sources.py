"""Where each SensorThings entity comes from: *parts*, each one queryset with one column per output field.

* Things, Locations, FeaturesOfInterest — one part each over ``Well`` (no water user, phone or licence is
  read: the columns below are all a Thing shows); HistoricalLocations — one empty part;
* Datastreams — three parts over ``Well``: daily water use and daily electricity for every extraction well,
  groundwater depth for every monitoring well;
* Observations — three parts: ``DailyUsage.usage_m3`` (认定用水量, metered or 以电折水) and
  ``DailyUsage.energy_kwh`` of extraction wells, and the daily **mean** of ``Reading.depth_m`` of monitoring wells
  per local day (a mean rather than the last reading: one late reading of a day does not stand for it);
* Sensors and ObservedProperties — constants (``model``), one part each over the open-data setting row with the
  constant as columns, so ``$filter`` on them is the same SQL as everywhere.

Each part maps the STA property paths a ``$filter`` or ``$orderby`` may name to an expression of its queryset
(``fields``), including the paths through a to-one link (``Datastream/Thing/name``), and names the columns of its
rows (``COLUMNS``, the same for every part of one entity type, so parts can be unioned).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db.models import Avg, Case, CharField, DateField, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, Substr, TruncDate

from changji.core.localtime import SHANGHAI
from changji.water.models import DailyUsage, OpenDataSetting, Reading, Well, WellKind, WellUse
from changji.water.sharing.sensorthings import model
from changji.water.sharing.sensorthings.model import ENTITY_TYPES, OBSERVED_PROPERTIES, SENSORS, EntityType
from changji.water.sharing.sensorthings.render import GEOJSON, PLACE_DESCRIPTION, SENSOR_ENCODING

Fields = dict[str, Any]

#: The columns of every part of an entity type, in select order.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "Thing": ("o_code", "o_name", "o_kind", "o_use", "o_region", "o_lat", "o_lon"),
    "Sensor": ("o_key",), "ObservedProperty": ("o_key",),
    "Datastream": ("o_code", "o_name", "o_prop"),
    "Observation": ("o_code", "o_prop", "o_day", "o_result", "o_source"),
}
#: The columns that order rows of one entity type after the requested keys (its id), so paging is stable.
TIE: Mapping[str, tuple[str, ...]] = {"Thing": ("o_code",), "Sensor": ("o_key",), "ObservedProperty": ("o_key",),
                                      "Datastream": ("o_code", "o_prop"), "Observation": ("o_code", "o_prop", "o_day")}
WELL_BASED = ("Thing", "Location", "FeatureOfInterest", "HistoricalLocation")


def columns_of(entity: EntityType) -> tuple[str, ...]:
    """The columns of ``entity``'s parts (a well's place shares the Thing's columns)."""
    return COLUMNS["Thing" if entity.name in WELL_BASED else entity.name]


def tie_of(entity: EntityType) -> tuple[str, ...]:
    return TIE["Thing" if entity.name in WELL_BASED else entity.name]


@dataclass(frozen=True)
class Part:
    """One queryset behind an entity set, with the dimensions it fixes and how it is filtered and ordered."""

    entity: EntityType
    base: Callable[[], QuerySet[Any]]
    fields: Callable[[], Fields]
    columns: Callable[[], Fields]
    consts: Mapping[str, str] = field(default_factory=dict)
    well: str | None = None
    #: How a day is compared: "date" (a ``day`` date column) or "reading" (``observed_at`` instants); None: no day.
    day: str | None = None
    order: tuple[str, ...] = ()
    aggregated: bool = False


def _text(value: str) -> Value:
    return Value(value, output_field=CharField())


def _labels(path: str, choices: Any) -> Case:
    return Case(*[When(**{path: value}, then=_text(str(label))) for value, label in choices.choices],
                default=_text(""), output_field=CharField())


def _prefixed(prefix: str, fields: Fields) -> Fields:
    return {prefix + k: v for k, v in fields.items()}


def thing_fields(w: str) -> Fields:
    """The filterable paths of a Thing whose well is reached through the lookup prefix ``w``."""
    county = Substr(F(w + "region_id"), 1, 6)
    return {
        "id": F(w + "code"), "name": F(w + "name"),
        "description": Concat(_labels(w + "kind", WellKind), _text("（"), _labels(w + "use", WellUse), _text("）"),
                              output_field=CharField()),
        "properties/code": F(w + "code"), "properties/kind": F(w + "kind"), "properties/use": F(w + "use"),
        "properties/countyCode": county,
    }


def place_fields(w: str, entity: str) -> Fields:
    """The filterable paths of a well's Location or FeatureOfInterest."""
    return {"id": F(w + "code"), "name": F(w + "name"), "description": _text(PLACE_DESCRIPTION[entity]),
            "encodingType": _text(GEOJSON)}


def sensor_fields(key: str) -> Fields:
    s = SENSORS[key]
    return {"id": _text(s.key), "name": _text(s.name), "description": _text(s.description),
            "encodingType": _text(SENSOR_ENCODING), "metadata": _text(s.metadata)}


def property_fields(key: str) -> Fields:
    p = OBSERVED_PROPERTIES[key]
    return {"id": _text(p.key), "name": _text(p.name), "definition": _text(p.definition),
            "description": _text(p.description)}


def datastream_fields(w: str, key: str) -> Fields:
    p = OBSERVED_PROPERTIES[key]
    return {
        "id": Concat(F(w + "code"), _text(":" + key), output_field=CharField()),
        "name": Concat(F(w + "name"), _text(" " + p.name), output_field=CharField()),
        "description": _text(f"{p.name}（{p.unit_name}）"), "observationType": _text(model.OM_MEASUREMENT),
        "unitOfMeasurement/name": _text(p.unit_name), "unitOfMeasurement/symbol": _text(p.unit_symbol),
        "unitOfMeasurement/definition": _text(p.unit_definition),
        **_prefixed("Thing/", thing_fields(w)), **_prefixed("Sensor/", sensor_fields(p.sensor)),
        **_prefixed("ObservedProperty/", property_fields(key)),
    }


def _well_columns() -> Fields:
    return {"o_code": F("code"), "o_name": F("name"), "o_kind": F("kind"), "o_use": F("use"),
            "o_region": F("region_id"), "o_lat": F("latitude"), "o_lon": F("longitude")}


def _well_part(entity: str, base: Callable[[], QuerySet[Any]], fields: Callable[[], Fields]) -> Part:
    return Part(ENTITY_TYPES[entity], base, fields, _well_columns, well="code", order=("code",))


def _anchor(anchor_pk: int) -> Callable[[], QuerySet[Any]]:
    return lambda: OpenDataSetting.objects.filter(pk=anchor_pk)


def _constant_part(entity: EntityType, anchor_pk: int, dim: str, key: str, fields: Callable[[], Fields]) -> Part:
    """One constant entity (a sensor, an observed property) as a one-row part over the setting row."""
    return Part(entity, _anchor(anchor_pk), fields, lambda: {"o_key": _text(key)}, consts={dim: key})


def _usage_part(key: str, column: str) -> Part:
    p = OBSERVED_PROPERTIES[key]

    def fields() -> Fields:
        day = F("day")
        found = {"id": Concat(F("well__code"), _text(f":{key}:"), Cast("day", CharField()), output_field=CharField()),
                 "phenomenonTime": day, "resultTime": day, "result": F(column),
                 "parameters/source": F("source") if key == "water" else _text("")}
        return {**found, **_prefixed("Datastream/", datastream_fields("well__", key)),
                **_prefixed("FeatureOfInterest/", place_fields("well__", "FeatureOfInterest"))}

    def columns() -> Fields:
        return {"o_code": F("well__code"), "o_prop": _text(key), "o_day": F("day"), "o_result": F(column),
                "o_source": F("source") if key == "water" else _text("")}

    return Part(ENTITY_TYPES["Observation"],
                lambda: DailyUsage.objects.filter(**{f"{column}__isnull": False}),
                fields, columns, consts={"prop": key, "sensor": p.sensor}, well="well__code", day="date",
                order=("well_id", "day"))


def _depth_part() -> Part:
    key = "depth"
    p = OBSERVED_PROPERTIES[key]

    def base() -> QuerySet[Any]:
        return (Reading.objects.filter(depth_m__isnull=False, terminal__well__kind=WellKind.MONITORING)
                .values(o_code=F("terminal__well__code"), o_day=TruncDate("observed_at", tzinfo=SHANGHAI))
                .annotate(o_prop=_text(key), o_result=Avg("depth_m", output_field=FloatField()), o_source=_text("")))

    def fields() -> Fields:
        found = {"id": Concat(F("o_code"), _text(f":{key}:"), Cast("o_day", CharField()), output_field=CharField()),
                 "phenomenonTime": F("o_day"), "resultTime": F("o_day"), "result": F("o_result"),
                 "parameters/source": _text("")}
        return {**found, **_prefixed("Datastream/", datastream_fields("terminal__well__", key)),
                **_prefixed("FeatureOfInterest/", place_fields("terminal__well__", "FeatureOfInterest"))}

    def columns() -> Fields:
        return {name: F(name) for name in COLUMNS["Observation"]}

    return Part(ENTITY_TYPES["Observation"], base, fields, columns, consts={"prop": key, "sensor": p.sensor},
                well="terminal__well__code", day="reading", order=("o_code", "o_day"), aggregated=True)


def _datastream_part(key: str) -> Part:
    p = OBSERVED_PROPERTIES[key]
    return Part(ENTITY_TYPES["Datastream"], lambda: Well.objects.filter(kind=p.well_kind),
                lambda: datastream_fields("", key),
                lambda: {"o_code": F("code"), "o_name": F("name"), "o_prop": _text(key)},
                consts={"prop": key, "sensor": p.sensor}, well="code", order=("code",))


def parts(entity: EntityType, anchor_pk: int) -> list[Part]:
    """The parts behind ``entity``'s set, in the order their rows are listed when no ``$orderby`` is given."""
    name = entity.name
    if name == "Thing":
        return [_well_part(name, Well.objects.all, lambda: thing_fields(""))]
    if name in ("Location", "FeatureOfInterest"):
        return [_well_part(name, Well.objects.all, lambda: place_fields("", name))]
    if name == "HistoricalLocation":
        return [_well_part(name, Well.objects.none, lambda: {
            "id": F("code"), "time": Value(None, output_field=DateField()),
            **_prefixed("Thing/", thing_fields(""))})]
    if name == "Sensor":
        return [_constant_part(entity, anchor_pk, "sensor", k, partial(sensor_fields, k)) for k in SENSORS]
    if name == "ObservedProperty":
        return [_constant_part(entity, anchor_pk, "prop", k, partial(property_fields, k)) for k in OBSERVED_PROPERTIES]
    if name == "Datastream":
        return [_datastream_part(k) for k in OBSERVED_PROPERTIES]
    return [_usage_part("water", "usage_m3"), _usage_part("energy", "energy_kwh"), _depth_part()]


ALWAYS = Q(pk__isnull=False)
NEVER = Q(pk__in=[])
