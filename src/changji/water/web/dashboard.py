"""一屏看水: the dashboard with per-county use against allocation, KPIs, alarms and a live counter strip.

Use against allocation, the KPIs and their trend come from ``water.dashboard_figures`` (computed by
the minutely job, at most a few minutes old, with their time shown); alarms, quota lists and the
live counters are read on every view.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from changji.core.access import P
from changji.core.guards import route
from changji.core.localtime import local_day
from changji.core.scope import scope_queryset
from changji.water.alarms import rules
from changji.water.kpi import dashboard as figures
from changji.water.models import Alarm, Allocation, Command, CommandState, Terminal
from changji.water.web.common import OPEN_STATES, SEVERITY_LABELS, user_region


def _alarm_matrix(request: HttpRequest) -> tuple[list[str], list[dict[str, Any]]]:
    rows = (scope_queryset(Alarm.objects.filter(state__in=OPEN_STATES), request.user)
            .values("kind", "severity").annotate(n=Count("id")).order_by("kind"))
    severities = list(SEVERITY_LABELS)
    kinds: dict[str, dict[str, Any]] = {}
    for row in rows:
        rule = rules.rule_of(row["kind"])
        entry = kinds.setdefault(row["kind"], {"kind": row["kind"], "title": rule.title if rule else row["kind"],
                                               "counts": dict.fromkeys(severities, 0), "total": 0})
        entry["counts"][row["severity"]] = entry["counts"].get(row["severity"], 0) + row["n"]
        entry["total"] += row["n"]
    matrix = [{**entry, "cells": [entry["counts"].get(s, 0) for s in severities]} for entry in kinds.values()]
    return [SEVERITY_LABELS[s] for s in severities], matrix


@route(get=P.WATER_MONITOR_READ)
def dashboard(request: HttpRequest) -> HttpResponse:
    region = user_region(request)
    today = local_day(timezone.now())
    severities, alarm_matrix = _alarm_matrix(request)
    near_quota = (scope_queryset(Allocation.objects.filter(year=today.year, well__isnull=False), request.user)
                  .filter(Q(level_reached__gte=0.8) | Q(stopped_by_quota=True))
                  .select_related("well").order_by("-level_reached")[:50])
    offline = (scope_queryset(Alarm.objects.filter(kind="offline", state__in=OPEN_STATES), request.user)
               .select_related("terminal", "well").order_by("raised_at")[:50])
    heavy = figures.current(region)
    return render(request, "water/dashboard.html", {
        "region": region, "today": today, "counties": heavy.figures["counties"], "kpi": heavy.figures["kpi"],
        "trend": heavy.figures["trend"], "computed_at": heavy.computed_at,
        "severities": severities, "alarm_matrix": alarm_matrix, "near_quota": near_quota, "offline": offline,
        "live": _live_counts(request),
    })


def _live_counts(request: HttpRequest) -> dict[str, Any]:
    now = timezone.now()
    terminals = scope_queryset(Terminal.objects.all(), request.user)
    alarms = scope_queryset(Alarm.objects.filter(state__in=OPEN_STATES), request.user)
    return {
        "now": now,
        "terminals": terminals.count(),
        "reporting": terminals.filter(last_seen_at__gte=now - timedelta(minutes=15)).count(),
        "open_alarms": alarms.count(),
        "offline": alarms.filter(kind="offline").count(),
        "commands": scope_queryset(Command.objects.filter(state__in=(CommandState.QUEUED, CommandState.SENT)),
                                   request.user).count(),
    }


@route(get=P.WATER_MONITOR_READ)
def dashboard_live(request: HttpRequest) -> HttpResponse:
    """The counter strip, re-fetched by htmx every 30 s."""
    return render(request, "water/partials/live.html", {"live": _live_counts(request)})
