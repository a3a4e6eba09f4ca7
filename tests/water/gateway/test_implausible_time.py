"""The gateway and an implausible two-digit year: archived with the reason, acknowledged, no reading."""

from __future__ import annotations

from datetime import datetime

import pytest

from changji.water.gateway.memory import MemorySink
from changji.water.gateway.records import TerminalInfo
from changji.water.protocols import sl651
from changji.water.protocols.bcd import CST
from changji.water.protocols.crc import crc8_e5
from changji.water.protocols.szy206 import Szy206Options
from tests.water.gateway.conftest import TerminalClient, running_gateway

pytestmark = pytest.mark.django_db

STATION = "6523238001"


def report_observed_in(year: int) -> bytes:
    """A 32H report whose TT says ``year`` (the rest of the time is now), built like a field device's."""
    now = datetime.now(CST).replace(second=0, microsecond=0)
    tt = now.replace(year=year, day=min(now.day, 28))
    frame = sl651.Sl651Frame(
        "hex", "up", 1, STATION, 0, 0x32, 0x02, 0x03, serial=11, sent_at=now, station_type="G", observed_at=tt,
        elements=(sl651.Element("H", 21.37, 0x1A, tt), sl651.Element("VT", 12.6, 0x12, tt)),
    )
    return sl651.encode_sl651(frame)


def test_sl651_year_59_is_archived_rejected_acknowledged_and_not_a_reading(run):
    sink = MemorySink([TerminalInfo(7, "sl651", STATION)])

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(report_observed_in(2059))
            bad_ack = await client.receive()
            await client.send(report_observed_in(datetime.now(CST).year))
            good_ack = await client.receive()
            await client.close()
            return bad_ack, good_ack

    bad_ack, good_ack = run(scenario())
    assert sl651.decode_sl651(bad_ack).serial == 11 and good_ack is not None  # archived, so acknowledged
    bad, good = sink.frames
    assert bad.outcome == "rejected" and bad.reading is None and bad.observed_at is None
    assert "two-digit year 59" in bad.error and bad.raw[:2] == b"\x7e\x7e"  # the raw frame is kept
    assert good.outcome == "stored"
    [row] = sink.readings.values()  # only the plausible one is a reading
    assert row == {"depth_m": 21.37, "battery_v": 12.6}


def test_szy206_seven_byte_label_of_2059_is_archived_without_a_reading(run):
    address = "6523010001"
    sink = MemorySink([TerminalInfo(8, "szy206", address)])
    now = datetime.now(CST)
    label = f"00{now.minute:02d}{now.hour:02d}{now.day:02d}{now.month:02d}59" + "00"
    user = bytes.fromhex(f"BD{address}C0341200000000{label}")
    frame = bytes([0x68, len(user), 0x68]) + user + bytes([crc8_e5(user), 0x16])

    async def scenario():
        async with running_gateway(sink, szy206=Szy206Options(time_label_length=7)) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(frame)
            ack = await client.receive()
            await client.close()
            return ack

    assert run(scenario()) is not None
    [archived] = sink.frames
    assert archived.outcome == "rejected" and "2059" in archived.error and archived.reading is None
    assert sink.readings == {}


def test_a_picture_whose_clock_says_2059_is_kept_at_its_receipt_time(run):
    sink = MemorySink([TerminalInfo(7, "sl651", STATION)])
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2 + b"\xff\xd9"
    now = datetime.now(CST).replace(microsecond=0)
    tt = now.replace(year=2059, day=min(now.day, 28), second=0)
    chunks = [jpeg[:300], jpeg[300:]]
    packets = [
        sl651.encode_sl651(sl651.Sl651Frame(
            "hex", "up", 1, STATION, 0, 0x36, 0x16, 0x03 if n == 2 else 0x17, 2, n,
            serial=5 if n == 1 else None, sent_at=now if n == 1 else None, station_type="G" if n == 1 else None,
            observed_at=tt if n == 1 else None, payload=chunk, payload_guide=0xF3 if n == 1 else None,
        ))
        for n, chunk in enumerate(chunks, 1)
    ]

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            await client.send(*packets)
            ack = await client.receive()
            await client.close()
            return ack

    assert run(scenario()) is not None
    [snapshot] = sink.snapshots
    assert snapshot.jpeg == jpeg and snapshot.observed_at == snapshot.received_at
