"""The delivery state table of a notice (pure: no Django).

::

    PENDING ──claim──> SENDING ──accepted──> SENT
       ▲                 │ │ └──transient error──> RETRYING ──claim──> SENDING
       │                 │ └──per-recipient limit──> RATE_LIMITED ──claim──> SENDING
       └──operator retry─┴──permanent error or attempts used up──> FAILED

An in-app notice is delivered by being written: it is created SENT. A claim is a lease: a row left SENDING
past its lease (the sender died) is claimed again (SENDING → SENDING). Only an operator moves FAILED back to
PENDING (the delivery log's 重试 button); every other move is the system's.
"""

from __future__ import annotations

from enum import StrEnum

from changji.core.transitions import Table

__pure__ = True  # no Django: tests/test_architecture.py checks it


class State(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    RATE_LIMITED = "rate_limited"
    FAILED = "failed"


LABELS = {State.PENDING: "待发送", State.SENDING: "发送中", State.SENT: "已发送", State.RETRYING: "等待重试",
          State.RATE_LIMITED: "限流延后", State.FAILED: "发送失败"}

#: States a sender claims when their ``next_attempt_at`` has come (SENDING: a lease run out).
DUE_STATES = frozenset({State.PENDING, State.RETRYING, State.RATE_LIMITED, State.SENDING})

TABLE = Table(
    noun="通知",
    moves={
        State.PENDING: frozenset({State.SENDING}),
        State.SENDING: frozenset({State.SENT, State.RETRYING, State.RATE_LIMITED, State.FAILED, State.SENDING}),
        State.RETRYING: frozenset({State.SENDING}),
        State.RATE_LIMITED: frozenset({State.SENDING}),
        State.SENT: frozenset(),
        State.FAILED: frozenset({State.PENDING}),
    },
    labels=LABELS,
    system_only=frozenset({State.SENDING, State.SENT, State.RETRYING, State.RATE_LIMITED, State.FAILED}),
)
