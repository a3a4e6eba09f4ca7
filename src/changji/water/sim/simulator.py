"""A realistic fleet of field terminals over real TCP, for the demo, tests and benchmarks.

Extraction wells speak SZY206-2016: every report is two C0 self-reports with one time label, the
flow class (instantaneous flow + cumulative volume) and the energy class (kWh), each carrying the
alarm and status words. Monitoring wells speak SL651-2014: a 32H timed report of station type G
with groundwater depth, status word and battery voltage. Pumps follow the irrigation calendar of
the northern slope of the Tianshan (April–September, daytime runs; winter irrigation 冬灌 from
mid-October to November), at 30–80 m³/h and 11–45 kW with each well's own water/electricity ratio.

Every terminal has a camera: a picture query (SZY206 61H, SL651 36H) is answered with one of the real JPEG
files in ``pictures/`` (chosen by the well), as 61H frames split with DIV/DIVS, each waiting for the centre's
confirm, or as 36H M3 packets acknowledged once.

Terminals report every 5 minutes of simulated time (``speedup`` compresses it), wait for the
centre's acknowledgement and keep what was not acknowledged for back-fill. They obey downlink
commands: a stopped pump stops, and its reports say so. Faults are injected by fraction of wells.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from changji.water.protocols import sl651, szy206
from changji.water.protocols.bcd import CST
from changji.water.protocols.errors import ProtocolError
from changji.water.protocols.framing import Framer, RawFrame
from changji.water.protocols.szy206.time import TP_SL427_LENGTH, TimeLabel
from changji.water.sim.fleet import FleetWell
from changji.water.sim.profiles import options_of

__pure__ = True  # no Django: tests/test_architecture.py checks it

log = logging.getLogger("changji.simulator")

REPORT_INTERVAL_S = 300
PICTURES_DIR = Path(__file__).with_name("pictures")
#: Picture bytes per SL651 M3 packet.
SL651_PICTURE_PACKET_BYTES = 1024
STATUS_PUMP_STOPPED = 1 << 4
STATUS_DOOR_CLOSED = 1 << 5
ALARM_FLOWMETER_FAULT = 1 << 5
ALARM_DOOR = 1 << 13


@dataclass(frozen=True)
class FaultPlan:
    """Fractions of wells that show each fault (0 = none)."""

    tamper: float = 0.0  # the cabinet door opens now and then (箱门打开)
    bypass: float = 0.0  # water taken around the flowmeter: energy without flow (有电无水)
    flowmeter_fault: float = 0.0  # flowmeter fault bit set, flow missing, volume frozen
    reversal: float = 0.0  # the volume register steps backwards once
    offline: float = 0.0  # offline periods, then back-fill of what was stored
    duplicates: float = 0.0  # every report sent twice
    corrupt: float = 0.0  # a byte flipped in one report out of ten
    clock_drift: float = 0.0  # the terminal clock runs ahead by several minutes

    def faults_of(self, index: int, seed: int) -> frozenset[str]:
        """Return the faults that well number ``index`` shows, the same for the same seed."""
        rng = random.Random(seed * 1_000_003 + index)
        return frozenset(name for name, share in vars(self).items() if share and rng.random() < share)


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 9000
    speedup: float = 1.0
    start: datetime | None = None  # simulated time at start (default: now); the past is replayed
    faults: FaultPlan = field(default_factory=FaultPlan)
    seed: int = 2026
    ack_timeout_s: float = 10.0
    connect_stagger_s: float = 5.0
    #: Real seconds between link keep-alives while idle (SZY206 AFN 02 F2, SL651 2FH); terminals
    #: listen for commands right after they send one.
    keepalive_s: float = 60.0
    #: Faults of named wells (by well code), overriding the fault plan; for tests and demos.
    faults_by_well: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Registers (volume m³, energy kWh) to start from, by well code: the demo continues its history's.
    initial_registers: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Called with (terminal address, observation time, UTC time of the ack) for each report frame the gateway
    #: acknowledged (``changji simulate --ack-log``): tests learn what must be stored.
    on_ack: Callable[[str, datetime, datetime], None] | None = None


@dataclass
class SimulatorStats:
    reports: int = 0
    frames_sent: int = 0
    frames_acked: int = 0
    retransmissions: int = 0
    backfilled: int = 0
    commands_answered: int = 0
    pictures_sent: int = 0
    connects: int = 0
    #: Terminals that have replayed their history and report live (each counted once); tests wait on it.
    caught_up: int = 0


class SimClock:
    """Simulated time: ``start`` plus real elapsed time × ``speedup``, never ahead of the real clock.

    A fleet started in the past replays its history fast (terminals back-filling what they
    stored), then reports live once it has caught up with real time.
    """

    def __init__(self, start: datetime | None, speedup: float) -> None:
        self.start = start or datetime.now(UTC)
        self.speedup = speedup
        self._real0 = asyncio.get_event_loop().time() if _loop_running() else 0.0

    def now(self) -> datetime:
        simulated = self.start + timedelta(seconds=(asyncio.get_running_loop().time() - self._real0) * self.speedup)
        return min(simulated, datetime.now(UTC))

    def caught_up(self) -> bool:
        """Return True once the replay has reached real time (the clock then runs at real speed)."""
        elapsed_s = asyncio.get_running_loop().time() - self._real0
        return self.start + timedelta(seconds=elapsed_s * self.speedup) >= datetime.now(UTC)

    def is_live(self, moment: datetime) -> bool:
        """Return True when ``moment`` is within a report interval of real time."""
        return datetime.now(UTC) - moment < timedelta(seconds=REPORT_INTERVAL_S)

    def real_seconds(self, simulated_s: float) -> float:
        now = self.now()
        return simulated_s if self.is_live(now) else simulated_s / self.speedup


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class WellModel:
    """The physical state of one well: pump, registers, door, groundwater depth."""

    def __init__(self, well: FleetWell, faults: frozenset[str], seed: int,
                 registers: tuple[float, float] | None = None) -> None:
        self.well = well
        self.faults = faults
        self.seed = seed
        rng = random.Random(f"{seed}:{well.code}")
        self.volume_m3 = float(rng.randint(1_000, 400_000)) if well.kind == "extraction" else 0.0
        self.energy_kwh = round(self.volume_m3 / (well.ratio_m3_per_kwh or 2.0), 2)
        if registers is not None:  # continue where the stored history left the meters
            self.volume_m3, self.energy_kwh = registers
        self.pump_on = False
        self.remote_stopped = False
        self.quota_control = False
        self.door_open = False
        self.flow_m3h = 0.0
        self.reversed = False
        self.depth_m = well.base_depth_m or 0.0
        self.battery_v = round(rng.uniform(12.2, 13.4), 2)
        #: The codec options of the device batch this terminal really is (``sim.profiles``).
        self.options: Any = options_of(well)

    def day_plan(self, local: datetime) -> tuple[float, float] | None:
        """Return today's pumping window (start hour, end hour) or None for a day off."""
        rng = random.Random(f"{self.seed}:{self.well.code}:{local.date()}")
        month, day = local.month, local.day
        if self.well.use == "industrial":
            return (0.0, 24.0) if rng.random() < 0.8 else None
        if self.well.use == "domestic":
            return (6.0, 9.0) if rng.random() < 0.9 else None
        if 4 <= month <= 9:
            chance, hours = 0.7, rng.uniform(6, 11)
        elif (month == 10 and day >= 15) or month == 11:
            chance, hours = 0.35, rng.uniform(4, 8)
        else:
            chance, hours = 0.03, 3.0
        if rng.random() >= chance:
            return None
        start = rng.uniform(6.5, 10.0)
        return start, min(start + hours, 22.0)

    def advance(self, moment: datetime, seconds: float) -> None:
        """Move the registers on by ``seconds`` ending at ``moment``."""
        local = moment.astimezone(CST)
        if self.well.kind == "monitoring":
            self._advance_depth(local)
            return
        plan = self.day_plan(local)
        hour = local.hour + local.minute / 60
        self.pump_on = bool(plan and plan[0] <= hour < plan[1]) and not self.remote_stopped
        rng = random.Random(f"{self.seed}:{self.well.code}:{moment.timestamp()}")
        rated = self.well.pump_rated_flow_m3h or 0.0
        self.flow_m3h = round(rated * rng.uniform(0.9, 1.0), 2) if self.pump_on else 0.0
        water = self.flow_m3h * seconds / 3600
        self.energy_kwh = round(self.energy_kwh + water / (self.well.ratio_m3_per_kwh or 2.0), 2)
        if "bypass" in self.faults and self.pump_on:
            self.flow_m3h = 0.0  # the meter sees nothing: water goes around it
        elif "flowmeter_fault" not in self.faults:
            self.volume_m3 += water
        if "reversal" in self.faults and not self.reversed and self.volume_m3 > 500 and local.minute < 5:
            self.volume_m3 -= 400.0
            self.reversed = True
        if "tamper" in self.faults:
            self.door_open = local.hour in (13, 14) and local.day % 3 == 0

    def _advance_depth(self, local: datetime) -> None:
        """Depth deepens through the irrigation season and recovers in winter (seasonal drawdown)."""
        season = math.sin((local.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
        self.depth_m = round((self.well.base_depth_m or 20.0) + 2.5 * max(season, 0) + 0.002 * local.hour, 2)

    # -- frames --------------------------------------------------------------------------------

    def szy206_report(self, observed_at: datetime, delay_minutes: int) -> list[bytes]:
        """Return the flow-class and energy-class C0 frames of one report (one time label)."""
        label = TimeLabel.from_datetime(observed_at, delay_minutes)
        alarm = status = 0
        if not self.pump_on:
            status |= STATUS_PUMP_STOPPED
        if not self.door_open:
            status |= STATUS_DOOR_CLOSED
        else:
            alarm |= ALARM_DOOR
        if self.quota_control:
            status |= 1 << 3
        flow: float | None = self.flow_m3h
        if "flowmeter_fault" in self.faults:
            alarm |= ALARM_FLOWMETER_FAULT
            flow = None
        address, options = self.well.address, self.options
        if options.time_label_length == TP_SL427_LENGTH:
            label = TimeLabel.from_datetime(observed_at, delay_minutes, TP_SL427_LENGTH)
        flow_values = {"flow": [flow], "flow_unit": ["m3/h"], "volume_m3": [int(self.volume_m3)]}
        return [
            szy206.encode_self_report(address, 0x3, flow_values, label, alarm_word=alarm, status_word=status,
                                      options=options),
            szy206.encode_self_report(address, 0x8, {"energy_kwh": [self.energy_kwh]}, label,
                                      alarm_word=alarm, status_word=status, options=options),
        ]

    def sl651_report(self, observed_at: datetime, sent_at: datetime, serial: int) -> list[bytes]:
        """Return the 32H timed report of a monitoring well (station type G)."""
        tt = observed_at.astimezone(CST).replace(second=0, microsecond=0)
        status = 0 if self.door_open else 1 << 7
        elements = (
            sl651.Element("H", self.depth_m, 0x1A, tt),
            sl651.Element("ZT", status, 0x20, tt),
            sl651.Element("VT", self.battery_v, 0x12, tt),
        )
        frame = sl651.Sl651Frame(
            encoding="hex", direction="up", centre=1, station=self.well.address, password=0,
            function=0x32, start=0x02, end=0x03, packet_total=None, packet_seq=None, serial=serial,
            sent_at=sent_at.astimezone(CST).replace(microsecond=0), station_type="G", observed_at=tt,
            elements=elements, payload=b"",
        )
        return [sl651.encode_sl651(frame)]


class SimulatedTerminal:
    """One terminal: connects, reports, waits for acks, back-fills, obeys commands."""

    def __init__(self, well: FleetWell, index: int, clock: SimClock, config: SimulatorConfig,
                 stats: SimulatorStats) -> None:
        self.well = well
        self.index = index
        self.clock = clock
        self.config = config
        self.stats = stats
        self.faults = config.faults_by_well.get(well.code, config.faults.faults_of(index, config.seed))
        self.model = WellModel(well, self.faults, config.seed, config.initial_registers.get(well.code))
        self.backlog: deque[tuple[datetime, bytes]] = deque()  # (observation time, frame)
        self.rng = random.Random(f"{config.seed}:net:{well.code}")
        self.serial = 0
        self.acks: asyncio.Queue[bytes] = asyncio.Queue()
        self.writer: asyncio.StreamWriter | None = None
        self.drift = timedelta(minutes=7) if "clock_drift" in self.faults else timedelta()
        self.counted_live = False
        self.picture_confirms: asyncio.Queue[int] = asyncio.Queue()
        self._picture_task: asyncio.Task[None] | None = None

    def _offline_now(self, moment: datetime) -> bool:
        local = moment.astimezone(CST)
        return "offline" in self.faults and local.hour in (2, 3) and local.day % 2 == 0

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.config.connect_stagger_s))
        last = self.clock.now()
        next_report = _next_slot(last)
        while not stop.is_set():
            try:
                await self._connected(stop, last, next_report)
                return
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                log.debug("%s: connection lost: %s", self.well.address, exc)
                await asyncio.sleep(self.rng.uniform(1, 3))
            last = self.clock.now()

    async def _connected(self, stop: asyncio.Event, last: datetime, next_report: datetime) -> None:
        reader, writer = await asyncio.open_connection(self.config.host, self.config.port)
        self.writer = writer
        self.stats.connects += 1
        reader_task = asyncio.create_task(self._read(reader))
        try:
            if self.well.protocol == "szy206":
                await self._send(szy206_link(self.well.address, 0xF0))
            loop = asyncio.get_running_loop()
            last_sent = loop.time()
            while not stop.is_set():
                now = self.clock.now()
                if now < next_report:
                    self._count_live()
                    wait = self.clock.real_seconds((next_report - now).total_seconds())
                    try:
                        await asyncio.wait_for(stop.wait(), min(wait, 5.0, self.config.keepalive_s))
                    except TimeoutError:
                        pass
                    if loop.time() - last_sent >= self.config.keepalive_s:
                        await self._send(self._keepalive())
                        last_sent = loop.time()
                    continue
                last_sent = loop.time()
                self.model.advance(next_report, (next_report - last).total_seconds())
                last = next_report
                self._queue_report(next_report)
                next_report += timedelta(seconds=REPORT_INTERVAL_S)
                if self._offline_now(last):
                    continue
                await self._flush_backlog()
                if reader_task.done():
                    raise ConnectionError("gateway closed the connection")
        finally:
            reader_task.cancel()
            writer.close()

    def _count_live(self) -> None:
        """Count this terminal in ``stats.caught_up`` once it has offered every report up to real time.

        A report left unacknowledged stays in the backlog and goes again with the next one.
        """
        if not self.counted_live and self.clock.caught_up():
            self.counted_live = True
            self.stats.caught_up += 1

    def _keepalive(self) -> bytes:
        if self.well.protocol == "szy206":
            return szy206_link(self.well.address, 0xF2)
        frame = sl651.Sl651Frame(
            encoding="hex", direction="up", centre=1, station=self.well.address, password=0, function=0x2F,
            start=0x02, end=0x03, packet_total=None, packet_seq=None, serial=self.serial,
            sent_at=self.clock.now().astimezone(CST).replace(microsecond=0), station_type=None, observed_at=None,
            elements=(), payload=b"",
        )
        return sl651.encode_sl651(frame)

    def _queue_report(self, observed_at: datetime) -> None:
        self.stats.reports += 1
        stamp = observed_at + self.drift
        backfill = self._offline_now(observed_at) or not self.clock.is_live(observed_at)
        if self.well.protocol == "szy206":
            frames = self.model.szy206_report(stamp, 0 if backfill or self.backlog else 10)
        else:
            self.serial = self.serial % 65535 + 1
            frames = self.model.sl651_report(stamp, self.clock.now() + self.drift, self.serial)
        self.backlog.extend((stamp, frame) for frame in frames)

    async def _flush_backlog(self) -> None:
        backfill = len(self.backlog) > 2
        while self.backlog:
            stamp, frame = self.backlog[0]
            wire = frame
            if "corrupt" in self.faults and self.rng.random() < 0.1:
                damaged = bytearray(frame)
                damaged[len(damaged) // 2] ^= 0x5A
                wire = bytes(damaged)
            await self._send(wire)
            if "duplicates" in self.faults:
                await self._send(frame)
            if not await self._await_ack():
                self.stats.retransmissions += 1
                return  # keep it; try again at the next report
            self.backlog.popleft()
            self.stats.frames_acked += 1
            if self.config.on_ack is not None:
                self.config.on_ack(self.well.address, stamp, datetime.now(UTC))
            if backfill:
                self.stats.backfilled += 1
            if "duplicates" in self.faults:
                await self._await_ack()

    async def _send(self, frame: bytes) -> None:
        assert self.writer is not None
        self.writer.write(frame)
        await self.writer.drain()
        self.stats.frames_sent += 1

    async def _await_ack(self) -> bool:
        try:
            await asyncio.wait_for(self.acks.get(), self.config.ack_timeout_s)
        except TimeoutError:
            return False
        return True

    async def _read(self, reader: asyncio.StreamReader) -> None:
        framer = Framer()
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                return
            for item in framer.feed(chunk):
                if isinstance(item, RawFrame):
                    await self._downlink(item.data)

    async def _downlink(self, data: bytes) -> None:
        try:
            if self.well.protocol == "szy206":
                await self._szy206_downlink(szy206.decode_szy206(data))
            else:
                await self._sl651_downlink(sl651.decode_sl651(data))
        except ProtocolError as exc:
            log.warning("%s: bad downlink: %s", self.well.address, exc)

    async def _szy206_downlink(self, frame: szy206.Szy206Frame) -> None:
        afn = frame.afn
        if afn == 0xC0 or afn == 0x02:
            if afn == 0xC0:
                self.acks.put_nowait(b"")
            return
        if afn == szy206.AFN_61_QUERY_IMAGE:
            if frame.div:  # the centre's confirm of one of our picture frames
                self.picture_confirms.put_nowait(frame.divs or 0)
            else:
                self._start_picture(self._send_szy206_picture())
            return
        model = self.model
        if afn == 0x93:
            model.remote_stopped, model.pump_on, model.flow_m3h = True, False, 0.0
        elif afn == 0x92:
            model.remote_stopped = False
        elif afn in (0x32, 0x33):
            model.quota_control = afn == 0x32
        elif afn == 0x11:
            self.drift = timedelta()
        if afn == 0xB0:
            label = TimeLabel.from_datetime(self.clock.now() + self.drift)
            answer = szy206.encode_self_report(
                self.well.address, 0x3,
                {"flow": [model.flow_m3h], "flow_unit": ["m3/h"], "volume_m3": [int(model.volume_m3)]},
                label, afn=0xB0, status_word=(0 if model.pump_on else STATUS_PUMP_STOPPED) | STATUS_DOOR_CLOSED,
            )
        else:
            answer = szy206_answer(self.well.address, afn, frame.data)
        await self._send(answer)
        self.stats.commands_answered += 1

    def _start_picture(self, work: Any) -> None:
        """Send a picture in the background (the reader must go on reading the confirms)."""
        if self._picture_task is not None and not self._picture_task.done():
            work.close()  # one picture at a time; the centre asks again if it wants another
            return
        self._picture_task = asyncio.ensure_future(self._guarded(work))

    async def _guarded(self, work: Any) -> None:
        try:
            await work
        except (OSError, ProtocolError) as exc:  # connection lost, or a picture that cannot be framed
            log.info("%s: picture not sent: %s", self.well.address, exc)

    async def _send_szy206_picture(self) -> None:
        """Answer 61H: the picture in split frames, each sent once the previous one is confirmed."""
        frames = szy206.encode_image_frames(self.well.address, camera_picture(self.well.code))
        while not self.picture_confirms.empty():
            self.picture_confirms.get_nowait()
        for wire in frames:
            await self._send(wire)
            try:
                await asyncio.wait_for(self.picture_confirms.get(), self.config.ack_timeout_s)
            except TimeoutError:
                log.info("%s: picture frame not confirmed, picture abandoned", self.well.address)
                return
        self.stats.pictures_sent += 1
        self.stats.commands_answered += 1

    async def _send_sl651_picture(self, query: sl651.Sl651Frame) -> None:
        """Answer 36H: the picture as M3 packets (F3 guide in packet 1), acknowledged once at the end."""
        jpeg = camera_picture(self.well.code)
        chunks = [jpeg[i : i + SL651_PICTURE_PACKET_BYTES] for i in range(0, len(jpeg), SL651_PICTURE_PACKET_BYTES)]
        now = self.clock.now().astimezone(CST).replace(microsecond=0)
        for n, chunk in enumerate(chunks):
            first = n == 0
            await self._send(sl651.encode_sl651(sl651.Sl651Frame(
                encoding="hex", direction="up", centre=query.centre, station=self.well.address,
                password=query.password, function=0x36, start=0x16, end=0x03 if n == len(chunks) - 1 else 0x17,
                packet_total=len(chunks), packet_seq=n + 1, serial=query.serial if first else None,
                sent_at=now if first else None, station_type="G" if first else None,
                observed_at=now.replace(second=0) if first else None, elements=(), payload=chunk,
                payload_guide=0xF3 if first else None,
            )))
        self.stats.pictures_sent += 1
        self.stats.commands_answered += 1

    async def _sl651_downlink(self, frame: sl651.Sl651Frame) -> None:
        if frame.function in (0x30, 0x31, 0x32, 0x33, 0x34, 0x35):
            self.acks.put_nowait(b"")
            return
        if frame.function == 0x36:
            if frame.packet_total is None:  # a query; the M3 acknowledgement of our picture needs nothing
                self._start_picture(self._send_sl651_picture(frame))
            return
        if frame.function == 0x4A:
            self.drift = timedelta()
        answer = sl651.Sl651Frame(
            encoding="hex", direction="up", centre=frame.centre, station=self.well.address,
            password=frame.password, function=frame.function, start=0x02, end=0x03, packet_total=None,
            packet_seq=None, serial=frame.serial, sent_at=self.clock.now().astimezone(CST).replace(microsecond=0),
            station_type=None, observed_at=None, elements=(), payload=b"",
        )
        await self._send(sl651.encode_sl651(answer))
        self.stats.commands_answered += 1


@functools.cache
def _pictures() -> tuple[bytes, ...]:
    return tuple(path.read_bytes() for path in sorted(PICTURES_DIR.glob("*.jpg")))


def camera_picture(well_code: str) -> bytes:
    """Return the JPEG the camera of ``well_code`` takes: one of the real files in ``pictures/``, per well."""
    pictures = _pictures()
    return pictures[zlib.crc32(well_code.encode()) % len(pictures)]


def _szy206_uplink(address: str, afn: int, data: bytes) -> bytes:
    return szy206.encode_szy206(szy206.Szy206Frame(
        direction="up", div=False, divs=None, fcb=0, type_code=0, address=address, afn=afn, data=data,
        password=None, time_label=None,
    ))


def szy206_link(address: str, code: int) -> bytes:
    """Return an AFN 02 link-check frame (F0 login, F1 logout, F2 keep-alive)."""
    return _szy206_uplink(address, szy206.AFN_02_LINK_CHECK, bytes([code]))


def szy206_answer(address: str, afn: int, data: bytes) -> bytes:
    """Return a terminal's answer to a command: same AFN, the command's data echoed (executed)."""
    return _szy206_uplink(address, afn, data[:1] if afn in (0x92, 0x93) else data[:6])


def _next_slot(moment: datetime) -> datetime:
    base = moment.replace(second=0, microsecond=0)
    return base + timedelta(minutes=5 - base.minute % 5)


async def run_fleet(wells: list[FleetWell], config: SimulatorConfig, stop: asyncio.Event,
                    stats: SimulatorStats | None = None) -> SimulatorStats:
    """Run every well's terminal until ``stop`` is set; return the counters."""
    stats = stats or SimulatorStats()
    clock = SimClock(config.start, config.speedup)
    terminals = [SimulatedTerminal(well, index, clock, config, stats) for index, well in enumerate(wells)]
    await asyncio.gather(*(terminal.run(stop) for terminal in terminals), return_exceptions=True)
    return stats
