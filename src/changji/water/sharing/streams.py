"""The streams an instance pushes upward, and how the upstream applies each (registry of :class:`Stream`).

A stream module registers itself with :func:`register`; the exchange API looks streams up by name. Applying
is idempotent by natural keys: applying the same rows twice leaves the same state as once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a received batch: an outbox entry as sent."""

    key: str
    region_code: str
    payload: Mapping[str, Any]
    deleted: bool = False


@dataclass(slots=True)
class ApplyResult:
    """What applying a batch did: rows applied, and rows refused with a Chinese reason each."""

    applied: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Stream:
    """A named stream: ``apply`` upserts rows already checked to lie in the sender's region subtree.

    ``apply(rows, source)`` runs inside the exchange API's transaction; ``source`` names the sending peer
    (``DownstreamPeer.key_id``), so received rows can be marked as reported by it. Rows it cannot apply
    (an unknown well, say) go into ``ApplyResult.refused`` rather than raising.
    """

    name: str
    label: str
    apply: Callable[[Sequence[Row], str], ApplyResult]
    order: int = 100


_STREAMS: dict[str, Stream] = {}


def register(stream: Stream) -> Stream:
    """Register ``stream`` under its name (replacing one of the same name)."""
    _STREAMS[stream.name] = stream
    return stream


def get(name: str) -> Stream | None:
    """The stream registered as ``name``, if any."""
    return _STREAMS.get(name)


def all_streams() -> list[Stream]:
    """Every registered stream, in delivery order (registry before the rows that refer to it)."""
    return sorted(_STREAMS.values(), key=lambda s: (s.order, s.name))


def apply_each(rows: Iterable[Row], apply_one: Callable[[Row], None],
               refusals: tuple[type[Exception], ...] = (LookupError,)) -> ApplyResult:
    """Apply each row in a savepoint of its own; return what was applied and what refused.

    A refusal (its message is the reason) or malformed content refuses that row only; the others are applied.
    """
    result = ApplyResult()
    for row in rows:
        try:
            with transaction.atomic():
                apply_one(row)
        except refusals as error:
            result.refused.append((row.key, str(error)))
        except (KeyError, ValueError, TypeError, IntegrityError) as error:
            result.refused.append((row.key, f"内容不完整或格式错误：{error}"))
        else:
            result.applied += 1
    return result
