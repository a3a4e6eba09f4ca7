"""How well a profile fits a terminal's recent raw frames: a pure score from 0 to 1.

``score_frames(protocol, frames, options)`` decodes every frame under ``options`` and judges the readings:

* **decodes** — the share of reading frames that decode at all (weight 0.4);
* **plausible** — flow 0–2,000 m³/h, registers 0–10⁹, and alarm/status words whose set bits lie in the low
  byte, where the defined bits are (a word read in the wrong byte order sets only high bits) (weight 0.2);
* **monotonic** — the share of consecutive volume and energy registers that do not go back (weight 0.2);
* **consistent** — the share of consecutive reports, at most 2 h apart, whose volume increment agrees
  with the mean flow × time within 30 % or 1 m³ (weight 0.2).

A component without evidence (no consecutive pairs, say) counts as fitting, so a profile is never judged on
what its frames do not show. ``best_fit`` ranks candidates; a switch is suggested only when the best one
beats the current one by ``MARGIN`` and reaches ``MIN_SCORE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from changji.water.protocols import sl651, szy206
from changji.water.protocols.errors import ProtocolError
from changji.water.protocols.reading import Reading

__pure__ = True  # no Django: tests/test_architecture.py checks it

MARGIN = 0.15
MIN_SCORE = 0.8
MAX_FLOW_M3H = 2000.0
MAX_REGISTER = 1e9
MAX_GAP_H = 2.0
WEIGHTS = {"decodes": 0.4, "plausible": 0.2, "monotonic": 0.2, "consistent": 0.2}


@dataclass(frozen=True)
class Fit:
    """A profile's fit to a set of frames: the score and what it rests on."""

    score: float
    frames: int
    readings: int
    parts: dict[str, float] = field(default_factory=dict)
    sample: dict[str, Any] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        """Return the fit as JSON-ready data (stored with a suggestion)."""
        return {"score": round(self.score, 3), "frames": self.frames, "readings": self.readings,
                "parts": {k: round(v, 3) for k, v in self.parts.items()}, "sample": self.sample}


def decode_reading(protocol: str, raw: bytes, received_at: datetime, options: Any) -> Reading | None:
    """Decode one archived frame into its reading under ``options`` (ProtocolError when it does not decode)."""
    if protocol == "szy206":
        frame = szy206.decode_szy206(raw, options)
        if frame.direction != "up":
            return None
        return szy206.to_reading(frame, received_at, options)
    sl = sl651.decode_sl651(raw)
    if sl.direction != "up" or sl.packet_total is not None:
        return None
    return sl651.to_reading(sl, options)


def _word_plausible(native: dict[str, Any]) -> bool:
    for key in ("alarm_bits", "status_bits"):
        bits = native.get(key)
        if bits and all(bit >= 8 for bit in bits):
            return False
    return True


def _reading_plausible(reading: Reading) -> bool:
    flow = reading.flow_m3h
    if flow is not None and not 0 <= flow <= MAX_FLOW_M3H:
        return False
    for value in (reading.volume_m3, reading.energy_kwh):
        if value is not None and not 0 <= value <= MAX_REGISTER:
            return False
    return _word_plausible(reading.native)


def _share(good: int, total: int) -> float:
    return good / total if total else 1.0


def _merged(readings: list[Reading]) -> list[tuple[datetime, dict[str, float | None]]]:
    """Merge the readings of one observation time (SZY206 sends flow and energy in separate frames)."""
    by_time: dict[datetime, dict[str, float | None]] = {}
    for reading in readings:
        if reading.observed_at is None:
            continue
        row = by_time.setdefault(reading.observed_at, {})
        for name in ("flow_m3h", "volume_m3", "energy_kwh"):
            value = getattr(reading, name)
            if value is not None:
                row[name] = value
    return sorted(by_time.items())


def _series_parts(rows: list[tuple[datetime, dict[str, float | None]]]) -> tuple[float, float]:
    monotonic = pairs = consistent = judged = 0
    for (t0, a), (t1, b) in zip(rows, rows[1:], strict=False):
        for name in ("volume_m3", "energy_kwh"):
            if a.get(name) is not None and b.get(name) is not None:
                pairs += 1
                monotonic += (b[name] or 0) >= (a[name] or 0)
        hours = (t1 - t0).total_seconds() / 3600
        flows, volumes = (a.get("flow_m3h"), b.get("flow_m3h")), (a.get("volume_m3"), b.get("volume_m3"))
        if 0 < hours <= MAX_GAP_H and None not in flows and None not in volumes:
            judged += 1
            expected = ((flows[0] or 0) + (flows[1] or 0)) / 2 * hours
            increment = (volumes[1] or 0) - (volumes[0] or 0)
            consistent += abs(increment - expected) <= max(0.3 * max(abs(increment), expected), 1.0)
    return _share(monotonic, pairs), _share(consistent, judged)


def score_frames(protocol: str, frames: Sequence[tuple[bytes, datetime]], options: Any) -> Fit:
    """Score how well ``options`` fit ``frames`` (raw bytes with their receipt times)."""
    readings: list[Reading] = []
    failed = 0
    first_error = ""
    for raw, received_at in frames:
        try:
            reading = decode_reading(protocol, raw, received_at, options)
        except ProtocolError as exc:
            failed += 1
            first_error = first_error or exc.message
            continue
        if reading is not None:
            readings.append(reading)
    tried = failed + len(readings)
    plausible = sum(_reading_plausible(r) for r in readings)
    rows = _merged(readings)
    monotonic, consistent = _series_parts(rows)
    parts = {"decodes": _share(len(readings), tried), "plausible": _share(plausible, len(readings)),
             "monotonic": monotonic, "consistent": consistent}
    score = sum(WEIGHTS[name] * value for name, value in parts.items())
    sample: dict[str, Any] = {}
    if rows:
        at, values = rows[-1]
        sample = {"observed_at": at.isoformat(), **{k: v for k, v in values.items() if v is not None}}
    if first_error:
        sample["error"] = first_error
    return Fit(score, tried, len(readings), parts, sample)


def best_fit(protocol: str, frames: Sequence[tuple[bytes, datetime]], candidates: dict[Any, Any],
             current: Any) -> tuple[Any, Fit, Fit] | None:
    """Return (key, fit, current fit) of the candidate that should replace ``current``, or None.

    ``candidates`` maps a key (a profile id) to its options; ``current`` is the key in force (it must be
    among the candidates, or None for the deployment default, also given as a candidate under None).
    """
    fits = {key: score_frames(protocol, frames, options) for key, options in candidates.items()}
    mine = fits.get(current)
    if mine is None or not frames:
        return None
    key, fit = max(fits.items(), key=lambda item: (item[1].score, item[0] == current))
    if key == current or fit.score < MIN_SCORE or fit.score - mine.score < MARGIN:
        return None
    return key, fit, mine
