"""The alarm state table, walked: every allowed edge, every forbidden edge, every field rule."""

from __future__ import annotations

import pytest

from changji.water.alarms.workflow import (
    ALLOWED,
    REQUIRED_FIELDS,
    SYSTEM_STATES,
    USER_STATES,
    AlarmState,
    TransitionError,
    check_transition,
)

S = AlarmState
FULL = {"assignee": "张工", "due": "2026-05-03", "result": "旁通管已拆除", "evidence": "snapshot:4411",
        "reason": "维护期间开门"}
ALLOWED_EDGES = [(a, b) for a in S for b in sorted(ALLOWED[a])]
FORBIDDEN_EDGES = [(a, b) for a in S for b in S if b not in ALLOWED[a]]
FIELD_CASES = [(a, b, name) for a, b in ALLOWED_EDGES for name in sorted(REQUIRED_FIELDS[b])]


def edge_id(case) -> str:
    return "-".join(str(part) for part in case)


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


@pytest.mark.parametrize("edge", ALLOWED_EDGES, ids=edge_id)
def test_allowed_edge_passes_with_its_fields(edge):
    current, target = edge
    check_transition(current, target, {name: FULL[name] for name in REQUIRED_FIELDS[target]},
                     by_system=target in SYSTEM_STATES)


@pytest.mark.parametrize("edge", ALLOWED_EDGES, ids=edge_id)
def test_the_system_may_take_every_allowed_edge(edge):
    check_transition(*edge, FULL, by_system=True)


@pytest.mark.parametrize("edge", FORBIDDEN_EDGES, ids=edge_id)
@pytest.mark.parametrize("by_system", [False, True])
def test_forbidden_edge_raises_on_state(edge, by_system):
    with pytest.raises(TransitionError) as caught:
        check_transition(*edge, FULL, by_system=by_system)
    assert caught.value.field == "state"
    assert "不能" in caught.value.message


@pytest.mark.parametrize("case", FIELD_CASES, ids=edge_id)
@pytest.mark.parametrize("blank", ["missing", None, "", "   "])
def test_missing_required_field_raises_on_that_field(case, blank):
    current, target, name = case
    fields = dict(FULL)
    if blank == "missing":
        del fields[name]
    else:
        fields[name] = blank
    with pytest.raises(TransitionError) as caught:
        check_transition(current, target, fields)
    assert caught.value.field == name
    assert "必须填写" in caught.value.message


@pytest.mark.parametrize("edge", [e for e in ALLOWED_EDGES if e[1] in SYSTEM_STATES], ids=edge_id)
def test_users_cannot_choose_system_states(edge):
    with pytest.raises(TransitionError) as caught:
        check_transition(*edge, FULL)
    assert caught.value.field == "state"
    assert "只能由系统" in caught.value.message


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
    with pytest.raises(ValueError):
        check_transition("open", "closed", {})


def test_error_repr_names_field_and_message():
    error = TransitionError("reason", "转为“误报关闭”必须填写误报原因。")
    assert repr(error) == "TransitionError(field='reason', message='转为“误报关闭”必须填写误报原因。')"
    assert str(error) == error.message
