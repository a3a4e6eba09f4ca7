"""Deliver the outbox after commit: claim due notices, hold back those over the rate limit, send, record.

One round (``deliver_batch``):

1. **Claim** up to ``batch`` due notices of the configured channels (state PENDING, RETRYING, RATE_LIMITED or a
   SENDING whose lease ran out, ``next_attempt_at`` passed) and mark them SENDING with a lease
   (``next_attempt_at = now + LEASE``) and one more attempt. On PostgreSQL the rows are read with
   ``SELECT … FOR UPDATE SKIP LOCKED``, so several senders share the outbox without waiting on each other; on
   SQLite the claiming transaction holds the database's write lock (``transaction_mode = IMMEDIATE``).
2. **Rate limit**: a notice whose recipient address already got the hour's limit (``policy.rate_release``)
   goes to RATE_LIMITED until the hour has room; its attempt is not counted.
3. **Send** each channel's notices with its sender (``senders``) and **record** each result through the state
   table (``states.TABLE``): SENT with the provider's id, RETRYING after a backoff (``policy.backoff``), FAILED
   for a permanent refusal or when the attempts are used up, RATE_LIMITED when the provider throttled.

``deliver`` repeats rounds until nothing is due or its time is up; the minutely job ``core.notifications.deliver``
and ``changji notifications deliver`` run it. Idempotent: a notice is sent by the round that claimed it, and a
second run finds nothing due.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from changji.core.models import Channel, Notification
from changji.core.notifications import policy
from changji.core.notifications.aliyun_sms import Outcome
from changji.core.notifications.senders import Result, Sender, default_senders
from changji.core.notifications.states import DUE_STATES, TABLE, State
from changji.core.transitions import check_transition

log = logging.getLogger("changji.core.notifications")

#: How long a claim holds a notice before another sender may take it over (its sender died).
LEASE = timedelta(minutes=5)
BATCH = 200

assert all(TABLE.allows(state, State.SENDING) for state in DUE_STATES)  # the claim's bulk move is in the table


@dataclass
class Counts:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    rate_limited: int = 0
    failed: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: Counts) -> None:
        for name in ("claimed", "sent", "retrying", "rate_limited", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for channel, count in other.by_channel.items():
            self.by_channel[channel] += count

    def as_dict(self) -> dict[str, int]:
        return {"claimed": self.claimed, "sent": self.sent, "retrying": self.retrying,
                "rate_limited": self.rate_limited, "failed": self.failed}


def limits() -> dict[str, int]:
    """Notices per recipient address and sliding hour, per channel (settings)."""
    return {Channel.SMS: settings.CHANGJI_SMS_PER_HOUR, Channel.EMAIL: settings.CHANGJI_EMAIL_PER_HOUR}


def claim(channels: Iterable[str], now: datetime, batch: int = BATCH) -> list[Notification]:
    """Claim up to ``batch`` due notices of ``channels``: SENDING, one more attempt, leased until now + LEASE."""
    due = Notification.objects.filter(channel__in=list(channels), state__in=list(DUE_STATES),
                                      next_attempt_at__lte=now).order_by("next_attempt_at", "id")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due[:batch])
        ids = [row.pk for row in rows]
        Notification.objects.filter(pk__in=ids).update(state=State.SENDING, next_attempt_at=now + LEASE)
    for row in rows:
        row.state, row.next_attempt_at = State.SENDING, now + LEASE
    return rows


def _sent_times(rows: list[Notification], now: datetime) -> dict[tuple[str, str], list[datetime]]:
    """The send times within the last hour of every address in ``rows``, by (channel, address)."""
    found: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    keys = {(row.channel, row.address) for row in rows}
    if not keys:
        return found
    query = Q()
    for channel in {channel for channel, _ in keys}:
        query |= Q(channel=channel, address__in=[address for c, address in keys if c == channel])
    for channel, address, sent_at in Notification.objects.filter(
            query, state=State.SENT, sent_at__gt=now - policy.RATE_WINDOW).values_list("channel", "address", "sent_at"):
        if sent_at is not None:
            found[(channel, address)].append(sent_at)
    return found


def hold_back(rows: list[Notification], now: datetime, caps: Mapping[str, int]) -> tuple[list[Notification],
                                                                                        list[Notification]]:
    """Split claimed rows into (to send, held back by the per-address limit); the held ones are moved."""
    sent = _sent_times(rows, now)
    go, held = [], []
    for row in rows:
        key = (row.channel, row.address)
        release = policy.rate_release(sent[key], now, caps.get(row.channel, 10**9))
        if release is None:
            sent[key].append(now)  # counts against the next notice to the same address in this round
            go.append(row)
        else:
            _move(row, State.RATE_LIMITED, next_attempt_at=release,
                  last_error=f"超过每小时 {caps[row.channel]} 条的接收上限")
            held.append(row)
    return go, held


def _move(row: Notification, target: State, **fields: Any) -> None:
    check_transition(TABLE, State(row.state), target, by_system=True)
    row.state = target
    for name, value in fields.items():
        setattr(row, name, value)


def settle(row: Notification, result: Result, now: datetime) -> State:
    """Apply one send's ``result`` to ``row`` (not saved); return the new state."""
    if result.outcome == Outcome.SENT:
        _move(row, State.SENT, sent_at=now, provider_message_id=result.provider_id[:100], last_error="",
              next_attempt_at=None)
    elif result.outcome == Outcome.THROTTLED:
        _move(row, State.RATE_LIMITED, next_attempt_at=now + policy.RATE_WINDOW, last_error=result.error)
    elif result.outcome == Outcome.PERMANENT or policy.exhausted(row.attempts):
        _move(row, State.FAILED, next_attempt_at=None, last_error=result.error)
    else:
        _move(row, State.RETRYING, next_attempt_at=now + policy.backoff(row.attempts), last_error=result.error)
    return State(row.state)


SETTLED_FIELDS = ["state", "attempts", "next_attempt_at", "last_error", "provider_message_id", "sent_at"]


def record(rows: list[Notification]) -> None:
    """Store the settled fields of ``rows``: one prepared UPDATE run for every row (``executemany``).

    Django's ``bulk_update`` builds a ``CASE WHEN`` expression per field and row, which cost more than the
    sending itself for a batch of 200; the rows differ in every field, so a prepared statement is the short way.
    """
    meta = Notification._meta
    columns = [str(getattr(meta.get_field(name), "column", name)) for name in SETTLED_FIELDS]
    ops = connection.ops
    sql = (f"UPDATE {ops.quote_name(meta.db_table)} SET "
           + ", ".join(f"{ops.quote_name(column)} = %s" for column in columns)
           + f" WHERE {ops.quote_name('id')} = %s")
    values = [(row.state, row.attempts, ops.adapt_datetimefield_value(row.next_attempt_at), row.last_error,
               row.provider_message_id, ops.adapt_datetimefield_value(row.sent_at), row.pk) for row in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, values)


def deliver_batch(senders: Mapping[str, Sender], now: datetime | None = None, batch: int = BATCH,
                  clock: Any = timezone.now) -> Counts:
    """One round: claim, hold back over the limit, send, record (see the module docstring)."""
    now = now if now is not None else clock()
    counts = Counts()
    rows = claim(senders, now, batch)
    counts.claimed = len(rows)
    if not rows:
        return counts
    go, held = hold_back(rows, now, limits())
    counts.rate_limited += len(held)
    by_channel: dict[str, list[Notification]] = defaultdict(list)
    for row in go:
        row.attempts += 1
        by_channel[row.channel].append(row)
    for channel, notices in by_channel.items():
        results = senders[channel].send(notices)
        done = clock()
        for row, result in zip(notices, results, strict=True):
            state = settle(row, result, done)
            counts.by_channel[channel] += state == State.SENT
            if state == State.SENT:
                counts.sent += 1
            elif state == State.RETRYING:
                counts.retrying += 1
            elif state == State.RATE_LIMITED:
                counts.rate_limited += 1
            else:
                counts.failed += 1
    record(rows)
    return counts


def deliver(senders: Mapping[str, Sender] | None = None, *, budget_s: float = 50.0, batch: int = BATCH,
            clock: Any = timezone.now) -> Counts:
    """Deliver rounds until nothing is due or ``budget_s`` seconds have passed; return the totals."""
    chosen = dict(senders) if senders is not None else default_senders()
    total = Counts()
    if not chosen:
        return total
    started = time.monotonic()
    try:
        while time.monotonic() - started < budget_s:
            counts = deliver_batch(chosen, batch=batch, clock=clock)
            total.add(counts)
            if counts.claimed < batch:
                break
    finally:
        for sender in chosen.values():
            sender.close()
    if total.claimed:
        log.info("notifications delivered: %s", total.as_dict())
    return total


def retry(notice: Notification, now: datetime | None = None) -> Notification:
    """An operator sends a FAILED notice again (the delivery log's 重试): PENDING, attempts reset, due now."""
    check_transition(TABLE, State(notice.state), State.PENDING)
    notice.state, notice.attempts, notice.next_attempt_at = State.PENDING, 0, now or timezone.now()
    notice.save(update_fields=["state", "attempts", "next_attempt_at"])
    return notice
