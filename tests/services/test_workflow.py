"""The case and sub-case tables as designed, and the join of sub-cases.

tests/core/test_transitions.py walks their edges (every allowed move passes, every other one is refused).
"""

from __future__ import annotations

import pytest

from changji.services.workflow import (
    CASE_MOVES,
    SUB_CASE_MOVES,
    CaseState,
    SubCaseState,
    join_outcome,
)

S = SubCaseState


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
