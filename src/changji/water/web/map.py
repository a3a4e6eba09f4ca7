"""一图懂水: every well in scope on one map, with its state computed in a few grouped queries."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from changji.core.access import P
from changji.core.guards import route
from changji.core.localtime import local_day
from changji.core.scope import scope_queryset
from changji.water.alarms.workflow import ACTIVE_STATES
from changji.water.models import Alarm, Allocation, DailyUsage, Terminal, Well, WellUse
from changji.water.web.common import counties, county_code

STATES = ("pumping", "idle", "offline", "alarm", "over_quota")
STATE_LABELS = {"pumping": "抽水中", "idle": "停泵", "offline": "离线", "alarm": "告警", "over_quota": "超指标"}
#: A terminal silent for longer than this counts as offline even before the offline alarm is raised.
SILENT_AFTER = timedelta(hours=1)


@route(get=P.WATER_MONITOR_READ)
def map_page(request: HttpRequest) -> HttpResponse:
    return render(request, "water/map.html", {
        "counties": counties(request), "states": [(s, STATE_LABELS[s]) for s in STATES], "uses": WellUse.choices,
    })


def _well_states(request: HttpRequest) -> dict[int, str]:
    """State per well id, by priority over_quota > offline > alarm > pumping; wells absent are idle."""
    user, now = request.user, timezone.now()
    today = local_day(now)
    open_alarms = scope_queryset(Alarm.objects.filter(state__in=ACTIVE_STATES), user)
    alarmed = set(open_alarms.exclude(kind="offline").values_list("terminal__well_id", flat=True))
    offline = set(open_alarms.filter(kind="offline").values_list("terminal__well_id", flat=True))
    seen = scope_queryset(Terminal.objects.filter(well__isnull=False), user).values("well_id").annotate(
        last=Max("last_seen_at"))
    offline |= {row["well_id"] for row in seen if row["last"] is None or row["last"] < now - SILENT_AFTER}
    pumping = set(scope_queryset(DailyUsage.objects.filter(day=today, usage_m3__gt=0), user)
                  .values_list("well_id", flat=True))
    over = set(scope_queryset(Allocation.objects.filter(year=today.year, well__isnull=False), user)
               .filter(Q(level_reached__gte=1.0) | Q(stopped_by_quota=True)).values_list("well_id", flat=True))
    states: dict[int, str] = {}
    for state, ids in (("pumping", pumping), ("alarm", alarmed), ("offline", offline), ("over_quota", over)):
        for well_id in ids:
            if well_id is not None:
                states[well_id] = state
    return states


@route(get=P.WATER_MONITOR_READ)
def map_data(request: HttpRequest) -> JsonResponse:
    """Compact arrays: wells are [id, lat, lon, state, county, use, monitoring, code] with indexes into the lists."""
    states = _well_states(request)
    state_index = {state: n for n, state in enumerate(STATES)}
    use_values = [value for value, _ in WellUse.choices]
    use_index = {value: n for n, value in enumerate(use_values)}
    county_list = counties(request)
    county_index = {county.code: n for n, county in enumerate(county_list)}
    wells = []
    rows = scope_queryset(Well.objects.all(), request.user).order_by("id").values_list(
        "id", "latitude", "longitude", "region__path", "use", "kind", "code")
    for well_id, lat, lon, path, use, kind, code in rows.iterator(chunk_size=5000):
        wells.append([well_id, lat, lon, state_index[states.get(well_id, "idle")],
                      county_index.get(county_code(path), -1), use_index.get(use, -1), int(kind == "monitoring"),
                      code])
    return JsonResponse({
        "states": list(STATES), "state_labels": [STATE_LABELS[s] for s in STATES],
        "counties": [[c.code, c.name] for c in county_list], "uses": use_values,
        "use_labels": [str(label) for _, label in WellUse.choices], "wells": wells,
    })
