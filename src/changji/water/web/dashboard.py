"""一屏看水: the dashboard with per-county use against allocation, KPIs, alarms and a live counter strip."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from changji.core.models import Region
from changji.core.scope import scope_queryset

from .. import monthly, rules
from ..models import Alarm, Allocation, Command, CommandState, DailyUsage, Terminal, TerminalDay
from ..performance import kpi_figures
from ..quotas import quota_overview
from ..stats import local_day
from .common import OPEN_STATES, SEVERITY_LABELS, county_code, user_region


def _by_county(region: Region, first: date, last: date) -> dict[str, dict[str, float]]:
    """usage_m3 and energy_kwh of days first..last per county code (monthly rollups where possible)."""
    sums = monthly.sums(first, last, region.path, by="well__region_id")
    paths = dict(Region.objects.filter(code__in=list(sums)).values_list("code", "path"))
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"usage_m3": 0.0, "energy_kwh": 0.0})
    for code, figures in sums.items():
        county = out[county_code(paths.get(str(code), f"{code}/"))]
        county["usage_m3"] += figures.get("usage_m3") or 0.0
        county["energy_kwh"] += figures.get("energy_kwh") or 0.0
    return out


def _county_rows(request: HttpRequest, region: Region, today: date) -> list[dict[str, Any]]:
    periods = {
        "day": _by_county(region, today, today),
        "month": _by_county(region, today.replace(day=1), today),
        "year": _by_county(region, today.replace(month=1, day=1), today),
    }
    kwh = defaultdict(float)
    allocations = scope_queryset(Allocation.objects.filter(year=today.year, allocation_kwh__isnull=False),
                                 request.user).values_list("scope_region__path", "allocation_kwh")
    for path, amount in allocations:
        kwh[county_code(path)] += amount or 0.0
    rows = []
    for quota in quota_overview(today.year, today, region):
        code = quota["region"]
        rows.append({
            **quota, "day": periods["day"].get(code, {}), "month": periods["month"].get(code, {}),
            "year_figures": periods["year"].get(code, {}), "allocation_kwh": kwh.get(code),
            "share_pct": None if quota["share"] is None else round(quota["share"] * 100, 1),
        })
    return rows


def _trend(request: HttpRequest, today: date) -> dict[str, list[Any]]:
    """The last 30 days: 数据上线率, 设备完好率 and water use per day (two grouped queries)."""
    first = today - timedelta(days=29)
    days = [first + timedelta(days=n) for n in range(30)]
    kpis = {row["day"]: row for row in scope_queryset(TerminalDay.objects.filter(day__range=(first, today)),
                                                      request.user)
            .values("day").annotate(n=Count("id"), online=Count("id", filter=Q(received_reports__gt=0)),
                                    intact=Count("id", filter=Q(faulty=False)))}
    usage = dict(scope_queryset(DailyUsage.objects.filter(day__range=(first, today)), request.user)
                 .values("day").annotate(total=Sum("usage_m3")).values_list("day", "total"))

    def rate(day: date, key: str) -> float | None:
        row = kpis.get(day)
        return round(row[key] / row["n"] * 100, 1) if row and row["n"] else None

    return {
        "days": [day.isoformat() for day in days],
        "online": [rate(day, "online") for day in days],
        "intact": [rate(day, "intact") for day in days],
        "usage": [round(usage[day], 1) if usage.get(day) is not None else None for day in days],
    }


def _alarm_matrix(request: HttpRequest) -> tuple[list[str], list[dict[str, Any]]]:
    rows = (scope_queryset(Alarm.objects.filter(state__in=OPEN_STATES), request.user)
            .values("kind", "severity").annotate(n=Count("id")).order_by("kind"))
    severities = list(SEVERITY_LABELS)
    kinds: dict[str, dict[str, Any]] = {}
    for row in rows:
        rule = rules.RULES.get(row["kind"])
        entry = kinds.setdefault(row["kind"], {"kind": row["kind"], "title": rule.title if rule else row["kind"],
                                               "counts": dict.fromkeys(severities, 0), "total": 0})
        entry["counts"][row["severity"]] = entry["counts"].get(row["severity"], 0) + row["n"]
        entry["total"] += row["n"]
    matrix = [{**entry, "cells": [entry["counts"].get(s, 0) for s in severities]} for entry in kinds.values()]
    return [SEVERITY_LABELS[s] for s in severities], matrix


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    region = user_region(request)
    today = local_day(timezone.now())
    severities, alarm_matrix = _alarm_matrix(request)
    near_quota = (scope_queryset(Allocation.objects.filter(year=today.year, well__isnull=False), request.user)
                  .filter(Q(level_reached__gte=0.8) | Q(stopped_by_quota=True))
                  .select_related("well").order_by("-level_reached")[:50])
    offline = (scope_queryset(Alarm.objects.filter(kind="offline", state__in=OPEN_STATES), request.user)
               .select_related("terminal", "well").order_by("raised_at")[:50])
    return render(request, "water/dashboard.html", {
        "region": region, "today": today, "counties": _county_rows(request, region, today),
        "kpi": kpi_figures(region, today - timedelta(days=29), today), "trend": _trend(request, today),
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


@login_required
def dashboard_live(request: HttpRequest) -> HttpResponse:
    """The counter strip, re-fetched by htmx every 30 s."""
    return render(request, "water/partials/live.html", {"live": _live_counts(request)})
