"""Adversarial terminals against the real gateway and database: the other terminals keep their acks.

Each test runs a ``GatewayServer`` on an ephemeral port with a ``DatabaseSink`` on the suite's
database (SQLite, or PostgreSQL when DATABASE_URL names it), three canary terminals on their own
connections reporting back to back (each waits for its ack, as a terminal does), and one attacker.
The canaries warm up, the attack runs, and the canaries go on until each has been acknowledged
``AFTER_ATTACK`` more times (events, not sleeps). Every test asserts that no canary report went
unacknowledged and that the p99 of their ack latencies stayed under 500 ms (a frozen event loop or
a failing batch exceeds it by far), and what became of the attacker's valid frames.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.database_sink import DatabaseSink
from changji.water.gateway.server import GatewayServer
from changji.water.models import Frame, Reading, Terminal
from changji.water.protocols import sl651, szy206
from changji.water.protocols.bcd import CST
from changji.water.protocols.crc import crc16_modbus
from tests.water.gateway.conftest import TerminalClient

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

CANARIES = ("6523230101", "6523230102", "6523230103")
ATTACKER = "6523230201"
STATION = "6523238301"
P99_LIMIT_S = 0.5
WARM_UP = 5
AFTER_ATTACK = 20
PICTURE_HEADER = bytes.fromhex("6883 68 C3 03 5303810D00 83")
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)


def report(address: str, when: datetime, volume: float, hour: int | None = None) -> bytes:
    """A SZY206 flow report observed at ``when`` (``hour`` overrides the time label's hour)."""
    label = szy206.TimeLabel.from_datetime(when, 0)
    if hour is not None:
        label = szy206.TimeLabel(label.second, label.minute, hour, label.day, 0)
    values = {"flow": [12.5], "flow_unit": ["m3/h"], "volume_m3": [volume]}
    return szy206.encode_self_report(address, 0x3, values, label, status_word=0x20)


def sl651_frame(**fields) -> bytes:
    base = dict(encoding="hex", direction="up", centre=1, station=STATION, password=0, function=0x32, start=0x02,
                end=0x03, serial=7, sent_at=datetime.now(CST).replace(microsecond=0))
    base.update(fields)
    return sl651.encode_sl651(sl651.Sl651Frame(**base))


def sl651_report(depth: float, minutes_ago: int = 0, **fields) -> bytes:
    tt = datetime.now(CST).replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)
    return sl651_frame(station_type="G", observed_at=tt, elements=(sl651.Element("H", depth, 0x1A, tt),), **fields)


def m3_packets(single: bytes, cuts: list[int]) -> list[bytes]:
    """Re-send a single-packet HEX uplink as M3 packets, its body cut at ``cuts``."""
    body = single[14:-3]
    bounds = [0, *cuts, len(body)]
    chunks = [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    packets = []
    for seq, chunk in enumerate(chunks, 1):
        raw = (single[:11] + (3 + len(chunk)).to_bytes(2, "big") + b"\x16"
               + (len(chunks) << 12 | seq).to_bytes(3, "big") + chunk + (b"\x03" if seq == len(chunks) else b"\x17"))
        packets.append(raw + crc16_modbus(raw).to_bytes(2, "big"))
    return packets


class Canary:
    """A terminal on its own connection that reports as soon as its last report was acknowledged.

    It reports at most ``RATE`` times a second (under the gateway's flood limit) and times each acknowledgement.
    """

    RATE = 40.0

    def __init__(self, address: str) -> None:
        self.address = address
        self.latencies: list[float] = []
        self.unacked = 0
        self.attack_started_at: int | None = None  # len(latencies) when the attack began
        self.progress = asyncio.Event()

    def acked_since_attack(self) -> int:
        return 0 if self.attack_started_at is None else len(self.latencies) - self.attack_started_at

    async def run(self, port: int, stop: asyncio.Event) -> None:
        client = await TerminalClient.connect(port)
        loop = asyncio.get_running_loop()
        try:
            started = loop.time()
            for n in range(100_000):
                if stop.is_set():
                    return
                await asyncio.sleep(max(0.0, started + 1 / self.RATE - loop.time()))  # pacing, not waiting
                started = loop.time()
                await client.send(report(self.address, BASE + timedelta(seconds=n), float(n)))
                if await client.receive(timeout=5.0) is None:
                    self.unacked += 1
                else:
                    self.latencies.append(loop.time() - started)
                self.progress.set()
        finally:
            await client.close()


async def _until(condition: Callable[[], bool], canaries: list[Canary]) -> None:
    while not condition():
        for canary in canaries:
            canary.progress.clear()
        await asyncio.wait([asyncio.ensure_future(c.progress.wait()) for c in canaries],
                           return_when=asyncio.FIRST_COMPLETED)


Attack = Callable[[GatewayServer], Awaitable[object]]


async def under_attack(attack: Attack, **settings) -> tuple[object, list[Canary], GatewayServer]:
    """Run the canaries around ``attack(server)``; return its result, the canaries and the server."""
    server = GatewayServer(DatabaseSink(), GatewayConfig(host="127.0.0.1", port=0, **settings))
    await server.start()
    stop = asyncio.Event()
    canaries = [Canary(address) for address in CANARIES]
    running = [asyncio.ensure_future(c.run(server.port, stop)) for c in canaries]
    try:
        await _until(lambda: all(len(c.latencies) >= WARM_UP for c in canaries), canaries)
        for canary in canaries:
            canary.attack_started_at = len(canary.latencies)
        result = await attack(server)
        await _until(lambda: all(c.acked_since_attack() >= AFTER_ATTACK for c in canaries), canaries)
    finally:
        stop.set()
        await asyncio.gather(*running, return_exceptions=True)
        await server.close()
    return result, canaries, server


def assert_canaries_kept_their_acks(canaries: list[Canary]) -> None:
    during = sorted(latency for c in canaries for latency in c.latencies[c.attack_started_at:])
    p99 = during[min(len(during) - 1, int(0.99 * len(during)))]
    assert [c.unacked for c in canaries] == [0, 0, 0]
    assert p99 < P99_LIMIT_S, f"canary ack latency p99 {p99 * 1e3:.0f} ms during the attack"


async def send_until_cut_off(client: TerminalClient, chunk: bytes, limit: int) -> int:
    """Write ``chunk`` until ``limit`` bytes went out or the gateway hung up; return the bytes written."""
    sent = 0
    with contextlib.suppress(ConnectionError):
        while sent < limit:
            await client.send(chunk)
            sent += len(chunk)
    return sent


@pytest.fixture
def terminals(make_terminal):
    for address in (*CANARIES, ATTACKER):
        make_terminal(address)
    make_terminal(STATION, protocol="sl651")


def test_picture_start_followed_by_16h_bytes(run, terminals):
    """A picture header and then 16H bytes (each a possible frame end) cost the framer linear time."""
    valid = report(ATTACKER, BASE, 1.0)

    async def attack(server):
        client = await TerminalClient.connect(server.port)
        await client.send(valid)
        ack = await client.receive()
        sent = await send_until_cut_off(client, PICTURE_HEADER + b"\x16" * 16_373, 8 * 1024 * 1024)
        return ack, sent, await client.closed_by_gateway(timeout=5.0)

    (ack, sent, closed), canaries, server = run(under_attack(attack))
    assert_canaries_kept_their_acks(canaries)
    assert ack is not None and closed and server.metrics.cut_off == 1
    assert Reading.objects.filter(terminal__address=ATTACKER, volume_m3=1.0).count() == 1
    assert Frame.objects.get(address=ATTACKER).outcome == "stored"


def test_nul_in_decoded_text_is_stored_cleaned_and_fails_no_batch(run, terminals):
    """Manual text (F2 F2) with a NUL reaches the reading's JSON; PostgreSQL refuses it raw."""
    hostile = [sl651_report(20.0 + n, n, payload_guide=0xF2, payload=b"pump\x00room", serial=n) for n in range(30)]

    async def attack(server):
        client = await TerminalClient.connect(server.port)
        acks = []
        for frame in hostile:
            await client.send(frame)
            acks.append(await client.receive(timeout=5.0))
        await client.close()
        return acks

    acks, canaries, _ = run(under_attack(attack))
    assert_canaries_kept_their_acks(canaries)
    assert all(ack is not None for ack in acks)
    stored = Reading.objects.filter(terminal__address=STATION)
    assert stored.count() == 30 and {r.native["manual"] for r in stored} == {"pump\ufffdroom"}


def test_a_frame_the_database_refuses_is_not_acked_and_fails_no_batch(run, terminals):
    """The attacker's terminal is deleted after the gateway cached it: its frames break a foreign key."""

    def delete_attacker() -> None:
        try:
            Terminal.objects.filter(address=ATTACKER).delete()
        finally:
            connection.close()  # this worker thread's own connection

    async def attack(server):
        await asyncio.to_thread(delete_attacker)
        client = await TerminalClient.connect(server.port)
        answers = []
        for n in range(10):
            await client.send(report(ATTACKER, BASE + timedelta(minutes=n), float(n)))
            answers.append(await client.receive(timeout=0.5))
        await client.close()
        return answers

    answers, canaries, server = run(under_attack(attack))
    assert_canaries_kept_their_acks(canaries)
    # Until the sink's terminal reload (the profile stamp, every 2 s) drops the deleted terminal, its frames
    # break the foreign key one by one; after it, they are quarantined. Either way none is acknowledged.
    assert answers == [None] * 10
    assert server.metrics.not_storable >= 1
    assert server.metrics.not_storable + server.metrics.quarantined == 10
    refused = Frame.objects.filter(address=ATTACKER)
    assert refused.count() == 10
    assert set(refused.values_list("outcome", "terminal")) <= {("rejected", None), ("quarantined", None)}
    assert all(error.startswith("not storable:") for error in refused.filter(outcome="rejected").values_list(
        "error", flat=True))


def test_an_error_after_decoding_is_archived_and_the_connection_lives_on(run, terminals):
    """A time label with hour 25 decodes, but to_reading refuses it: evidence, not a crash."""
    frames = [report(ATTACKER, BASE + timedelta(minutes=n), float(n), hour=25 if n % 2 else None) for n in range(20)]

    async def attack(server):
        client = await TerminalClient.connect(server.port)
        answers = []
        for frame in frames:
            await client.send(frame)
            answers.append(await client.receive(timeout=0.3 if frames.index(frame) % 2 else 5.0))
        await client.close()
        return answers

    answers, canaries, server = run(under_attack(attack))
    assert_canaries_kept_their_acks(canaries)
    assert [answer is not None for answer in answers] == [n % 2 == 0 for n in range(20)]
    outcomes = list(Frame.objects.filter(address=ATTACKER).values_list("outcome", "error"))
    assert sorted(outcome for outcome, _ in outcomes) == ["stored"] * 10 + ["undecodable"] * 10
    assert all("'hour': 25" in error for outcome, error in outcomes if outcome == "undecodable")
    assert Reading.objects.filter(terminal__address=ATTACKER).count() == 10
    assert server.metrics.failed_after_decode == 10


def test_garbage_after_a_valid_frame_is_cut_off(run, terminals):
    async def attack(server):
        client = await TerminalClient.connect(server.port)
        await client.send(report(ATTACKER, BASE, 3.0))
        ack = await client.receive()
        sent = await send_until_cut_off(client, b"\x00\x7e\x01\x68ATD" * 8192, 32 * 1024 * 1024)
        return ack, sent, await client.closed_by_gateway(timeout=5.0)

    (ack, sent, closed), canaries, server = run(under_attack(attack))
    assert_canaries_kept_their_acks(canaries)
    assert ack is not None and closed and server.metrics.cut_off == 1
    assert server.metrics.garbage_bytes <= 256 * 1024  # cut off after its first reads, not 32 MiB later
    assert Reading.objects.filter(terminal__address=ATTACKER, volume_m3=3.0).exists()


def test_incomplete_m3_messages_are_capped_and_an_m3_report_is_stored(run, terminals):
    """A station sends an M3 report, then 1.2 MB of a 4,095-packet message that never completes."""
    packets = m3_packets(sl651_report(17.25, 10), [25, 31])
    flood = [sl651_frame(function=0x36, start=0x16, packet_total=4095, packet_seq=n, end=0x17, serial=None,
                         sent_at=None, payload=bytes(4000)) for n in range(2, 302)]

    async def attack(server):
        client = await TerminalClient.connect(server.port)
        await client.send(*packets)
        ack = await client.receive()
        held = []
        for start in range(0, len(flood), 50):
            await client.send(*flood[start : start + 50])
            await client.send(sl651_frame(function=0x2F))  # a keep-alive: handled after the packets
            held.append(server.multipacket_budget.used)
        await client.send(sl651_report(18.5, serial=9))
        last = await client.receive()
        await client.close()
        return ack, last, held

    (ack, last, held), canaries, server = run(under_attack(attack))
    assert_canaries_kept_their_acks(canaries)
    assert sl651.decode_sl651(ack).packet_total == 3 and last is not None
    assert max(held) <= server.config.multipacket_max_bytes
    assert sorted(Reading.objects.filter(terminal__address=STATION).values_list("depth_m", flat=True)) == [17.25, 18.5]
    frames = Frame.objects.filter(address=STATION, function="36")
    capped = frames.filter(outcome="rejected", error__endswith="over 1048576 bytes per connection")
    assert capped.count() == 1048576 // (4000 + 64)  # the packets held when the cap was reached, marked once
    assert frames.filter(error__startswith="not processed: M3 message").count() == 1  # the packet refused
    assert not frames.filter(outcome="no_data").exists()  # the rest were marked when the connection closed
    assert server.multipacket_budget.used == 0
