"""Gateway sessions with SZY206 terminals over real TCP, against the in-memory sink."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from changji.water.gateway.memory import MemorySink
from changji.water.gateway.records import PendingCommand, TerminalInfo
from changji.water.protocols import szy206
from changji.water.protocols.bcd import CST
from changji.water.sim.simulator import szy206_answer, szy206_link
from tests.waiting import eventually
from tests.water.gateway.conftest import TerminalClient, running_gateway

pytestmark = pytest.mark.django_db  # the session imports the water models' outcome names

ADDRESS = "6523230001"
TERMINAL = TerminalInfo(1, "szy206", ADDRESS)


def report(type_code: int, values: dict, when: datetime, delay: int = 10, address: str = ADDRESS,
           status: int = 0x20) -> bytes:
    label = szy206.TimeLabel.from_datetime(when, delay)
    return szy206.encode_self_report(address, type_code, values, label, status_word=status)


def flow(when, volume=1234, rate=42.5, **kw):
    return report(0x3, {"flow": [rate], "flow_unit": ["m3/h"], "volume_m3": [volume]}, when, **kw)


def energy(when, kwh=567.89, **kw):
    return report(0x8, {"energy_kwh": [kwh]}, when, **kw)


def now_minute():
    return datetime.now(UTC).replace(second=0, microsecond=0)


def test_flow_and_energy_frames_of_one_report_merge_and_are_acked(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            when = now_minute()
            await client.send(flow(when), energy(when))
            acks = [await client.receive(), await client.receive()]
            await client.close()
            return when, acks

    when, acks = run(scenario())
    assert all(a is not None and szy206.decode_szy206(a).afn == 0xC0 for a in acks)
    assert szy206.decode_szy206(acks[0]).direction == "down"
    [(key, row)] = sink.readings.items()
    assert key == (1, when.astimezone(CST))
    assert row == {"flow_m3h": 42.5, "volume_m3": 1234.0, "energy_kwh": 567.89, "pump_on": True,
                   "door_open": False, "ac_power_lost": False}


def test_no_ack_until_the_frame_is_committed(run):
    gate = asyncio.Event()
    sink = MemorySink([TERMINAL], gate=gate)

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute()))
            before = await client.receive(timeout=0.5)
            gate.set()
            after = await client.receive()
            await client.close()
            return before, after

    before, after = run(scenario())
    assert before is None
    assert after is not None


def test_sink_failure_means_no_ack_and_the_connection_lives_on(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            sink.available = False
            await client.send(flow(now_minute()))
            lost = await client.receive(timeout=0.5)
            sink.available = True
            await client.send(flow(now_minute()))
            kept = await client.receive()
            await client.close()
            return lost, kept, gateway.metrics

    lost, kept, metrics = run(scenario())
    assert lost is None and kept is not None
    assert metrics.not_acked_sink_down == 1


def test_unknown_terminal_is_quarantined_not_acked(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute(), address="6523239999"))
            answer = await client.receive(timeout=0.5)
            await client.close()
            return answer

    assert run(scenario()) is None
    assert [(f.outcome, f.address) for f in sink.frames] == [("quarantined", "6523239999")]
    assert not sink.readings


def test_auto_register_acks_an_unknown_terminal(run):
    sink = MemorySink([])

    async def scenario():
        async with running_gateway(sink, auto_register=True) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute(), address="6523239999"))
            answer = await client.receive()
            await client.close()
            return answer

    assert run(scenario()) is not None
    assert ("szy206", "6523239999") in sink.terminals
    assert len(sink.readings) == 1


def test_crc_error_is_counted_and_the_next_frame_still_acked(run):
    sink = MemorySink([TERMINAL])
    bad = bytearray(flow(now_minute()))
    bad[12] ^= 0x01

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(bytes(bad), b"\x7e", flow(now_minute()))
            answer = await client.receive()
            extra = await client.receive(timeout=0.3)
            await client.close()
            return answer, extra, gateway.metrics

    answer, extra, metrics = run(scenario())
    assert answer is not None and extra is None
    assert metrics.rejected == 1 and metrics.garbage_bytes == 1
    assert sorted(f.outcome for f in sink.frames) == ["rejected", "stored"]
    [rejected] = [f for f in sink.frames if f.outcome == "rejected"]
    assert "CRC mismatch: expected" in rejected.error


def test_garbage_only_peer_is_cut_off(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink, garbage_limit_bytes=512) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(b"GET / HTTP/1.1\r\n" * 64)
            closed = await client.closed_by_gateway()
            return closed, gateway.metrics

    closed, metrics = run(scenario())
    assert closed and metrics.cut_off == 1


def test_flooding_peer_is_cut_off(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink, max_frames_per_s=2) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(*[szy206_link(ADDRESS, 0xF2)] * 40)
            closed = await client.closed_by_gateway()
            return closed, gateway.metrics

    closed, metrics = run(scenario())
    assert closed and metrics.cut_off == 1


def test_idle_connection_is_closed(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink, idle_timeout_s=0.3) as gateway:
            client = await TerminalClient.connect(gateway.port)
            return await client.closed_by_gateway(timeout=2)

    assert run(scenario())


def test_link_check_is_echoed(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(szy206_link(ADDRESS, 0xF2))
            echo = await client.receive()
            await client.close()
            return echo

    echo = szy206.decode_szy206(run(scenario()))
    assert echo.afn == 0x02 and echo.direction == "down" and echo.link == "keepalive"


def test_late_report_is_stored_and_marked_late_by_default(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute() - timedelta(hours=1), delay=10))
            answer = await client.receive()
            await client.close()
            return answer

    assert run(scenario()) is not None
    [frame] = sink.frames
    assert frame.outcome == "stored" and "allowed delay of 10 min" in frame.error
    assert frame.reading.native["late"] is True
    assert len(sink.readings) == 1


def test_late_report_under_the_reject_policy_is_evidence_only(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink, time_label_delay="reject") as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute() - timedelta(hours=1), delay=10))
            answer = await client.receive()
            await client.close()
            return answer

    assert run(scenario()) is not None
    assert [f.outcome for f in sink.frames] == ["late"]
    assert not sink.readings


def test_backfill_with_delay_zero_is_stored(run):
    sink = MemorySink([TERMINAL])
    base = now_minute() - timedelta(hours=3)

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            for i in (2, 0, 1, 0):  # reordered, with a retransmission
                await client.send(flow(base + timedelta(minutes=5 * i), volume=100 + i, delay=0))
                assert await client.receive() is not None
            await client.close()

    run(scenario())
    assert sorted(row["volume_m3"] for row in sink.readings.values()) == [100.0, 101.0, 102.0]


def test_future_dated_report_is_flagged(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute() + timedelta(minutes=30), delay=0))
            await client.receive()
            await client.close()

    run(scenario())
    assert sink.frames[0].future_dated and "ahead" in sink.frames[0].error


def test_pump_stop_is_delivered_after_an_uplink_and_confirmed_by_the_answer(run):
    sink = MemorySink([TERMINAL])
    command = PendingCommand(id="c1", terminal_id=1, kind="pump_stop")
    sink.commands[1] = [command]

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute()))
            ack = await client.receive()
            downlink = await client.receive()
            stop = szy206.decode_szy206(downlink)
            await client.send(szy206_answer(ADDRESS, stop.afn, stop.data))
            await eventually(lambda: sink.finished, what="the terminal's answer to finish the command")
            await client.close()
            return ack, stop

    ack, stop = run(scenario())
    assert stop.afn == 0x93 and stop.direction == "down"
    assert sink.sent[0][0] == "c1"
    assert sink.finished == [("c1", "confirmed", {"function": "93", "values": {"result": "01"}}, "")]


def test_command_without_answer_fails_after_its_attempts(run):
    sink = MemorySink([TERMINAL])
    sink.commands[1] = [PendingCommand(id="c2", terminal_id=1, kind="pump_start", max_attempts=2)]

    async def scenario():
        async with running_gateway(sink, command_answer_timeout_s=0.0) as gateway:
            client = await TerminalClient.connect(gateway.port)
            # Each keep-alive gives the command its next chance: sent, sent again, then given up.
            for done, what in [(lambda: len(sink.sent) == 1, "the first attempt"),
                               (lambda: len(sink.sent) == 2, "the second attempt"),
                               (lambda: sink.finished, "the command to be given up")]:
                await client.send(szy206_link(ADDRESS, 0xF2))
                await eventually(done, what=what)
            await client.close()

    run(scenario())
    assert len(sink.sent) == 2
    assert sink.finished[0][1] == "failed" and "no answer after 2" in sink.finished[0][3]


def _picture_frames(jpeg: bytes, when: datetime) -> list[bytes]:
    chunks = [jpeg[i : i + 400] for i in range(0, len(jpeg), 400)]
    frames = []
    for index, chunk in enumerate(chunks):
        frames.append(szy206.encode_szy206(szy206.Szy206Frame(
            direction="up", div=True, divs=len(chunks) - index, fcb=3, type_code=0, address=ADDRESS,
            afn=0x83, data=chunk, password=None, time_label=None,
        )))
    return frames


def test_picture_frames_reassemble_into_a_snapshot(run):
    sink = MemorySink([TERMINAL])
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            acks = []
            for frame in _picture_frames(jpeg, now_minute()):
                await client.send(frame)
                acks.append(await client.receive())
            await client.close()
            return acks

    acks = run(scenario())
    assert all(a is not None for a in acks) and len(acks) == 3
    [snapshot] = sink.snapshots
    assert snapshot.jpeg == jpeg and snapshot.terminal_id == 1


def test_no_ack_is_written_to_a_connection_closed_while_its_frame_commits(run, caplog):
    """At shutdown the gateway closes connections; a frame still committing is stored, not acked."""
    gate = asyncio.Event()
    sink = MemorySink([TERMINAL], gate=gate)

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute()))
            await eventually(lambda: gateway.metrics.frames == 1, what="the gateway to read the report")
            shutdown = asyncio.ensure_future(gateway.close())
            assert await client.closed_by_gateway(), "the shutdown did not close the connection"
            gate.set()  # the frame commits only now, after the shutdown closed its connection
            await shutdown
        return gateway.metrics

    metrics = run(scenario())
    assert len(sink.frames) == 1  # stored; the terminal re-sends for want of an ack, stored once
    assert metrics.acked == 0
    assert "session failed" not in caplog.text


def test_a_time_label_out_of_range_is_archived_not_acked_and_the_connection_lives_on(run):
    """to_reading raises for hour 25; the frame is evidence (undecodable), the next report is acked."""
    sink = MemorySink([TERMINAL])
    bad = szy206.encode_self_report(ADDRESS, 0x3, {"flow": [1.0], "flow_unit": ["m3/h"], "volume_m3": [5]},
                                    szy206.TimeLabel(0, 0, 25, 1, 10), status_word=0x20)

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(bad)
            refused = await client.receive(timeout=0.5)
            await client.send(flow(now_minute()))
            acked = await client.receive()
            await client.close()
            return refused, acked, gateway.metrics

    refused, acked, metrics = run(scenario())
    assert refused is None and acked is not None
    [archived] = [f for f in sink.frames if f.raw == bad]
    assert archived.outcome == "undecodable" and "hour': 25" in archived.error and archived.reading is None
    assert archived.address == ADDRESS and archived.terminal_id == 1
    assert len(sink.readings) == 1 and metrics.failed_after_decode == 1


def test_garbage_after_a_valid_frame_is_cut_off(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(flow(now_minute()))
            ack = await client.receive()
            try:
                for _ in range(512):  # 4 MiB unless the gateway hangs up first
                    await client.send(b"AT+CSQ\r\n" * 1024)
            except ConnectionError:
                pass
            closed = await client.closed_by_gateway()
            return ack, closed, gateway.metrics

    ack, closed, metrics = run(scenario())
    assert ack is not None and closed and metrics.cut_off == 1
    assert metrics.garbage_bytes <= 128 * 1024  # read before the cut-off: two reads at most


def test_a_terminal_with_occasional_noise_is_not_cut_off(run):
    sink = MemorySink([TERMINAL])
    base = now_minute() - timedelta(hours=10)

    async def scenario():
        async with running_gateway(sink, garbage_limit_bytes=512) as gateway:
            client = await TerminalClient.connect(gateway.port)
            for i in range(120):
                noise = b"\x00" * 200 if i % 20 == 0 else b"\x7e"  # a spurious 7E, now and then a burst
                await client.send(noise, flow(base + timedelta(minutes=5 * i), volume=i, delay=0))
                assert await client.receive() is not None
            await client.close()
            return gateway.metrics

    metrics = run(scenario())
    assert metrics.cut_off == 0 and len(sink.readings) == 120


def test_frames_failing_their_crc_count_towards_the_flood_limit(run):
    sink = MemorySink([TERMINAL])
    bad = bytearray(flow(now_minute()))
    bad[12] ^= 0x01

    async def scenario():
        async with running_gateway(sink, max_frames_per_s=2) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(*[bytes(bad)] * 40)
            closed = await client.closed_by_gateway()
            return closed, gateway.metrics

    closed, metrics = run(scenario())
    assert closed and metrics.cut_off == 1
    assert not sink.frames  # cut off before any of them was archived
