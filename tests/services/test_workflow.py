"""The case and sub-case tables, walked edge by edge: every allowed move passes, every other one is refused."""

from __future__ import annotations

import itertools

import pytest

from changji.services.workflow import (
    CASE_MOVES,
    CASE_REQUIRED,
    SUB_CASE_MOVES,
    SUB_CASE_REQUIRED,
    CaseState,
    SubCaseState,
    TransitionError,
    check_case_move,
    check_sub_case_move,
    join_outcome,
)

S = SubCaseState


def filled(required):
    return dict.fromkeys(required, "x")


@pytest.mark.parametrize("current, target", list(itertools.product(CaseState, CaseState)))
def test_case_moves_follow_the_table(current, target):
    fields = filled(CASE_REQUIRED.get(target, ()))
    if target in CASE_MOVES[current]:
        check_case_move(current, target, fields)
        for name in CASE_REQUIRED.get(target, ()):
            with pytest.raises(TransitionError) as error:
                check_case_move(current, target, {**fields, name: "  "})
            assert error.value.field == name
    else:
        with pytest.raises(TransitionError) as error:
            check_case_move(current, target, fields)
        assert error.value.field == "state"


@pytest.mark.parametrize("current, target", list(itertools.product(SubCaseState, SubCaseState)))
def test_sub_case_moves_follow_the_table(current, target):
    fields = filled(SUB_CASE_REQUIRED.get(target, ()))
    if target in SUB_CASE_MOVES[current]:
        check_sub_case_move(current, target, fields)
    else:
        with pytest.raises(TransitionError):
            check_sub_case_move(current, target, fields)


def test_every_state_is_in_the_tables_and_final_states_have_no_exit():
    assert set(CASE_MOVES) == set(CaseState) and set(SUB_CASE_MOVES) == set(SubCaseState)
    assert CASE_MOVES[CaseState.RATED] == CASE_MOVES[CaseState.REFUSED] == frozenset()
    assert all(not SUB_CASE_MOVES[s] for s in (S.APPROVED, S.REFUSED, S.CONFIRMED, S.REVOKED, S.WITHDRAWN))


@pytest.mark.parametrize("states, fails, outcome", [
    ([S.APPROVED, S.PENDING], False, None),
    ([S.APPROVED, S.COMMITTED, S.APPROVED], False, "granted"),
    ([S.APPROVED, S.REFUSED], False, "partial"),
    ([S.APPROVED, S.REFUSED], True, "refused"),
    ([S.REFUSED, S.WITHDRAWN], True, "refused"),
    ([S.REFUSED], False, "refused"),
    ([], False, None),
])
def test_join(states, fails, outcome):
    assert join_outcome(states, fails) == outcome
