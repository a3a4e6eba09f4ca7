"""The exchange format's plain parts: natural keys, values on the wire, and which of several rows of a key wins.

Pure (no Django), shared by every stream's serialiser and applier. Keys are natural, never an auto-increment id:
a terminal is ``protocol:address`` (unique per protocol, ``Terminal``'s constraint), a well its code (which embeds
the county's GB/T 2260 code), a day ``YYYY-MM-DD`` in local (Asia/Shanghai) time, an instant ISO 8601 in UTC.
Every payload carries ``changed_at`` (UTC, microseconds): of several rows of one key in a batch the latest
change wins, whatever their order in the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

__pure__ = True

#: Separates the parts of a compound key (``terminal|observed_at``); never part of a code or an address.
SEP = "|"


class Keyed(Protocol):
    """What :func:`latest_per_key` needs of a row: its key and payload."""

    @property
    def key(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


def terminal_key(protocol: str, address: str) -> str:
    """A terminal's natural key: protocol and address (``szy206:6523230001``)."""
    return f"{protocol}:{address}"


def split_terminal_key(key: str) -> tuple[str, str]:
    """The (protocol, address) of a terminal key; ValueError when it is not one."""
    protocol, sep, address = key.partition(":")
    if not sep or not protocol or not address:
        raise ValueError(f"not a terminal key: {key!r}")
    return protocol, address


def compound(*parts: str) -> str:
    """A key of several parts (``well code|day``)."""
    return SEP.join(parts)


def split(key: str, parts: int) -> list[str]:
    """The parts of a compound key; ValueError when it has not ``parts`` of them."""
    out = key.split(SEP)
    if len(out) != parts or not all(out):
        raise ValueError(f"not a key of {parts} parts: {key!r}")
    return out


def instant(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC (microseconds kept), None as None."""
    return None if value is None else value.astimezone(UTC).isoformat()


def parse_instant(value: str | None) -> datetime | None:
    """The aware datetime of :func:`instant`; ValueError for a naive or malformed one."""
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"instant without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def required_instant(value: str | None) -> datetime:
    """:func:`parse_instant` of a value that must be there; ValueError when missing."""
    parsed = parse_instant(value)
    if parsed is None:
        raise ValueError("missing instant")
    return parsed


def required_day(value: str | None) -> date:
    """:func:`parse_day` of a value that must be there; ValueError when missing."""
    parsed = parse_day(value)
    if parsed is None:
        raise ValueError("missing day")
    return parsed


def day(value: date | None) -> str | None:
    """A date as ``YYYY-MM-DD``."""
    return None if value is None else value.isoformat()


def parse_day(value: str | None) -> date | None:
    """The date of :func:`day`."""
    return None if value is None or value == "" else date.fromisoformat(value)


R = TypeVar("R", bound=Keyed)


def latest_per_key(rows: Iterable[R]) -> list[R]:
    """One row per key: the one with the latest ``changed_at`` (the later in the batch on a tie), in batch order.

    A re-sent older snapshot that arrives after a newer one in the same batch does not win.
    """
    best: dict[str, tuple[str, int, R]] = {}
    for position, row in enumerate(rows):
        stamp = str(row.payload.get("changed_at") or "")
        held = best.get(row.key)
        if held is None or (stamp, position) >= (held[0], held[1]):
            best[row.key] = (stamp, position, row)
    return [row for _, _, row in sorted(best.values(), key=lambda item: item[1])]


def changed(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
            ) -> tuple[list[str], list[str]]:
    """Keys whose payload differs between two snapshots (new or changed), and keys that are gone.

    ``changed_at`` is ignored in the comparison: a rebuild that writes the same figures reports nothing.
    """
    def same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
        return {k: v for k, v in a.items() if k != "changed_at"} == {k: v for k, v in b.items() if k != "changed_at"}

    differing = [key for key, payload in new.items() if key not in old or not same(old[key], payload)]
    gone = [key for key in old if key not in new]
    return differing, gone


def region_chain(path: str, names: Mapping[str, tuple[str, int]]) -> list[list[Any]]:
    """The regions of a GB/T 2260 path below the province (``[code, name, level, parent code]``, parents first).

    Sent with registry rows so the upstream can create the townships and villages it does not know yet.
    """
    codes = [code for code in path.split("/") if code]
    out: list[list[Any]] = []
    for index, code in enumerate(codes):
        if code not in names or names[code][1] < 2 or index == 0:
            continue
        name, level = names[code]
        out.append([code, name, level, codes[index - 1]])
    return out


def refusal(key: str, reason: str) -> tuple[str, str]:
    """A refused row as ``ApplyResult.refused`` holds it."""
    return key, reason


def unique(values: Sequence[str]) -> list[str]:
    """``values`` without repeats, in first-seen order."""
    return list(dict.fromkeys(values))
