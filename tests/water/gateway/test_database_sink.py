"""The database sink: group commit on its own thread, terminal cache, the command queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError

from changji.core.models import AuditEntry
from changji.water.gateway import storage
from changji.water.gateway.database_sink import DatabaseSink
from changji.water.gateway.records import InboundFrame
from changji.water.gateway.sink import SinkUnavailable
from changji.water.models import Command, CommandState, Frame, Reading
from changji.water.protocols.reading import Reading as CanonicalReading

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def _inbound(terminal, minute: int) -> InboundFrame:
    observed = T0 + timedelta(minutes=minute)
    return InboundFrame(
        observed, "127.0.0.1:1", "szy206", b"\x68", "stored", address=terminal.address, function="C0",
        terminal_id=terminal.id, observed_at=observed,
        reading=CanonicalReading("szy206", terminal.address, observed, volume_m3=float(minute)),
    )


def test_concurrent_stores_share_one_commit(make_terminal, run):
    terminal = make_terminal()
    sink = DatabaseSink(batch_linger_s=0.05)

    async def scenario():
        await sink.start()
        try:
            results = await asyncio.gather(*(sink.store(_inbound(terminal, m)) for m in range(50)))
        finally:
            await sink.close()
        return results

    results = run(scenario())
    assert all(r.stored_reading for r in results)
    assert sink.batches == 1 and sink.committed == 50
    assert Reading.objects.count() == 50 and Frame.objects.count() == 50


def test_failed_commit_acknowledges_nothing_and_the_next_batch_recovers(make_terminal, run, monkeypatch):
    terminal = make_terminal()
    sink = DatabaseSink(batch_linger_s=0)
    real_commit = storage.commit_frames
    calls = {"n": 0}

    def flaky(items):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit(items)

    monkeypatch.setattr(storage, "commit_frames", flaky)

    async def scenario():
        await sink.start()
        try:
            with pytest.raises(SinkUnavailable):
                await sink.store(_inbound(terminal, 0))
            return await sink.store(_inbound(terminal, 5))
        finally:
            await sink.close()

    assert run(scenario()).stored_reading
    assert sink.failures == 1
    assert list(Reading.objects.values_list("volume_m3", flat=True)) == [5.0]


def test_terminal_lookup_uses_the_cache_and_remembers_unknown_addresses(make_terminal, run):
    terminal = make_terminal()
    sink = DatabaseSink()

    async def scenario():
        await sink.start()
        try:
            known = await sink.terminal("szy206", terminal.address)
            unknown = await sink.terminal("szy206", "6523239999")
            await asyncio.to_thread(make_terminal, "6523239999")
            still_unknown = await sink.terminal("szy206", "6523239999")
        finally:
            await sink.close()
        return known, unknown, still_unknown

    known, unknown, still_unknown = run(scenario())
    assert known.id == terminal.id and unknown is None and still_unknown is None


def test_command_lifecycle_is_recorded_and_audited(make_terminal, run):
    terminal = make_terminal()
    command = Command.objects.create(
        terminal=terminal, kind="pump_stop", reason="超许可取水", requested_by_name="operator",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    sink = DatabaseSink()

    async def scenario():
        await sink.start()
        try:
            [pending] = sink.pending_commands(terminal.id)
            await sink.command_sent(pending, datetime.now(UTC), b"\x68\x93")
            [sent] = sink.pending_commands(terminal.id)
            await sink.command_finished(sent, "confirmed", datetime.now(UTC), {"function": "93"})
            return sent, sink.pending_commands(terminal.id)
        finally:
            await sink.close()

    sent, left = run(scenario())
    assert sent.attempts == 1 and left == []
    command.refresh_from_db()
    assert command.state == CommandState.CONFIRMED and command.attempts == 1
    assert command.answer == {"function": "93"}
    actions = list(AuditEntry.objects.order_by("at").values_list("action", "region_id"))
    assert actions == [("water.command.sent", "652323"), ("water.command.confirmed", "652323")]


def test_overdue_commands_expire_when_the_queue_is_loaded(make_terminal):
    terminal = make_terminal()
    command = Command.objects.create(
        terminal=terminal, kind="pump_start", reason="r", requested_by_name="op",
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    assert storage.load_open_commands() == {}
    command.refresh_from_db()
    assert command.state == CommandState.EXPIRED
    assert AuditEntry.objects.filter(action="water.command.expired").count() == 1


def test_a_frame_the_database_refuses_fails_alone_and_its_batch_commits(make_terminal, run):
    terminal, gone = make_terminal(), make_terminal("6523230009")
    orphan = _inbound(gone, 1)
    gone.delete()  # deleted after the gateway cached it
    broken = _inbound(terminal, 2)
    broken.received_at = None  # refused even as a rejected frame
    sink = DatabaseSink(batch_linger_s=0.05)

    async def scenario():
        await sink.start()
        try:
            stores = [sink.store(_inbound(terminal, 0)), sink.store(orphan), sink.store(broken)]
            return await asyncio.gather(*stores, return_exceptions=True)
        finally:
            await sink.close()

    stored, rejected, unavailable = run(scenario())
    assert stored.stored_reading and not stored.rejected
    assert rejected.rejected.startswith("not storable: LookupError") and not rejected.stored_reading
    assert isinstance(unavailable, SinkUnavailable)
    assert sink.failures == 0 and sink.batches == 1
    assert list(Reading.objects.values_list("volume_m3", flat=True)) == [0.0]
    assert sorted(Frame.objects.values_list("outcome", flat=True)) == ["rejected", "stored"]


def test_abandoned_packets_are_marked_rejected_with_the_reason(make_terminal, run):
    terminal = make_terminal()
    sink = DatabaseSink()

    async def scenario():
        await sink.start()
        try:
            results = [await sink.store(_inbound(terminal, m)) for m in (0, 5)]
            await sink.mark_abandoned([results[0].frame_id], "multi-packet message abandoned: no packet for 300 s")
        finally:
            await sink.close()

    run(scenario())
    assert list(Frame.objects.order_by("id").values_list("outcome", "error")) == [
        ("rejected", "multi-packet message abandoned: no packet for 300 s"), ("stored", ""),
    ]
