"""Ingest through NATS JetStream: the message form, exactly-once storage, and the sink against a real server.

Every test that needs NATS starts its own ``nats-server -js`` on a free port with its store in a temporary
directory (never the machine's shared server), so a fresh machine with the binary runs them.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta

import pytest

from changji.water.gateway import stream, stream_storage
from changji.water.gateway.database_sink import DatabaseSink
from changji.water.gateway.jetstream_sink import JetStreamSink
from changji.water.gateway.records import InboundFrame
from changji.water.gateway.sink import SinkUnavailable
from changji.water.gateway.stream_writer import StreamWriter
from changji.water.models import Frame, Reading
from changji.water.protocols.reading import Reading as CanonicalReading
from tests.water.gateway.nats_server import NatsServer, requires_nats_server

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def _inbound(terminal_id: int | None, address: str, minute: int, volume: float | None = None) -> InboundFrame:
    observed = T0 + timedelta(minutes=minute)
    return InboundFrame(
        observed + timedelta(seconds=3, microseconds=17), "127.0.0.1:1", "szy206",
        bytes([0x68, minute % 256, 0x16]) + address.encode(), "stored", address=address, function="C0",
        terminal_id=terminal_id, observed_at=observed,
        reading=CanonicalReading("szy206", address, observed, volume_m3=float(minute) if volume is None else volume,
                                 pump_on=False, native={"flow": [42.5], "raw": b"\x01\xff"}),
    )


def test_a_frame_survives_the_message_form_unchanged():
    item = _inbound(7, "6523230001", 3)
    item.future_dated, item.error = True, "observation time is ahead of the receipt time \ud800"
    back = stream.decode_frame(stream.encode_frame(item))
    assert back.received_at == item.received_at and back.observed_at == item.observed_at
    assert (back.peer, back.protocol, back.raw, back.outcome, back.address, back.function, back.terminal_id) == (
        item.peer, item.protocol, item.raw, item.outcome, item.address, item.function, item.terminal_id)
    assert back.future_dated is True and back.error == item.error
    assert back.reading is not None and back.reading.canonical() == item.reading.canonical()
    assert back.reading.pump_on is False and back.reading.observed_at == item.reading.observed_at
    assert back.reading.native == {"flow": [42.5], "raw": "01FF"}  # bytes as storable_json stores them


def test_a_frame_without_a_reading_and_odd_numbers_round_trip():
    item = InboundFrame(T0, "peer", "sl651", b"\x7e\x7e", "undecodable", error="bad")
    assert stream.decode_frame(stream.encode_frame(item)).reading is None
    odd = _inbound(1, "6523230001", 1, volume=math.inf)
    assert stream.decode_frame(stream.encode_frame(odd)).reading.volume_m3 == math.inf


def test_the_message_id_is_the_frame_itself():
    first, again = _inbound(1, "6523230001", 1), _inbound(1, "6523230001", 1)
    again.received_at += timedelta(seconds=30)  # the terminal re-sent it: same bytes, same id
    assert stream.frame_msg_id(first) == stream.frame_msg_id(again)
    assert stream.frame_msg_id(first) != stream.frame_msg_id(_inbound(1, "6523230001", 2))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_redelivered_batch_is_stored_once(make_terminal):
    terminal = make_terminal()
    entries = [(100 + m, _inbound(terminal.id, terminal.address, m)) for m in range(5)]
    assert stream_storage.store_stream_frames(entries) == [True] * 5
    # The writer died after the commit and before its acks: JetStream delivers the batch again, with more.
    more = [*entries, (105, _inbound(terminal.id, terminal.address, 5))]
    assert stream_storage.store_stream_frames(more) == [True] * 6
    assert Frame.objects.count() == 6 and Reading.objects.count() == 6
    assert sorted(Frame.objects.values_list("stream_seq", flat=True)) == list(range(100, 106))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_sequence_from_a_recreated_stream_is_a_new_frame(make_terminal):
    terminal = make_terminal()
    stream_storage.store_stream_frames([(1, _inbound(terminal.id, terminal.address, 1))])
    later = _inbound(terminal.id, terminal.address, 2)
    assert stream_storage.store_stream_frames([(1, later)]) == [True]
    assert Frame.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_abandoned_message_marks_its_packets_by_stream_sequence(make_terminal):
    terminal = make_terminal()
    stream_storage.store_stream_frames([(s, _inbound(terminal.id, terminal.address, s)) for s in (1, 2)])
    found = stream_storage.mark_abandoned(stream.Abandoned((1, 2, 3), "2 of 5 packets"))
    assert found == 2
    assert set(Frame.objects.values_list("outcome", "error")) == {("rejected", "2 of 5 packets")}


@pytest.fixture
def nats_server(tmp_path):
    requires_nats_server()
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()


@requires_nats_server.mark
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sink_acknowledges_after_the_stream_stored_and_a_writer_stores_it(make_terminal, run, nats_server):
    terminal = make_terminal()
    sink = JetStreamSink(nats_server.url, database=DatabaseSink(), publish_timeout_s=2.0)
    writer = StreamWriter(nats_server.url, batch=50, fetch_timeout_s=0.2)

    async def scenario():
        await sink.start()
        try:
            results = await asyncio.gather(*(sink.store(_inbound(terminal.id, terminal.address, m)) for m in range(20)))
            again = await sink.store(_inbound(terminal.id, terminal.address, 0))  # a re-sent frame
            assert await sink.terminal("szy206", terminal.address) is not None  # lookups from the database
        finally:
            await sink.close()
        stop = asyncio.Event()
        writing = asyncio.ensure_future(writer.run(stop))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if writer.counters.stored >= 20:
                break
        stop.set()
        await writing
        return results, again

    results, again = run(scenario())
    assert sorted(r.frame_id for r in results) == list(range(1, 21))  # stream sequences
    assert again.frame_id == results[0].frame_id, "the re-sent frame is the stored message, not a new one"
    assert Frame.objects.count() == 20 and Reading.objects.count() == 20


@requires_nats_server.mark
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sink_refuses_while_nats_is_down_and_recovers_on_its_own(make_terminal, run, nats_server):
    terminal = make_terminal()
    sink = JetStreamSink(nats_server.url, database=DatabaseSink(), publish_timeout_s=0.5)

    async def scenario():
        await sink.start()
        try:
            await sink.store(_inbound(terminal.id, terminal.address, 1))
            await asyncio.get_running_loop().run_in_executor(None, nats_server.stop)
            with pytest.raises(SinkUnavailable):
                await sink.store(_inbound(terminal.id, terminal.address, 2))
            await asyncio.get_running_loop().run_in_executor(None, nats_server.start)
            for _ in range(100):  # the connection comes back by itself
                try:
                    return await sink.store(_inbound(terminal.id, terminal.address, 2))
                except SinkUnavailable:
                    await asyncio.sleep(0.1)
            raise AssertionError("the sink never stored again after NATS came back")
        finally:
            await sink.close()

    assert run(scenario()).frame_id == 2, "the first frame is still in the stream (file storage)"
