"""Gateway sessions with SL651 terminals over real TCP, against the in-memory sink."""

from __future__ import annotations

from datetime import datetime

import pytest

from changji.water.gateway.memory import MemorySink
from changji.water.gateway.records import PendingCommand, TerminalInfo
from changji.water.protocols import sl651
from changji.water.protocols.bcd import CST
from changji.water.protocols.crc import crc16_modbus
from tests.waiting import eventually
from tests.water.gateway.conftest import TerminalClient, running_gateway

pytestmark = pytest.mark.django_db

STATION = "6523238001"
TERMINAL = TerminalInfo(7, "sl651", STATION)


def _frame(function: int, **fields) -> sl651.Sl651Frame:
    now = datetime.now(CST).replace(microsecond=0)
    base = dict(
        encoding="hex", direction="up", centre=1, station=STATION, password=0, function=function, start=0x02,
        end=0x03, packet_total=None, packet_seq=None, serial=9, sent_at=now, station_type=None, observed_at=None,
        elements=(), payload=b"",
    )
    base.update(fields)
    return sl651.Sl651Frame(**base)


def timed_report(depth=21.37) -> bytes:
    tt = datetime.now(CST).replace(second=0, microsecond=0)
    return sl651.encode_sl651(_frame(0x32, station_type="G", observed_at=tt, elements=(
        sl651.Element("H", depth, 0x1A, tt), sl651.Element("VT", 12.6, 0x12, tt),
    )))


def keepalive() -> bytes:
    return sl651.encode_sl651(_frame(0x2F))


def test_timed_report_is_stored_and_acknowledged_with_the_same_function(run):
    sink = MemorySink([TERMINAL])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(timed_report())
            ack = await client.receive()
            await client.send(keepalive())
            silence = await client.receive(timeout=0.4)
            await client.close()
            return ack, silence

    ack, silence = run(scenario())
    decoded = sl651.decode_sl651(ack)
    assert (decoded.direction, decoded.function, decoded.serial, decoded.station) == ("down", 0x32, 9, STATION)
    assert silence is None  # 2FH keep-alive is M1: never answered
    [row] = sink.readings.values()
    assert row == {"depth_m": 21.37, "battery_v": 12.6}
    assert sorted(f.outcome for f in sink.frames) == ["no_data", "stored"]


def test_multi_packet_picture_is_acknowledged_once_and_stored(run):
    sink = MemorySink([TERMINAL])
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 3 + b"\xff\xd9"
    tt = datetime.now(CST).replace(second=0, microsecond=0)
    body = [jpeg[i : i + 300] for i in range(0, len(jpeg), 300)]
    packets = [
        sl651.encode_sl651(_frame(
            0x36, start=0x16, packet_total=len(body), packet_seq=n + 1, end=0x03 if n == len(body) - 1 else 0x17,
            station_type="G" if n == 0 else None, observed_at=tt if n == 0 else None,
            serial=9 if n == 0 else None, sent_at=_frame(0x36).sent_at if n == 0 else None,
            payload=chunk, payload_guide=0xF3 if n == 0 else None,
        ))
        for n, chunk in enumerate(body)
    ]

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(*reversed(packets))
            ack = await client.receive()
            extra = await client.receive(timeout=0.3)
            await client.close()
            return ack, extra

    ack, extra = run(scenario())
    decoded = sl651.decode_sl651(ack)
    assert decoded.function == 0x36 and decoded.packet_total == decoded.packet_seq == len(body)
    assert extra is None
    [snapshot] = sink.snapshots
    assert snapshot.jpeg == jpeg and snapshot.observed_at == tt


def test_pump_stop_goes_out_as_4c_and_the_pump_state_answer_decides(run):
    sink = MemorySink([TERMINAL])
    sink.commands[7] = [PendingCommand(id="s1", terminal_id=7, kind="pump_stop")]

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(timed_report())
            await client.receive()
            downlink = sl651.decode_sl651(await client.receive())
            still_running = _frame(0x4C, payload=bytes([1, 0b1]))  # pump 1 still on
            await client.send(sl651.encode_sl651(still_running))
            await eventually(lambda: sink.finished, what="the pump-state answer to finish the command")
            await client.close()
            return downlink

    downlink = run(scenario())
    assert downlink.function == 0x4C and downlink.direction == "down"
    assert downlink.values["pumps"][0] is False
    [(command_id, state, answer, _)] = sink.finished
    assert (command_id, state) == ("s1", "failed")  # the terminal answered, but its pump still runs
    assert answer["function"] == "4C"


def m3_packets(single: bytes, cuts: list[int], total: int | None = None) -> list[bytes]:
    """Re-send a single-packet HEX uplink as M3 packets, its body cut at ``cuts``."""
    body = single[14:-3]
    bounds = [0, *cuts, len(body)]
    chunks = [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    total = total or len(chunks)
    packets = []
    for seq, chunk in enumerate(chunks, 1):
        raw = (single[:11] + (3 + len(chunk)).to_bytes(2, "big") + b"\x16" + (total << 12 | seq).to_bytes(3, "big")
               + chunk + (b"\x03" if seq == total else b"\x17"))
        packets.append(raw + crc16_modbus(raw).to_bytes(2, "big"))
    return packets


def test_report_in_m3_packets_is_stored_like_a_single_packet_and_acked_once(run):
    sink = MemorySink([TERMINAL])
    packets = m3_packets(timed_report(depth=33.21), [25, 31])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(*packets)
            ack = await client.receive()
            extra = await client.receive(timeout=0.3)
            await client.close()
            return ack, extra

    ack, extra = run(scenario())
    decoded = sl651.decode_sl651(ack)
    assert (decoded.function, decoded.packet_total, decoded.packet_seq) == (0x32, 3, 3) and extra is None
    [row] = sink.readings.values()
    assert row == {"depth_m": 33.21, "battery_v": 12.6}
    assert [f.outcome for f in sink.frames] == ["no_data", "no_data", "stored"]


def test_incomplete_m3_messages_are_capped_per_connection_and_their_packets_marked(run):
    """Packets of messages that never complete stop at the cap; the earlier ones are marked rejected."""
    sink = MemorySink([TERMINAL])
    report = timed_report()
    messages = [m3_packets(report, [20], total=4095)[0]]
    flood = [sl651.encode_sl651(_frame(0x36, start=0x16, packet_total=4095, packet_seq=n, end=0x17,
                                       serial=None, sent_at=None, payload=bytes(900)))
             for n in range(2, 40)]

    async def scenario():
        async with running_gateway(sink, multipacket_max_bytes=16 * 1024) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(*messages, *flood)
            await client.send(timed_report())
            ack = await client.receive()
            await client.close()
            return ack, gateway

    ack, gateway = run(scenario())
    assert ack is not None  # the connection lives on
    assert gateway.multipacket_budget.used == 0  # everything held was given back at the close
    refused = [f for f in sink.frames if f.error.startswith("not processed: M3 message")]
    assert refused and all(f.outcome == "rejected" for f in refused)
    capped = [entry for entry in sink.abandoned if "per connection" in entry[1]]
    assert len(capped) == 2  # 38 packets: 16 held, 1 refused, 16 held again, 1 refused, 4 held at the close
    for ids, reason in capped:
        assert len(ids) == 16 and "abandoned with 16 of 4095 packets: over 16384 bytes per connection" in reason
        assert all(sink.frames[i - 1].outcome == "rejected" for i in ids)
    assert sum(f.outcome == "no_data" for f in sink.frames) == 0  # every held packet was marked once


def test_an_idle_m3_message_expires_while_the_connection_stays_open(run):
    sink = MemorySink([TERMINAL])
    first = m3_packets(timed_report(), [20])[0]

    async def scenario():
        async with running_gateway(sink, multipacket_max_idle_s=0.2) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(first)
            # The 0.2 s idle limit is the behaviour under test; the reaper that enforces it runs every 50 ms.
            await eventually(lambda: sink.abandoned, timeout=5.0, what="the idle message to be abandoned")
            still_open = not client.reader.at_eof()
            await client.close()
            return still_open, gateway.metrics

    still_open, metrics = run(scenario())
    [(ids, reason)] = sink.abandoned
    assert still_open and metrics.messages_abandoned == 1
    assert reason == "multi-packet message abandoned with 1 of 2 packets: no packet for 0.2 s"
    assert [f.outcome for f in sink.frames] == ["rejected"]
