"""The water app's JSON API (``/api/water/``): wells, terminals, readings, usage, quotas, alarms, commands, KPIs."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["water"])
