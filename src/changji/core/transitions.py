"""State tables as data, checked in one place (pure: no Django).

Every object of the platform that has a life of states (an alarm, a case and its sub-cases, a bundle
version, a micro-wish, a resident issue and its escalation rung) moves only along an explicit table:
each state lists the states it may move to, and nothing else is possible. A table is plain data, a
``Table``:

* ``moves`` — each state → the ``frozenset`` of states it may move to (a final state: the empty set);
* ``labels`` — each state's Chinese name, the one the pages, the API and the exports show;
* ``required`` — the fields a move into a state must carry, not blank (a dismissal needs its reason);
* ``system_only`` — the states only the system sets (raising, closing on recovery): who may make a move.

``check_transition(table, current, target, fields, by_system=...)`` is the one check, made before
anything changes; it raises ``TransitionError`` (a ``core.errors.Refusal``) naming what is at fault:
``state`` for a move the table does not hold or a system state chosen by a person, else the first
missing field in alphabetical order. Each app keeps its tables' data beside its service layer
(``water/alarms/workflow.py``, ``services/workflow.py``, ``services/catalogue.py``,
``community/issues/workflow.py``, ``community/wishes/workflow.py``); ``tests/core/test_transitions.py``
finds every table in the source and walks it: every allowed move passes, every other move is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from changji.core.errors import Refusal

__pure__ = True  # no Django: tests/test_architecture.py checks it


class TransitionError(Refusal):
    """A move a state table does not allow, or one missing a field its target state requires."""


@dataclass(frozen=True)
class Table:
    """One state table: the moves, the labels, the fields each target requires and the states only the system sets.

    ``noun`` names what moves, for the messages ("告警不能从「待处理」转为「已办结」"). States are the
    values of a ``StrEnum`` (or Django ``TextChoices``): a state given as its plain value finds its row too.
    """

    noun: str
    moves: Mapping[Any, frozenset[Any]]
    labels: Mapping[Any, str]
    required: Mapping[Any, frozenset[str]] = field(default_factory=dict)
    field_labels: Mapping[str, str] = field(default_factory=dict)
    system_only: frozenset[Any] = frozenset()

    def __post_init__(self) -> None:
        states = set(self.moves)
        strays = {target for targets in self.moves.values() for target in targets} - states
        if strays or set(self.labels) != states or not set(self.required) <= states or not self.system_only <= states:
            raise ValueError(f"state table {self.noun!r} names states without a row or a label: {sorted(strays)}")

    @property
    def states(self) -> list[Any]:
        """Every state, in the order of the table."""
        return list(self.moves)

    def allows(self, current: Any, target: Any) -> bool:
        """Whether the table holds the move ``current`` → ``target`` (unknown states: no)."""
        return target in self.moves.get(current, frozenset())

    def label(self, state: Any) -> str:
        """The state's Chinese name (an unknown value is shown as it is)."""
        return self.labels.get(state, str(state))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ((), [], {})


def check_transition(table: Table, current: Any, target: Any, fields: Mapping[str, Any] | None = None, *,
                     by_system: bool = False) -> None:
    """Raise ``TransitionError`` unless ``table`` allows ``current`` → ``target`` with ``fields``.

    Checks, in order: both states are the table's and the move is in it (field ``state``); a person
    does not choose a state only the system sets (field ``state``); every field ``required`` for the
    target is present and not blank (field = its name, alphabetical). The system obeys the same moves
    and field rules.
    """
    for state in (current, target):
        if state not in table.moves:
            raise TransitionError("state", f"{table.noun}没有「{state}」这一状态")
    if not table.allows(current, target):
        raise TransitionError("state", f"{table.noun}不能从「{table.label(current)}」转为「{table.label(target)}」")
    if not by_system and target in table.system_only:
        raise TransitionError("state", f"「{table.label(target)}」只能由系统设置")
    values = fields or {}
    for name in sorted(table.required.get(target, frozenset())):
        if _blank(values.get(name)):
            raise TransitionError(name, f"转为「{table.label(target)}」必须填写{table.field_labels.get(name, name)}")
