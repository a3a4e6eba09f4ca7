"""The SensorThings API v1.1 endpoint at ``/sta/v1.1/`` (read-only): the service root, resource paths, options.

Public (``declare_public``): open data of daily aggregates, no personal data, anyone may read it, as the
bureau publishes it — unless the bureau has switched it off (``switch``), when every path answers 403 with a
JSON message. Only GET and HEAD; anything else is 405. A refusal is a JSON error with 400 or 404
(``errors.StaError``), never a 500: a filter the database cannot run is a 400 too.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import FieldError
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from changji.core.guards import declare_public
from changji.core.models import Region, RegionLevel
from changji.water.sharing.sensorthings import query, render
from changji.water.sharing.sensorthings.errors import BAD_REQUEST, FORBIDDEN, NOT_FOUND, StaError
from changji.water.sharing.sensorthings.model import (
    BY_SET,
    ENTITY_TYPES,
    EntityType,
    Nav,
    Restriction,
    parse_id,
    passed,
)
from changji.water.sharing.sensorthings.options import (
    Expand,
    Options,
    Segment,
    parse_options,
    parse_path,
    to_params,
)
from changji.water.sharing.sensorthings.switch import setting

log = logging.getLogger("changji.water.sensorthings")

ROOT = "/sta/v1.1"
#: The conformance classes claimed (OGC 18-088 Annex A), listed in the root's ``serverSettings``.
CONFORMANCE = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
)
CLOSED = "开放数据接口已由管理部门关闭（the open-data interface is switched off by the water bureau）"


def _json(data: Any, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


class Request:
    """One request's context: its base URL, the anchor row of the constant sets, the county names."""

    def __init__(self, request: HttpRequest, anchor: int) -> None:
        self.http = request
        self.base = request.build_absolute_uri(ROOT)
        self.anchor = anchor
        self._counties: dict[str, str] | None = None

    @property
    def counties(self) -> dict[str, str]:
        if self._counties is None:
            self._counties = dict(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", "name"))
        return self._counties

    def entities(self, entity: EntityType, found: Restriction, options: Options, link: str) -> dict[str, Any]:
        """A collection page with its expansions and next link."""
        render.check_select(entity, options.select)
        page = query.read(entity, found, options, self.anchor)
        values = self.rendered(entity, page.rows, options)
        following = self.next_link(link, options) if page.more else None
        return render.collection(values, page.count, following)

    def entity(self, entity: EntityType, row: dict[str, Any], options: Options) -> dict[str, Any]:
        return self.rendered(entity, [row], options)[0]

    def rendered(self, entity: EntityType, rows: list[dict[str, Any]], options: Options) -> list[dict[str, Any]]:
        """The entities of ``rows`` with their expansions.

        A link that passes on only the well (a Thing's Locations or Datastreams, a Datastream's Thing) is read
        for the whole page in one query per part and paged per entity here; other links are read per entity.
        """
        outs = [render.entity_json(entity, row, self.base, options.select, self.counties) for row in rows]
        for item in options.expand:
            nav = entity.nav(item.nav)
            if nav is None:
                raise StaError(BAD_REQUEST, f"$expand: {entity.name} has no navigation property '{item.nav[:40]}'")
            if nav.passes == ("well",) and nav.target != "Observation" and rows:
                self.expand_by_well(entity, rows, outs, nav, item)
            else:
                for row, out in zip(rows, outs, strict=True):
                    self.expand(entity, row, nav, item, out)
        return outs

    def expand_by_well(self, entity: EntityType, rows: list[dict[str, Any]], outs: list[dict[str, Any]], nav: Nav,
                       item: Expand) -> None:
        target, options = ENTITY_TYPES[nav.target], item.options
        render.check_select(target, options.select)
        grouped = query.read_by_well(target, sorted({row["o_code"] for row in rows}), options, self.anchor)
        pages = [grouped[row["o_code"]][options.skip:options.skip + options.top] if nav.many
                 else grouped[row["o_code"]][:1] for row in rows]
        children = iter(self.rendered(target, [child for page in pages for child in page], options))
        for row, out, page in zip(rows, outs, pages, strict=True):
            values = [next(children) for _ in page]
            if not nav.many:
                if values:
                    out[nav.name] = values[0]
                continue
            out[nav.name] = values
            total = len(grouped[row["o_code"]])
            if options.count:
                out[f"{nav.name}@iot.count"] = total
            if 0 < options.top and options.skip + options.top < total:
                link = f"{render.self_link(self.base, entity, render.identity(entity, row))}/{nav.name}"
                out[f"{nav.name}@iot.nextLink"] = self.next_link(link, options)

    def expand(self, entity: EntityType, row: dict[str, Any], nav: Nav, item: Expand, out: dict[str, Any]) -> None:
        target = ENTITY_TYPES[nav.target]
        found = passed(nav, render.identity(entity, row))
        link = f"{render.self_link(self.base, entity, render.identity(entity, row))}/{nav.name}"
        if nav.many:
            listed = self.entities(target, found, item.options, link)
            out[nav.name] = listed["value"]
            if "@iot.count" in listed:
                out[f"{nav.name}@iot.count"] = listed["@iot.count"]
            if "@iot.nextLink" in listed:
                out[f"{nav.name}@iot.nextLink"] = listed["@iot.nextLink"]
            return
        render.check_select(target, item.options.select)
        page = query.read(target, found, Options(top=1), self.anchor)
        if page.rows:
            out[nav.name] = self.entity(target, page.rows[0], item.options)

    def next_link(self, link: str, options: Options) -> str:
        params = {**to_params(options), "$top": str(options.top), "$skip": str(options.skip + options.top)}
        return f"{link}?{urlencode(params)}"

    def current_link(self) -> str:
        return self.http.build_absolute_uri(self.http.path).rstrip("/")


def _root(ctx: Request) -> dict[str, Any]:
    return {"value": [{"name": name, "url": f"{ctx.base}/{name}"} for name in BY_SET],
            "serverSettings": {"conformance": list(CONFORMANCE)}}


def _merge(entity: EntityType, found: Restriction, key: str) -> Restriction:
    own = parse_id(entity, key)
    if any(found.get(k, v) != v for k, v in own.items()):
        raise StaError(NOT_FOUND, f"no {entity.name} with id '{key[:64]}' here")
    return {**found, **own}


def _must_exist(ctx: Request, entity: EntityType, found: Restriction, key: str) -> None:
    if not query.exists(entity, found, ctx.anchor):
        raise StaError(NOT_FOUND, f"no {entity.name} with id '{key[:64]}'")


def _walk(ctx: Request, segments: list[Segment]) -> tuple[EntityType, Restriction, bool, list[Segment]]:
    """Follow the entity set, ids and links of a path; return where it leads, whether to one entity, the rest."""
    first = segments[0]
    entity = BY_SET.get(first.name)
    if entity is None:
        raise StaError(NOT_FOUND, f"no entity set '{first.name[:40]}'")
    found: Restriction = {}
    single = first.key is not None
    if single:
        found = _merge(entity, found, first.key or "")
        _must_exist(ctx, entity, found, first.key or "")
    rest = segments[1:]
    while rest and single:
        nav = entity.nav(rest[0].name)
        if nav is None:
            break
        found = passed(nav, found)
        entity = ENTITY_TYPES[nav.target]
        key = rest[0].key
        if key is not None and not nav.many:
            raise StaError(BAD_REQUEST, f"{nav.name} leads to one entity: no id is taken")
        single = not nav.many or key is not None
        if key is not None:
            found = _merge(entity, found, key)
        if single:
            if not query.exists(entity, found, ctx.anchor):
                raise StaError(NOT_FOUND, f"no {entity.name} at {nav.name}")
        rest = rest[1:]
    return entity, found, single, rest


def _answer(ctx: Request, path: str) -> HttpResponse:
    segments = parse_path(path)
    options = parse_options({k: ctx.http.GET[k] for k in ctx.http.GET})
    if not segments:
        return _json(_root(ctx))
    entity, found, single, rest = _walk(ctx, segments)
    link = ctx.current_link()
    if rest and rest[0].name == "$ref" and len(rest) == 1:
        return _json(_refs(ctx, entity, found, single, options, link))
    if not single:
        if rest:
            raise StaError(NOT_FOUND, f"no such resource: {rest[0].name[:40]}")
        return _json(ctx.entities(entity, found, options, link))
    render.check_select(entity, options.select)
    row = query.read(entity, found, Options(top=1), ctx.anchor).rows[0]
    if not rest:
        return _json(ctx.entity(entity, row, options))
    return _property(ctx, entity, row, rest)


def _refs(ctx: Request, entity: EntityType, found: Restriction, single: bool, options: Options,
          link: str) -> dict[str, Any]:
    if single:
        return {"@iot.selfLink": render.self_link(ctx.base, entity, found)}
    page = query.read(entity, found, options, ctx.anchor)
    values = [{"@iot.selfLink": render.self_link(ctx.base, entity, render.identity(entity, row))}
              for row in page.rows]
    return render.collection(values, page.count, ctx.next_link(link, options) if page.more else None)


def _property(ctx: Request, entity: EntityType, row: dict[str, Any], rest: list[Segment]) -> HttpResponse:
    name = rest[0].name
    if name not in entity.properties or rest[0].key is not None or len(rest) > 2 or (
            len(rest) == 2 and rest[1].name != "$value"):
        raise StaError(NOT_FOUND, f"{entity.name} has no property or link '{name[:40]}' here")
    value = render.properties(entity, row, ctx.counties).get(name)
    if value is None:
        return HttpResponse(status=204)
    if len(rest) == 2:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    return _json({name: value})


@csrf_exempt  # read-only open data: no session, no form
def service(request: HttpRequest, path: str = "") -> HttpResponse:
    """Every path under ``/sta/v1.1/``."""
    if request.method not in ("GET", "HEAD"):
        response = _json(StaError(405, f"method {request.method} not allowed: this service is read-only").body(),
                         status=405)
        response["Allow"] = "GET, HEAD"
        return response
    try:
        current = setting()
        if not current.enabled:
            raise StaError(FORBIDDEN, CLOSED)
        # One transaction per request: the count and the page read one snapshot, and a query the database
        # refuses rolls back to here (PostgreSQL would refuse every later query of an aborted transaction).
        with transaction.atomic():
            return _answer(Request(request, current.pk), path)
    except StaError as error:
        if error.status >= 500:
            raise
        log.info("sta refused %s: %d %s", request.get_full_path()[:200], error.status, error.message)
        return _json(error.body(), status=error.status)
    except (DatabaseError, FieldError, OverflowError) as error:  # a filter the database cannot evaluate
        log.warning("sta query failed %s: %s", request.get_full_path()[:200], error)
        return _json(StaError(BAD_REQUEST, f"the query cannot be evaluated ({type(error).__name__})").body(),
                     status=BAD_REQUEST)


sta_service = declare_public(service, ("GET",))
