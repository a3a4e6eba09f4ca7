"""The canonical reading: one observation of one terminal in the platform's units.

Both protocol families decode into their own frame types; ``Reading`` is the common shape that the
gateway stores and the rules read. Units live in the field names (docs/architecture.md, "Units in field names"):

* ``flow_m3h``   instantaneous flow, m³/h (SL651 Q is m³/s and is converted; SZY206 flow carries a
  unit in its fifth byte)
* ``volume_m3``  cumulative volume register (累计水量), m³
* ``energy_kwh`` cumulative electric-energy register (电量), kWh
* ``level_m``    water level (水位), m
* ``depth_m``    groundwater depth below ground (地下水埋深), m
* ``battery_v``  supply / battery voltage (电源电压), V
* ``pump_on``, ``door_open``, ``ac_power_lost``  from the status and alarm words

A field is ``None`` when the frame did not carry it (or carried the protocol's "no data" marker).
``native`` keeps the protocol's own values (SL651 identifiers, SZY206 parameter names) so nothing
the terminal said is thrown away.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it

CANONICAL_FIELDS: tuple[str, ...] = (
    "flow_m3h",
    "volume_m3",
    "energy_kwh",
    "level_m",
    "depth_m",
    "battery_v",
    "pump_on",
    "door_open",
    "ac_power_lost",
)


@dataclass(frozen=True, slots=True)
class Reading:
    """One terminal's observation at ``observed_at`` (timezone-aware), in platform units."""

    protocol: str
    station: str
    observed_at: datetime | None
    flow_m3h: float | None = None
    volume_m3: float | None = None
    energy_kwh: float | None = None
    level_m: float | None = None
    depth_m: float | None = None
    battery_v: float | None = None
    pump_on: bool | None = None
    door_open: bool | None = None
    ac_power_lost: bool | None = None
    native: dict[str, Any] = field(default_factory=dict)

    def canonical(self) -> dict[str, Any]:
        """Return the canonical fields only, without the protocol-native values."""
        return {name: getattr(self, name) for name in CANONICAL_FIELDS}

    def as_dict(self) -> dict[str, Any]:
        """Return every field as plain data (``observed_at`` stays a datetime)."""
        return asdict(self)

    def is_empty(self) -> bool:
        """Return True when the frame carried none of the canonical quantities."""
        return all(getattr(self, name) is None for name in CANONICAL_FIELDS)
