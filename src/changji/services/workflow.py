"""The allowed moves of a case (办件) and of its sub-cases (分办件): explicit tables, no free-form states.

A state table (docs/architecture.md, "State tables"): each state lists the states it may move to, and a
move is checked against its table (``core.transitions.check_transition(CASE_TABLE, …)``) before anything
changes; ``tests/core/test_transitions.py`` walks every edge of the tables. Plain Python, no Django.

A case: 受理 at the window (submitted → accepted, or → correction requested → resubmitted, or →
refused); on acceptance it is split into one sub-case per applicable item, dispatched to the
departments at once; when every sub-case has ended the case is results_ready; the window issues
all results together (issued); the applicant may then rate it (rated).

A sub-case: pending in the department inbox → claimed by a reviewer → approved or refused; a
reviewer may release it back to the inbox; for an item under 告知承诺 (承诺即准入) it is approved on
the applicant's commitment at once (committed) and a verification follows: confirmed, or
rectification, or revoked.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from changji.core.transitions import Table

__pure__ = True  # no Django: tests/test_architecture.py checks it


class CaseState(StrEnum):
    SUBMITTED = "submitted"  #: 已申请（待预审）
    CORRECTION = "correction"  #: 补齐补正（计时暂停）
    ACCEPTED = "accepted"  #: 已受理，已分发
    REFUSED = "refused"  #: 不予受理
    RESULTS_READY = "results_ready"  #: 各事项均已办结，待出件
    ISSUED = "issued"  #: 已出件
    RATED = "rated"  #: 已评价


class SubCaseState(StrEnum):
    PENDING = "pending"  #: 待认领
    CLAIMED = "claimed"  #: 办理中
    APPROVED = "approved"  #: 准予许可
    REFUSED = "refused"  #: 不予许可
    COMMITTED = "committed"  #: 承诺即准入（待核查）
    CONFIRMED = "confirmed"  #: 核查属实
    RECTIFY = "rectify"  #: 责令整改
    REVOKED = "revoked"  #: 撤销许可
    WITHDRAWN = "withdrawn"  #: 主件失败而终止


CASE_LABELS = {
    CaseState.SUBMITTED: "待预审", CaseState.CORRECTION: "待补正", CaseState.ACCEPTED: "审批中",
    CaseState.REFUSED: "不予受理", CaseState.RESULTS_READY: "待出件", CaseState.ISSUED: "已出件",
    CaseState.RATED: "已评价",
}
SUB_CASE_LABELS = {
    SubCaseState.PENDING: "待认领", SubCaseState.CLAIMED: "办理中", SubCaseState.APPROVED: "准予许可",
    SubCaseState.REFUSED: "不予许可", SubCaseState.COMMITTED: "承诺即准入", SubCaseState.CONFIRMED: "核查属实",
    SubCaseState.RECTIFY: "责令整改", SubCaseState.REVOKED: "撤销许可", SubCaseState.WITHDRAWN: "终止办理",
}

CASE_MOVES: Mapping[CaseState, frozenset[CaseState]] = {
    CaseState.SUBMITTED: frozenset({CaseState.ACCEPTED, CaseState.CORRECTION, CaseState.REFUSED}),
    CaseState.CORRECTION: frozenset({CaseState.SUBMITTED, CaseState.REFUSED}),
    CaseState.ACCEPTED: frozenset({CaseState.RESULTS_READY}),
    CaseState.RESULTS_READY: frozenset({CaseState.ISSUED}),
    CaseState.ISSUED: frozenset({CaseState.RATED}),
    CaseState.REFUSED: frozenset(),
    CaseState.RATED: frozenset(),
}

SUB_CASE_MOVES: Mapping[SubCaseState, frozenset[SubCaseState]] = {
    SubCaseState.PENDING: frozenset({SubCaseState.CLAIMED, SubCaseState.COMMITTED, SubCaseState.WITHDRAWN}),
    SubCaseState.CLAIMED: frozenset({SubCaseState.PENDING, SubCaseState.APPROVED, SubCaseState.REFUSED,
                                     SubCaseState.WITHDRAWN}),
    SubCaseState.COMMITTED: frozenset({SubCaseState.CONFIRMED, SubCaseState.RECTIFY, SubCaseState.REVOKED}),
    SubCaseState.RECTIFY: frozenset({SubCaseState.CONFIRMED, SubCaseState.REVOKED}),
    SubCaseState.APPROVED: frozenset(),
    SubCaseState.REFUSED: frozenset(),
    SubCaseState.CONFIRMED: frozenset(),
    SubCaseState.REVOKED: frozenset(),
    SubCaseState.WITHDRAWN: frozenset(),
}

#: A sub-case has *ended* for the join once it has a decision the window can issue.
SUB_CASE_ENDED = frozenset({SubCaseState.APPROVED, SubCaseState.REFUSED, SubCaseState.COMMITTED,
                            SubCaseState.CONFIRMED, SubCaseState.RECTIFY, SubCaseState.REVOKED,
                            SubCaseState.WITHDRAWN})
#: Sub-case states that count as granted (the applicant may operate).
SUB_CASE_GRANTED = frozenset({SubCaseState.APPROVED, SubCaseState.COMMITTED, SubCaseState.CONFIRMED,
                              SubCaseState.RECTIFY})

#: What a move must carry (besides who makes it), by target state.
CASE_REQUIRED: Mapping[CaseState, frozenset[str]] = {
    CaseState.CORRECTION: frozenset({"missing"}), CaseState.REFUSED: frozenset({"reason"}),
    CaseState.RATED: frozenset({"rating"}),
}
SUB_CASE_REQUIRED: Mapping[SubCaseState, frozenset[str]] = {
    SubCaseState.APPROVED: frozenset({"opinion"}), SubCaseState.REFUSED: frozenset({"opinion"}),
    SubCaseState.RECTIFY: frozenset({"opinion"}), SubCaseState.REVOKED: frozenset({"opinion"}),
    SubCaseState.CONFIRMED: frozenset({"opinion"}),
}


#: Names of the fields a move must carry, for the refusal's message.
FIELD_LABELS: Mapping[str, str] = {"missing": "补正内容", "reason": "理由", "rating": "评价", "opinion": "审批意见"}

#: The case table and the sub-case table (``core.transitions``).
CASE_TABLE = Table(noun="办件", moves=CASE_MOVES, labels=CASE_LABELS, required=CASE_REQUIRED,
                   field_labels=FIELD_LABELS)
SUB_CASE_TABLE = Table(noun="分办件", moves=SUB_CASE_MOVES, labels=SUB_CASE_LABELS, required=SUB_CASE_REQUIRED,
                       field_labels=FIELD_LABELS)


def join_outcome(sub_states: list[SubCaseState], refusal_fails_case: bool) -> str | None:
    """Return None while a sub-case is open, else "granted", "partial" or "refused" for the whole case.

    With ``refusal_fails_case`` (the bundle's policy) one refusal refuses the whole case; otherwise
    only its item is refused and the others are issued.
    """
    if not sub_states or any(state not in SUB_CASE_ENDED for state in sub_states):
        return None
    granted = [state in SUB_CASE_GRANTED for state in sub_states]
    if all(granted):
        return "granted"
    if refusal_fails_case or not any(granted):
        return "refused"
    return "partial"
