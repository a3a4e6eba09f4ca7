"""Reading one page of an entity set, a navigation target or an expansion, over the set's parts.

Without ``$orderby`` the parts are read one after another, each in an order its indexes serve (a Datastream's
Observations by the unique (well, day) index of ``DailyUsage``), so ``$top`` reads ``$top`` rows whatever the
size of the set, and a part's rows are counted only when ``$skip`` passes beyond it. With ``$orderby`` over
more than one part, the parts are one ``UNION ALL`` ordered by the requested keys and the id. Either way one
row more than ``$top`` is read: when it exists, there is a next page (``@iot.nextLink``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet, Value

from changji.water.sharing.sensorthings import filters, intervals
from changji.water.sharing.sensorthings.model import EntityType, Restriction
from changji.water.sharing.sensorthings.options import Options
from changji.water.sharing.sensorthings.sources import Part, columns_of, parts, tie_of


@dataclass(frozen=True)
class Page:
    """The rows of one page, whether more follow, and the count of all when it was asked for."""

    rows: list[dict[str, Any]]
    more: bool
    count: int | None = None


def _restricted(part: Part, found: Restriction) -> QuerySet[Any] | None:
    """The part's rows within ``found``, or None when the part cannot hold any (another property, sensor)."""
    qs = part.base()
    for dim, value in found.items():
        if dim in part.consts:
            if part.consts[dim] != value:
                return None
        elif dim == "well" and part.well:
            qs = qs.filter(**{part.well: value})
        elif dim == "day" and part.day:
            qs = qs.filter(filters.PartFilter(part).day_q(intervals.DayCondition("eq", date.fromisoformat(value))))
    return qs


def prepared(entity: EntityType, found: Restriction, options: Options, anchor: int) -> list[tuple[Part, Any]]:
    """Each part that may hold rows, restricted and filtered, selecting its columns and ``$orderby`` keys."""
    tree = filters.parse(options.filter) if options.filter else None
    out = []
    for part in parts(entity, anchor):
        qs = _restricted(part, found)
        if qs is None:
            continue
        if tree is not None:
            qs = qs.filter(filters.q_for(part, tree))
        keys = {f"o_k{i}": filters.expression_for(part, k.path) for i, k in enumerate(options.orderby)}
        if part.aggregated:
            qs = qs.annotate(**keys).values(*columns_of(entity), *keys) if keys else qs.values(*columns_of(entity))
        else:
            qs = qs.values(**part.columns(), **keys)
        out.append((part, qs))
    return out


def _ordering(options: Options, constants: set[str]) -> list[Any]:
    found = []
    for i, key in enumerate(options.orderby):
        name = f"o_k{i}"
        if name not in constants:
            found.append("-" + name if key.descending else name)
    return found


def read(entity: EntityType, found: Restriction, options: Options, anchor: int) -> Page:
    """One page of ``entity`` within ``found`` under ``options``."""
    chosen = prepared(entity, found, options, anchor)
    count = sum(qs.count() for _, qs in chosen) if options.count else None
    need = options.top + 1
    if options.orderby and len(chosen) > 1:
        ordered = [qs.order_by() for _, qs in chosen]
        union = ordered[0].union(*ordered[1:], all=True).order_by(
            *_ordering(options, set()), *tie_of(entity))
        rows = list(union[options.skip:options.skip + need]) if need > 0 else []
    else:
        rows = _concatenated(chosen, options, need)
    return Page(rows[:options.top], 0 < options.top < len(rows), count)


def _concatenated(chosen: list[tuple[Part, Any]], options: Options, need: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    skip = options.skip
    for part, qs in chosen:
        if need <= 0:
            break
        constants = {f"o_k{i}" for i, k in enumerate(options.orderby)
                     if isinstance(filters.expression_for(part, k.path), Value)}
        ordered = qs.order_by(*_ordering(options, constants), *part.order)
        got = list(ordered[skip:skip + need])
        if not got and skip:
            skip = max(0, skip - ordered.count())
            continue
        skip = 0
        rows.extend(got)
        need -= len(got)
    return rows


def read_by_well(entity: EntityType, wells: list[str], options: Options, anchor: int) -> dict[str, list[Any]]:
    """The rows of ``entity`` for each of ``wells`` in one query per part (an ``$expand`` of a page's links).

    For targets with a handful of rows per well (its place, its Datastreams), read with the options' filter and
    order but without ``$top``/``$skip``; the caller pages within each well.
    """
    grouped: dict[str, list[Any]] = {well: [] for well in wells}
    for part, qs in prepared(entity, {}, options, anchor):
        if part.well is None:
            continue
        constants = {f"o_k{i}" for i, k in enumerate(options.orderby)
                     if isinstance(filters.expression_for(part, k.path), Value)}
        for row in qs.filter(**{part.well + "__in": wells}).order_by(*_ordering(options, constants), *part.order):
            grouped[row["o_code"]].append(row)
    return grouped


def exists(entity: EntityType, found: Restriction, anchor: int) -> bool:
    """Whether the entity ``found`` pins down exists."""
    return bool(read(entity, found, Options(top=1), anchor).rows)
