"""The ``usage`` stream: daily usage per well (DailyUsage) and the monthly rollups of closed months (MonthlyUsage).

Keys ``day:<well code>|<YYYY-MM-DD>`` and ``month:<well code>|<YYYY-MM>`` (local days and months). The payload is
the row's figures under the model's field names, so the upstream's dashboard, quota, KPI (数据准确率 compares
``water_m3`` with ``estimated_water_m3``) and report pages sum the same numbers. The derivation writes its rows
in bulk, which sends no signals, so it calls the ``record_*`` functions here itself: the live path one
``record_many`` per derived terminal, a rebuild one per chunk of wells (only the rows that differ from before).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.db import transaction

from changji.water.models import DailyUsage, MonthlyUsage, Well
from changji.water.sharing import capture, wire
from changji.water.sharing.outbox import Change, record_many
from changji.water.sharing.streams import ApplyResult, Row, Stream, register

STREAM = "usage"
DAY_FIELDS = ("water_m3", "energy_kwh", "water_sum_m3", "energy_sum_kwh", "last_volume_m3", "last_energy_kwh",
              "water_reason", "energy_reason", "spread", "coefficient_m3_per_kwh", "estimated_water_m3", "usage_m3",
              "source")
MONTH_FIELDS = ("usage_m3", "water_m3", "estimated_water_m3", "energy_kwh", "estimated_days", "agreement_judged",
                "agreement_ok")

WellKey = tuple[str, str]  #: a well's (code, region code)


def day_key(well_code: str, day: date) -> str:
    return "day:" + wire.compound(well_code, day.isoformat())


def month_key(well_code: str, month: date) -> str:
    return "month:" + wire.compound(well_code, f"{month:%Y-%m}")


def day_payload(values: Mapping[str, Any], well_code: str, day: date) -> dict[str, Any]:
    """The payload of a day row from its field values (a model's ``__dict__`` or a ``values()`` row)."""
    return {"well_code": well_code, "day": day.isoformat(), **{name: values[name] for name in DAY_FIELDS},
            "last_observed_at": wire.instant(values["last_observed_at"]), "changed_at": capture.stamp()}


def month_payload(values: Mapping[str, Any], well_code: str, month: date) -> dict[str, Any]:
    return {"well_code": well_code, "month": f"{month:%Y-%m}", **{name: values[name] for name in MONTH_FIELDS},
            "changed_at": capture.stamp()}


def well_keys(well_ids: Iterable[int]) -> dict[int, WellKey]:
    """Code and region code of each well, in one query."""
    return {pk: (code, region) for pk, code, region in
            Well.objects.filter(pk__in=list(set(well_ids))).values_list("pk", "code", "region_id")}


def day_changes(rows: Iterable[DailyUsage], wells: Mapping[int, WellKey]) -> list[Change]:
    """Changes for saved day rows (``wells`` maps their well ids to code and region)."""
    out = []
    for row in rows:
        code, region = wells[row.well_id]
        out.append(Change(STREAM, day_key(code, row.day), region, day_payload(row.__dict__, code, row.day)))
    return out


def record_days(rows: Sequence[DailyUsage], well: Well) -> int:
    """Record one well's saved day rows (the live path: one statement)."""
    return record_many(day_changes(rows, {well.pk: (well.code, well.region_id)}))


def snapshot_days(well_ids: Sequence[int], first: date | None = None, last: date | None = None
                  ) -> dict[str, dict[str, Any]]:
    """The stored day rows of ``well_ids`` (from ``first`` to ``last``) as payloads by key, for a diff."""
    wells = well_keys(well_ids)
    rows = DailyUsage.objects.filter(well_id__in=list(well_ids))
    if first is not None:
        rows = rows.filter(day__gte=first)
    if last is not None:
        rows = rows.filter(day__lte=last)
    out = {}
    for values in rows.values("well_id", "day", "last_observed_at", *DAY_FIELDS).iterator(chunk_size=5000):
        code = wells[values["well_id"]][0]
        out[day_key(code, values["day"])] = day_payload(values, code, values["day"])
    return out


def record_day_diff(before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]],
                    well_ids: Sequence[int]) -> int:
    """Record the day rows that differ between two snapshots, and removals; one statement."""
    regions = {code: region for code, region in well_keys(well_ids).values()}
    differing, gone = wire.changed(before, after)
    changes = [Change(STREAM, key, regions[after[key]["well_code"]], after[key]) for key in differing]
    changes += [Change(STREAM, key, regions[before[key]["well_code"]], {"changed_at": capture.stamp()}, deleted=True)
                for key in gone]
    return record_many(changes)


def record_month_diff(before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]],
                      wells: Mapping[int, WellKey]) -> int:
    regions = {code: region for code, region in wells.values()}
    differing, gone = wire.changed(before, after)
    changes = [Change(STREAM, key, regions[after[key]["well_code"]], after[key]) for key in differing]
    changes += [Change(STREAM, key, regions[before[key]["well_code"]], {"changed_at": capture.stamp()}, deleted=True)
                for key in gone if before[key]["well_code"] in regions]
    return record_many(changes)


def snapshot_months(month: date, wells: Mapping[int, WellKey], well_ids: Sequence[int] | None
                    ) -> dict[str, dict[str, Any]]:
    """The month's stored rollups (of ``well_ids``, None: all) as payloads by key."""
    rows = MonthlyUsage.objects.filter(month=month)
    if well_ids is not None:
        rows = rows.filter(well_id__in=list(well_ids))
    out = {}
    for values in rows.values("well_id", *MONTH_FIELDS):
        if values["well_id"] in wells:
            code = wells[values["well_id"]][0]
            out[month_key(code, month)] = month_payload(values, code, month)
    return out


def _parse(row: Row) -> tuple[str, str, str]:
    """(kind, well code, day or month) of a usage key; ValueError when malformed."""
    kind, sep, rest = row.key.partition(":")
    if not sep or kind not in ("day", "month"):
        raise ValueError(row.key)
    code, when = wire.split(rest, 2)
    return kind, code, when


def _refuse_wells(codes: Iterable[str], source: str, result: ApplyResult) -> dict[str, int]:
    """Ids of the wells the sender reported; the others are refused (once per key, by the caller)."""
    found = {code: (pk, by) for code, pk, by in
             Well.objects.filter(code__in=set(codes)).values_list("code", "pk", "reported_by")}
    return {code: pk for code, (pk, by) in found.items() if by == source}


def apply(rows: Sequence[Row], source: str) -> ApplyResult:
    """Upsert day and month rows of wells the sender reported; refuse the rest with a reason each."""
    result = ApplyResult()
    parsed: list[tuple[Row, str, str, str]] = []
    for row in wire.latest_per_key(rows):
        try:
            parsed.append((row, *_parse(row)))
        except ValueError:
            result.refused.append((row.key, "用水量记录的键格式错误"))
    wells = _refuse_wells((code for _, _, code, _ in parsed), source, result)
    days: dict[int, dict[date, Row]] = defaultdict(dict)
    months: dict[int, dict[date, Row]] = defaultdict(dict)
    for row, kind, code, when in parsed:
        if code not in wells:
            result.refused.append((row.key, f"未知机井 {code}，或该机井不是该下级平台上报的，请先上报机井档案"))
            continue
        target = days if kind == "day" else months
        target[wells[code]][date.fromisoformat(when if kind == "day" else f"{when}-01")] = row
    try:
        with transaction.atomic():
            applied = _write(days, months)
    except (KeyError, ValueError, TypeError) as error:
        result.refused += [(row.key, f"内容不完整或格式错误：{error}") for row, *_ in parsed if row.payload]
        return result
    result.applied = applied
    record_many(Change(STREAM, row.key, row.region_code, dict(row.payload), row.deleted)
                for row, _, code, _ in parsed if code in wells)
    return result


def _write(days: Mapping[int, Mapping[date, Row]], months: Mapping[int, Mapping[date, Row]]) -> int:
    """Upsert the rows present (one statement per 1,000 rows) and delete the keys sent as removed."""
    new_days = [DailyUsage(well_id=well_id, day=on, last_observed_at=wire.parse_instant(row.payload.get(
                    "last_observed_at")), **{name: row.payload[name] for name in DAY_FIELDS})
                for well_id, by_day in days.items() for on, row in by_day.items() if not row.deleted]
    new_months = [MonthlyUsage(well_id=well_id, month=on, **{name: row.payload[name] for name in MONTH_FIELDS})
                  for well_id, by_month in months.items() for on, row in by_month.items() if not row.deleted]
    for well_id, by_day in days.items():
        if gone := [on for on, row in by_day.items() if row.deleted]:
            DailyUsage.objects.filter(well_id=well_id, day__in=gone).delete()
    for well_id, by_month in months.items():
        if gone := [on for on, row in by_month.items() if row.deleted]:
            MonthlyUsage.objects.filter(well_id=well_id, month__in=gone).delete()
    DailyUsage.objects.bulk_create(new_days, batch_size=1000, update_conflicts=True, unique_fields=["well", "day"],
                                   update_fields=[*DAY_FIELDS, "last_observed_at"])
    MonthlyUsage.objects.bulk_create(new_months, batch_size=1000, update_conflicts=True,
                                     unique_fields=["well", "month"], update_fields=list(MONTH_FIELDS))
    return sum(len(by_day) for by_day in days.values()) + sum(len(by_month) for by_month in months.values())


STREAM_DEF = Stream(STREAM, "日用水量与月汇总", apply, order=20)


def register_stream() -> Stream:
    return register(STREAM_DEF)
