"""The rules that cut a connection off for what it sends: frame floods and garbage.

One event loop serves every terminal, so a peer is cut off before its traffic can crowd out the
others' (docs/architecture.md, "One terminal never hurts another"):

* **Flood**: more than ``max_frames_per_s`` frames per second on average over ``FLOOD_WINDOW_S``
  seconds (a leaky bucket of ``max_frames_per_s × FLOOD_WINDOW_S`` frames draining at
  ``max_frames_per_s``). Frames that fail their CRC count too: each is archived, so each costs a
  database row.
* **Garbage**: the bytes outside valid frames (stray bytes and frames failing their CRC) reach
  ``garbage_limit_bytes`` and outnumber the bytes of valid frames, both counted over recent
  traffic (the counts halve every ``garbage_window_s``). This holds for the whole connection: a
  valid frame followed by megabytes of garbage is cut off within a few KiB, a peer sending only
  garbage at the limit, while a terminal whose occasional noise stays below its valid traffic is
  never cut off.
"""

from __future__ import annotations

from changji.water.gateway.config import GatewayConfig

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: The flood rule averages the frame rate over this many seconds.
FLOOD_WINDOW_S = 10.0


class TrafficGuard:
    """Count one connection's frames and garbage; say when the connection must be cut off."""

    def __init__(self, config: GatewayConfig, now: float) -> None:
        self.max_frames = config.max_frames_per_s * FLOOD_WINDOW_S
        self.max_frames_per_s = config.max_frames_per_s
        self.garbage_limit = config.garbage_limit_bytes
        self.window_s = config.garbage_window_s
        self._frames = 0.0  # frames in the flood bucket at ``_counted_at``
        self._counted_at = now
        self._decayed_at = now
        self.garbage = 0.0  # recent bytes outside valid frames
        self.valid = 0.0  # recent bytes of valid frames

    def observe(self, now: float, frames: int, valid_bytes: int, garbage_bytes: int) -> str:
        """Count one read's frames (valid or not) and bytes; return why to cut off, or ""."""
        if frames:
            drained = (now - self._counted_at) * self.max_frames_per_s
            self._frames = max(0.0, self._frames - drained) + frames
            self._counted_at = now
            if self._frames > self.max_frames:
                return f"flood: more than {self.max_frames_per_s:g} frames/s"
        if now - self._decayed_at >= self.window_s:
            self._decay(now)
        self.valid += valid_bytes
        if garbage_bytes:
            self.garbage += garbage_bytes
            if self.garbage >= self.garbage_limit and self.garbage > self.valid:
                return f"{self.garbage:.0f} recent bytes of garbage against {self.valid:.0f} bytes of valid frames"
        return ""

    def _decay(self, now: float) -> None:
        periods = int((now - self._decayed_at) // self.window_s)
        if periods > 0:
            factor = 0.5 ** min(periods, 64)
            self.garbage *= factor
            self.valid *= factor
            self._decayed_at += periods * self.window_s
