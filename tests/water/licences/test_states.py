"""The licence state table, walked from the table itself, and the expiry-warning thresholds."""

from __future__ import annotations

from datetime import date

import pytest

from changji.core.transitions import TransitionError, check_transition
from changji.water.licences.states import TABLE, WARNING_DAYS, State, covers, due_warning
from changji.water.models import LicenceState


def test_the_pure_states_are_the_models_states():
    assert {s.value for s in State} == set(LicenceState.values)
    assert {s.value: TABLE.label(s) for s in State} == {v: str(label) for v, label in LicenceState.choices}


@pytest.mark.parametrize("current", list(State))
@pytest.mark.parametrize("target", list(State))
def test_every_edge_of_the_table_and_no_other(current, target):
    by_system = target in TABLE.system_only
    if TABLE.allows(current, target):
        check_transition(TABLE, current, target, {"reason": "依法办理"}, by_system=by_system)
        with pytest.raises(TransitionError) as missing:
            check_transition(TABLE, current, target, {"reason": "  "}, by_system=by_system)
        assert missing.value.field == "reason"
    else:
        with pytest.raises(TransitionError) as refused:
            check_transition(TABLE, current, target, {"reason": "依法办理"}, by_system=True)
        assert refused.value.field == "state"


def test_only_the_system_expires_and_revoked_is_final():
    with pytest.raises(TransitionError):
        check_transition(TABLE, State.VALID, State.EXPIRED, {"reason": "x"})
    assert TABLE.moves[State.REVOKED] == frozenset()


@pytest.mark.parametrize(("days_left", "warned", "due"), [
    (120, None, None), (90, None, 90), (60, None, 90), (60, 90, None), (30, 90, 30), (20, None, 30),
    (10, 30, None), (0, 90, 30), (-1, None, None),
])
def test_each_threshold_is_due_once(days_left, warned, due):
    assert WARNING_DAYS == (90, 30)
    assert due_warning(days_left, warned) == due


def test_covers_only_valid_within_the_term():
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    assert covers("valid", start, end, date(2026, 12, 31))
    assert not covers("valid", start, end, date(2027, 1, 1))
    assert not covers("suspended", start, end, date(2026, 6, 1))
