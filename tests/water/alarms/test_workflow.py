"""The alarm state table as designed: its edges, its field rules, the system's states, a site check's path.

tests/core/test_transitions.py walks every edge and every required field of this table with the others.
"""

from __future__ import annotations

import pytest

from changji.core.transitions import TransitionError
from changji.core.transitions import check_transition as check
from changji.water.alarms.workflow import (
    ALLOWED,
    REQUIRED_FIELDS,
    SYSTEM_STATES,
    TABLE,
    USER_STATES,
    AlarmState,
)

S = AlarmState
FULL = {"assignee": "张工", "due": "2026-05-03", "result": "旁通管已拆除", "evidence": "snapshot:4411",
        "reason": "维护期间开门"}


def check_transition(current, target, fields, by_system=False):
    check(TABLE, current, target, fields, by_system=by_system)


def test_the_table_as_designed():
    assert ALLOWED == {
        S.OPEN: {S.ACKNOWLEDGED, S.AUTO_CLEARED, S.DISMISSED},
        S.ACKNOWLEDGED: {S.ASSIGNED, S.RESOLVED, S.DISMISSED, S.AUTO_CLEARED},
        S.ASSIGNED: {S.ASSIGNED, S.RESOLVED},
        S.RESOLVED: set(),
        S.AUTO_CLEARED: set(),
        S.DISMISSED: set(),
    }
    assert all(isinstance(targets, frozenset) for targets in ALLOWED.values())


def test_every_state_has_a_row_and_field_rules():
    assert set(ALLOWED) == set(S) == set(REQUIRED_FIELDS)


def test_user_and_system_states_partition_the_states():
    assert SYSTEM_STATES == {S.OPEN, S.AUTO_CLEARED}
    assert USER_STATES == {S.ACKNOWLEDGED, S.ASSIGNED, S.RESOLVED, S.DISMISSED}
    assert not USER_STATES & SYSTEM_STATES


def test_field_rules():
    assert REQUIRED_FIELDS[S.ASSIGNED] == {"assignee", "due"}
    assert REQUIRED_FIELDS[S.RESOLVED] == {"result", "evidence"}
    assert REQUIRED_FIELDS[S.DISMISSED] == {"reason"}
    assert not REQUIRED_FIELDS[S.OPEN] | REQUIRED_FIELDS[S.ACKNOWLEDGED] | REQUIRED_FIELDS[S.AUTO_CLEARED]


def test_nothing_leads_back_to_open():
    assert all(S.OPEN not in targets for targets in ALLOWED.values())


def test_happy_path_site_check():
    path = [S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.ASSIGNED, S.RESOLVED]
    for current, target in zip(path, path[1:], strict=False):
        check_transition(current, target, FULL)


def test_an_assigned_check_cannot_auto_clear_or_be_dismissed():
    for target in (S.AUTO_CLEARED, S.DISMISSED):
        with pytest.raises(TransitionError) as caught:
            check_transition(S.ASSIGNED, target, FULL, by_system=True)
        assert caught.value.field == "state"


def test_resolving_needs_evidence_before_result_is_checked_alphabetically():
    with pytest.raises(TransitionError) as caught:
        check_transition(S.ACKNOWLEDGED, S.RESOLVED, {})
    assert caught.value.field == "evidence"


def test_plain_strings_are_accepted_and_unknown_states_rejected():
    check_transition("open", "acknowledged", {})
    with pytest.raises(TransitionError):
        check_transition("open", "closed", {})
