"""Delivery on the downstream: numbered batches of each stream, sent to the upstream at least once.

Per stream (in ``streams.all_streams`` order, the registry before the rows that refer to it):

* **Batches are fixed once formed.** Unbatched outbox entries (``batch_seq`` null), oldest first, up to the
  link's batch size, get the next number (``StreamDelivery.formed_seq + 1``) in one transaction; an
  ``OutboundBatch`` row records its first and last entry id. A re-send reads the same entries, so the upstream
  sees the same batch. An entry committed late with a lower id simply goes into a later batch.
* **At least once, in order.** ``next_seq`` is the first batch not yet acknowledged. A 200 (applied or
  already applied) moves it on; a 409 (the upstream expects an earlier number: it lost state, or a batch
  went missing) rewinds it to the expected number and re-sends from there.
* **Backpressure.** At most ``MAX_BATCHES_PER_RUN`` batches per stream per run; a failure (connection
  refused, timeout, 5xx, a refusal) stops the stream for this run and sets ``next_try_at`` with exponential
  back-off (``backoff``), keeping the last error for the page.
* **In stream order.** A stream is sent only once every earlier stream is drained in the same run (a failing,
  backing-off or not yet drained registry holds back the usage that refers to its wells), so the upstream
  never receives a row before the row it refers to.
* **Resumable.** Everything above is in the database: after either side restarts, the next run continues.

:func:`push` also pulls the upstream's raw-reading requests and this year's 总量控制 targets (``pull``), and
:func:`prune` deletes delivered entries after ``RETENTION``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import import_module
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from changji.core import localtime
from changji.water.models import OutboundBatch, OutboxEntry, StreamDelivery, UpstreamLink
from changji.water.sharing import authentication, streams
from changji.water.sharing.client import TransportError, Upstream

log = logging.getLogger("changji.water.exchange")
MAX_BATCHES_PER_RUN = 50
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_MAX = timedelta(minutes=15)
#: Delivered entries are kept this long (a rewind after the upstream lost state is answered from them).
RETENTION = timedelta(days=7)


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` consecutive failures: 5 s, 10 s, 20 s … at most 15 minutes."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def active_link() -> UpstreamLink | None:
    """This instance's upstream link, if one is configured and active."""
    return UpstreamLink.objects.filter(active=True).order_by("pk").first()


def upstream_of(link: UpstreamLink) -> Upstream:
    """The HTTP client of ``link``."""
    return Upstream(link.base_url, link.key_id, link.secret)


@dataclass
class StreamRun:
    """What one run did for one stream."""

    sent: int = 0
    rows: int = 0
    rewound: int = 0
    error: str = ""
    drained: bool = False
    waiting: bool = False


@dataclass
class PushResult:
    """What one push did: per stream, and the pull of requests and targets."""

    streams: dict[str, StreamRun] = field(default_factory=dict)
    pulled: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """Totals for the job runner."""
        return {"batches": sum(r.sent for r in self.streams.values()),
                "rows": sum(r.rows for r in self.streams.values()),
                "errors": sum(bool(r.error) for r in self.streams.values())}


def stream_names() -> list[str]:
    """Streams to deliver: the registered ones in order, then any other name found in the outbox."""
    names = [s.name for s in streams.all_streams()]
    extra = set(OutboxEntry.objects.values_list("stream", flat=True).distinct()) - set(names)
    return names + sorted(extra)


def form_batch(stream: str, size: int) -> OutboundBatch | None:
    """Put the oldest unbatched entries of ``stream`` (at most ``size``) into the next numbered batch."""
    with transaction.atomic():
        state = _state(stream, lock=True)
        ids = list(OutboxEntry.objects.filter(stream=stream, batch_seq__isnull=True).order_by("id")
                   .values_list("id", flat=True)[:size])
        if not ids:
            return None
        seq = state.formed_seq + 1
        OutboxEntry.objects.filter(id__in=ids).update(batch_seq=seq)
        state.formed_seq = seq
        state.save(update_fields=["formed_seq"])
        return OutboundBatch.objects.create(stream=stream, seq=seq, first_entry_id=ids[0], last_entry_id=ids[-1],
                                            rows=len(ids))


def _state(stream: str, lock: bool = False) -> StreamDelivery:
    StreamDelivery.objects.get_or_create(stream=stream)
    rows = StreamDelivery.objects.select_for_update() if lock else StreamDelivery.objects
    return rows.get(stream=stream)


def unbatched(stream: str) -> int:
    """Entries of ``stream`` not yet put in a batch."""
    return OutboxEntry.objects.filter(stream=stream, batch_seq__isnull=True).count()


def backlog(stream: str) -> int:
    """Entries of ``stream`` not yet acknowledged by the upstream (unbatched, or in an unacknowledged batch)."""
    state = _state(stream)
    unbatched = OutboxEntry.objects.filter(stream=stream, batch_seq__isnull=True).count()
    waiting = OutboundBatch.objects.filter(stream=stream, seq__gte=state.next_seq).aggregate(n=Sum("rows"))["n"]
    return unbatched + (waiting or 0)


def _body(batch: OutboundBatch, left: int) -> dict[str, Any]:
    rows = (OutboxEntry.objects.filter(stream=batch.stream, batch_seq=batch.seq).order_by("id")
            .values_list("key", "region_code", "payload", "deleted"))
    entries = [{"key": k, "region_code": r, "payload": p, "deleted": d} for k, r, p, d in rows]
    if len(entries) != batch.rows:
        raise LookupError(f"批次 {batch.stream} #{batch.seq} 的记录已被清理，无法重发")
    return {"stream": batch.stream, "seq": batch.seq, "entries": entries, "backlog": left}


def _fail(state: StreamDelivery, message: str, now: datetime) -> str:
    state.attempts += 1
    state.next_try_at = now + backoff(state.attempts)
    state.last_error, state.last_error_at = message[:500], now
    state.save()
    log.warning("exchange push %s failed (attempt %d): %s", state.stream, state.attempts, message)
    return message


def _next_batch(state: StreamDelivery, size: int) -> OutboundBatch | None:
    found = OutboundBatch.objects.filter(stream=state.stream, seq=state.next_seq).first()
    if found is None and state.next_seq <= state.formed_seq:
        raise LookupError(f"批次 {state.stream} #{state.next_seq} 已被清理，无法重发")
    if found is None:
        found = form_batch(state.stream, size)
        state.formed_seq = found.seq if found is not None else state.formed_seq
    return found


def align(stream: str, expected_seq: int) -> None:
    """Align ``stream``'s numbering with the upstream's expected number (``GET status``), before sending.

    Expected below ``next_seq``: the upstream lost batches, rewind. Expected above: batches it acknowledged
    whose answer was lost are done; beyond what was formed here (this database restored from a backup),
    the numbering jumps ahead so new entries never reuse a number the upstream already applied.
    """
    with transaction.atomic():
        state = _state(stream, lock=True)
        if expected_seq == state.next_seq:
            return
        if expected_seq < state.next_seq:
            state.rewinds += 1
        else:
            OutboundBatch.objects.filter(stream=stream, seq__lt=expected_seq, delivered_at__isnull=True).update(
                delivered_at=timezone.now())
            state.formed_seq = max(state.formed_seq, expected_seq - 1)
        state.next_seq = expected_seq
        state.save()


def push_stream(upstream: Upstream, stream: str, size: int, now: datetime,
                limit: int = MAX_BATCHES_PER_RUN) -> StreamRun:
    """Send ``stream``'s next batches (at most ``limit``); see the module docstring."""
    run, state = StreamRun(), _state(stream)
    if state.next_try_at is not None and state.next_try_at > now:
        run.waiting = True
        return run
    left = backlog(stream)
    while run.sent < limit:
        try:
            batch = _next_batch(state, size)
            if batch is None:
                run.drained = True
                break
            status, answer = upstream.call("POST", "batches", _body(batch, left))
        except (TransportError, LookupError) as error:
            run.error = _fail(state, str(error), now)
            break
        if status == 409 and isinstance(answer, dict) and isinstance(answer.get("expected_seq"), int) \
                and 1 <= answer["expected_seq"] < state.next_seq and run.rewound < 3:
            state.next_seq, state.rewinds = answer["expected_seq"], state.rewinds + 1
            state.save(update_fields=["next_seq", "rewinds"])
            run.rewound += 1
            continue
        if status != 200:
            detail = answer.get("detail", "") if isinstance(answer, dict) else ""
            run.error = _fail(state, f"上级平台拒收（{status}）：{detail}", now)
            break
        OutboundBatch.objects.filter(pk=batch.pk, delivered_at__isnull=True).update(delivered_at=timezone.now())
        state.next_seq += 1
        state.attempts, state.next_try_at, state.last_error = 0, None, ""
        state.last_delivered_at = timezone.now()
        state.save()
        run.sent, run.rows, left = run.sent + 1, run.rows + batch.rows, max(left - batch.rows, 0)
    return run


def push(now: datetime | None = None, limit: int = MAX_BATCHES_PER_RUN, pull_too: bool = True) -> PushResult:
    """Deliver every stream's due batches to the active upstream, then pull requests and targets."""
    now = now or timezone.now()
    result = PushResult()
    link = active_link()
    if link is None:
        return result
    upstream = upstream_of(link)
    names = stream_names()
    _align_all(upstream, names)
    for name in names:
        run = push_stream(upstream, name, link.batch_size, now, limit)
        result.streams[name] = run
        if not run.drained:  # later streams refer to this one's rows (wells before their usage): wait for it
            break
    if pull_too:
        result.pulled = pull(upstream, localtime.local_day(now))
    return result


def _align_all(upstream: Upstream, names: list[str]) -> None:
    """Ask the upstream's status and align each stream with it (a failure is met again when sending)."""
    try:
        status, answer = upstream.call("GET", "status")
    except TransportError:
        return
    if status != 200 or not isinstance(answer, dict):
        return
    for item in answer.get("streams", []):
        expected = item.get("expected_seq") if isinstance(item, dict) else None
        if item.get("stream") in names and isinstance(expected, int) and expected >= 1:
            align(item["stream"], expected)


def retry_now() -> int:
    """Clear every stream's back-off so the next push tries at once (「立即上报」); return how many."""
    return StreamDelivery.objects.exclude(next_try_at=None).update(next_try_at=None)


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


def pull(upstream: Upstream, today: date) -> dict[str, Any]:
    """Answer the upstream's raw-reading requests and store this year's targets it set; return counts."""
    done: dict[str, Any] = {}
    try:
        status, answer = upstream.call("GET", "requests")
        queue = _optional("changji.water.sharing.readings", "queue_readings")
        if status == 200 and queue is not None:
            ids = []
            for item in answer.get("requests", []):
                since, until = localtime.days_bounds(date.fromisoformat(item["since"]),
                                                     date.fromisoformat(item["until"]))
                queue(item["well_code"], since, until)
                ids.append(item["id"])
            if ids:
                upstream.call("POST", "requests/done", {"ids": ids})
            done["requests"] = len(ids)
        status, answer = upstream.call("GET", "targets", query={"year": today.year})
        apply_targets = _optional("changji.water.sharing.targets", "apply_received_targets")
        if status == 200 and apply_targets is not None:
            apply_targets(answer.get("targets", []))
            done["targets"] = len(answer.get("targets", []))
    except TransportError as error:
        done["error"] = str(error)
        log.warning("exchange pull failed: %s", error)
    return done


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete delivered entries and batches older than ``RETENTION``, and stale nonces."""
    cutoff = (now or timezone.now()) - RETENTION
    entries = batches = 0
    for stream in OutboundBatch.objects.values_list("stream", flat=True).distinct():
        old = OutboundBatch.objects.filter(stream=stream, delivered_at__lt=cutoff)
        last = old.order_by("-seq").values_list("seq", flat=True).first()
        if last is None:
            continue
        entries += OutboxEntry.objects.filter(stream=stream, batch_seq__lte=last).delete()[0]
        batches += OutboundBatch.objects.filter(stream=stream, seq__lte=last,
                                                delivered_at__isnull=False).delete()[0]
    return {"entries": entries, "batches": batches, "nonces": authentication.prune_nonces(now)}
