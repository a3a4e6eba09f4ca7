"""The stories of the demo history's wells: meter replacements, a rollover, silences and incident bursts.

Pure: ``sim/incidents.py`` chooses them, ``sim/history.py`` writes the readings they shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from changji.water.sim import pumping
from changji.water.sim.fleet import FleetWell

__pure__ = True  # no Django: tests/test_architecture.py checks it

RECEIVE_DELAY = timedelta(seconds=20)
CLOCK_AHEAD = timedelta(minutes=15)
#: Extraction wells given a story, by role, in fleet order (see :func:`roles_of`).
REGISTER_ROLES = ("replacement", "replacement", "rollover", "gap", "gap")


@dataclass
class Burst:
    """Extra readings of one well around an incident (5-minute reports), and what they leave behind.

    ``readings`` are (instant, field overrides) with register rises counted from the well's register
    just before the burst; ``after`` is the (volume m³, energy kWh) the registers keep from then on.
    """

    kind: str
    day: date
    readings: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    after: tuple[float, float] = (0.0, 0.0)


@dataclass
class WellStory:
    """What happens to one well besides its pumping: a replacement, a rollover, a gap, incidents."""

    role: str = ""
    bursts: list[Burst] = field(default_factory=list)
    silent: tuple[datetime, datetime] | None = None
    replaced_at: datetime | None = None
    old_final_m3: float | None = None
    decline: tuple[date, date] | None = None


def roles_of(fleet: Sequence[FleetWell]) -> dict[str, str]:
    """The register stories of the first extraction wells that are not over plan: code → role."""
    candidates = [w for w in fleet if w.kind == "extraction" and not pumping.over_plan(w)]
    return {well.code: role for well, role in zip(candidates, REGISTER_ROLES, strict=False)}


def started_at(day: date) -> datetime:
    """The UTC instant local ``day`` (Asia/Shanghai) starts."""
    return pumping.local_instant(day, 0)
