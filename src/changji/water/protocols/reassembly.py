"""Bookkeeping shared by the multi-packet reassemblers (SL651 M3, SZY206 DIV): memory caps and expiry.

A message being reassembled holds memory until its last packet arrives, and only the peer decides
whether that ever happens. So every reassembler (the gateway has one per connection and protocol)
caps the bytes its incomplete messages hold (``max_bytes``), an optional ``MemoryBudget`` shared by
the reassemblers of a process caps their total, and a message that receives no packet for
``max_idle_s`` expires. Each packet is charged its payload plus ``PACKET_OVERHEAD`` bytes, so
empty packets cannot pile up for free. A packet that would break a cap abandons its own message
(``LimitError``): one peer cannot evict another's message, and work stays constant per packet.

A message given up (expired, over a cap, restarted, discarded, connection closed) is reported
once as ``Abandoned`` with the tags its packets were fed with (the gateway tags each packet with
its archived frame), so the caller can record why and release nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from changji.water.protocols.errors import LimitError

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Bytes charged per packet on top of its payload (the dict entry and bytes object holding it).
PACKET_OVERHEAD = 64

Key = tuple[str, int]


class MemoryBudget:
    """The bytes held by incomplete messages across every reassembler of a process (a global cap)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def reserve(self, size: int) -> bool:
        """Take ``size`` bytes if they fit under the limit; return whether they did."""
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def release(self, size: int) -> None:
        """Give back ``size`` bytes."""
        self.used -= size


@dataclass(frozen=True, slots=True)
class Abandoned:
    """An incomplete message given up: its key, why, how many packets it held, and their tags."""

    key: Key
    reason: str
    packets: int
    total: int
    tags: tuple[Any, ...]


@dataclass(slots=True)
class Pending:
    """An incomplete message: packet payloads by number, the packet that heads it, the charge."""

    total: int
    touched: float
    parts: dict[int, bytes] = field(default_factory=dict)
    first: Any = None
    tags: list[Any] = field(default_factory=list)
    size: int = 0


class PendingMessages:
    """Incomplete messages by key, least recently fed first, within the caps."""

    def __init__(self, max_bytes: int, max_idle_s: float, budget: MemoryBudget | None) -> None:
        self.max_bytes = max_bytes
        self.max_idle_s = max_idle_s
        self.budget = budget
        self.size = 0
        self._pending: dict[Key, Pending] = {}
        self._abandoned: list[Abandoned] = []

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def abandoned(self) -> int:
        """Return the number of abandoned messages not yet taken."""
        return len(self._abandoned)

    def get(self, key: Key) -> Pending | None:
        """Return the incomplete message of ``key``, or None."""
        return self._pending.get(key)

    def start(self, key: Key, total: int, now: float, reason: str) -> Pending:
        """Begin a message of ``total`` packets, abandoning one already under ``key`` for ``reason``."""
        self.drop(key, reason)
        pending = self._pending[key] = Pending(total, now)
        return pending

    def add(self, key: Key, number: int, data: bytes, now: float, tag: Any, what: str) -> Pending:
        """Store packet ``number`` of the message of ``key`` (a repeat replaces the earlier copy).

        LimitError (after abandoning the message) when the packet would break a cap.
        """
        pending = self._pending.pop(key)
        self._pending[key] = pending  # most recently fed last: expiry looks at the front only
        previous = pending.parts.get(number)
        grow = len(data) - (-PACKET_OVERHEAD if previous is None else len(previous))
        if self.size + grow > self.max_bytes:
            self.drop(key, f"over {self.max_bytes} bytes per connection")
            raise LimitError(f"{what} exceeds {self.max_bytes} bytes of incomplete messages; discarded")
        if self.budget is not None and grow > 0 and not self.budget.reserve(grow):
            self.drop(key, "over the gateway's memory for incomplete messages")
            raise LimitError(
                f"{what} refused: the {self.budget.limit} bytes for incomplete messages are in use; discarded"
            )
        if self.budget is not None and grow < 0:
            self.budget.release(-grow)
        pending.parts[number] = data
        pending.size += grow
        pending.touched = now
        self.size += grow
        if tag is not None:
            pending.tags.append(tag)
        return pending

    def complete(self, key: Key) -> Pending:
        """Remove the (complete) message of ``key`` and release its memory."""
        pending = self._pending.pop(key)
        self._release(pending)
        return pending

    def drop(self, key: Key, reason: str) -> None:
        """Abandon the message of ``key``, if any, for ``reason``."""
        pending = self._pending.pop(key, None)
        if pending is None:
            return
        self._release(pending)
        self._abandoned.append(Abandoned(key, reason, len(pending.parts), pending.total, tuple(pending.tags)))

    def expire(self, now: float) -> None:
        """Abandon the messages fed nothing for ``max_idle_s`` (the least recently fed come first)."""
        while self._pending:
            key, pending = next(iter(self._pending.items()))
            if now - pending.touched < self.max_idle_s:
                return
            self.drop(key, f"no packet for {self.max_idle_s:g} s")

    def close(self, reason: str) -> None:
        """Abandon every message (the connection ended)."""
        for key in list(self._pending):
            self.drop(key, reason)

    def take_abandoned(self) -> list[Abandoned]:
        """Return the messages abandoned since the last call (each reported once)."""
        taken, self._abandoned = self._abandoned, []
        return taken

    def _release(self, pending: Pending) -> None:
        self.size -= pending.size
        if self.budget is not None:
            self.budget.release(pending.size)
