"""The alarm handling state machine: who may move an alarm where, and what each move must carry.

A state table (docs/architecture.md, "State tables") in a plain module with no Django import: one
``StrEnum``, one ``ALLOWED`` table from each state to the ``frozenset`` of states it may move to, the
states an operator may choose kept apart from the states only the system sets, and per-state field
rules, gathered in ``TABLE`` (a ``core.transitions.Table``). The Django layer calls
``core.transitions.check_transition(TABLE, …)`` in one place before appending the change.

The life of an alarm::

    OPEN ──确认──> ACKNOWLEDGED ──派单──> ASSIGNED ──处理完毕──> RESOLVED
     │                 │  │                 └─改派─┘
     │                 │  └──远程核实──> RESOLVED
     ├──误报──> DISMISSED <──误报──┤
     └──恢复──> AUTO_CLEARED <──恢复──┘

Terminal states have no exits. A recurrence after a terminal state raises a new alarm (``rules.debounce``)
instead of reopening the old one, so every closed alarm keeps the result it was closed with.
"""

from __future__ import annotations

from enum import StrEnum

from changji.core.transitions import Table

__pure__ = True  # no Django: tests/test_architecture.py checks it


class AlarmState(StrEnum):
    OPEN = "open"  #: raised by the system (待处理)
    ACKNOWLEDGED = "acknowledged"  #: an operator has seen it and taken it on (已确认)
    ASSIGNED = "assigned"  #: a 现场核查 work order is out to an inspector (已派单)
    RESOLVED = "resolved"  #: closed with a result and evidence (已办结)
    AUTO_CLEARED = "auto_cleared"  #: the condition recovered before anyone went out (自动恢复); system only
    DISMISSED = "dismissed"  #: a false alarm, closed with the reason (误报)


ALLOWED: dict[AlarmState, frozenset[AlarmState]] = {
    AlarmState.OPEN: frozenset({
        AlarmState.ACKNOWLEDGED,
        AlarmState.AUTO_CLEARED,
        # An obvious false alarm (test frame, planned maintenance announced beforehand) may be closed
        # without first being taken on; the reason is still required.
        AlarmState.DISMISSED,
        # No OPEN -> ASSIGNED or RESOLVED: someone must first take the alarm on, so the log always
        # names who owned it before a work order went out or a result was written.
    }),
    AlarmState.ACKNOWLEDGED: frozenset({
        AlarmState.ASSIGNED,
        # Resolved from the desk: the camera snapshot or a phone call to the well owner settles it.
        AlarmState.RESOLVED,
        AlarmState.DISMISSED,
        # Taken on but nobody sent out yet: a recovered condition may still close itself.
        AlarmState.AUTO_CLEARED,
    }),
    AlarmState.ASSIGNED: frozenset({
        # Re-assignment (the inspector is ill, the due date moves): stays ASSIGNED with a new
        # assignee and due date, appended as its own event.
        AlarmState.ASSIGNED,
        # Only a result closes a site check. No AUTO_CLEARED: someone is on the way and must report
        # what they found (a door that "closed itself" may hide a bypass pipe). No DISMISSED: a false
        # alarm found on site is RESOLVED with that finding and the photo as evidence.
        AlarmState.RESOLVED,
    }),
    AlarmState.RESOLVED: frozenset(),
    AlarmState.AUTO_CLEARED: frozenset(),
    AlarmState.DISMISSED: frozenset(),
}

#: States in which an alarm still waits for someone (not closed by a result, a dismissal or recovery).
ACTIVE_STATES: frozenset[AlarmState] = frozenset({AlarmState.OPEN, AlarmState.ACKNOWLEDGED, AlarmState.ASSIGNED})

#: States only the system sets: raising, and closing on recovery.
SYSTEM_STATES: frozenset[AlarmState] = frozenset({AlarmState.OPEN, AlarmState.AUTO_CLEARED})

#: States an operator may choose.
USER_STATES: frozenset[AlarmState] = frozenset(AlarmState) - SYSTEM_STATES

#: Fields a move into the state must carry (non-empty).
REQUIRED_FIELDS: dict[AlarmState, frozenset[str]] = {
    AlarmState.OPEN: frozenset(),
    AlarmState.ACKNOWLEDGED: frozenset(),
    AlarmState.ASSIGNED: frozenset({"assignee", "due"}),
    AlarmState.RESOLVED: frozenset({"result", "evidence"}),  # evidence: a snapshot id or photo
    AlarmState.AUTO_CLEARED: frozenset(),
    AlarmState.DISMISSED: frozenset({"reason"}),
}

FIELD_LABELS: dict[str, str] = {
    "assignee": "核查人员",
    "due": "完成时限",
    "result": "处理结果",
    "evidence": "证据（抓拍或现场照片）",
    "reason": "误报原因",
}

#: The one name of each state (``Alarm.state``'s choices; pages, API and exports read it).
STATE_LABELS: dict[AlarmState, str] = {
    AlarmState.OPEN: "待处理",
    AlarmState.ACKNOWLEDGED: "已确认",
    AlarmState.ASSIGNED: "已派单",
    AlarmState.RESOLVED: "已办结",
    AlarmState.AUTO_CLEARED: "自动恢复",
    AlarmState.DISMISSED: "误报关闭",
}


#: The alarm table (``core.transitions``): moves, labels, the fields each move must carry, the system's states.
TABLE = Table(noun="告警", moves=ALLOWED, labels=STATE_LABELS, required=REQUIRED_FIELDS, field_labels=FIELD_LABELS,
              system_only=SYSTEM_STATES)
