"""``changji simulate``: run a fleet of simulated field terminals against a gateway."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import signal
from datetime import UTC, datetime, timedelta
from typing import TextIO

from django.core.management.base import BaseCommand
from django.db.models import OuterRef, Subquery

from changji.water.models import Reading, Well
from changji.water.sim.fleet import PREFECTURE_WELL_COUNT, build_fleet
from changji.water.sim.simulator import FaultPlan, SimulatorConfig, SimulatorStats, run_fleet

FAULTS = ("tamper", "bypass", "flowmeter_fault", "reversal", "offline", "duplicates", "corrupt", "clock_drift")


def latest_registers(codes: list[str]) -> dict[str, tuple[float, float]]:
    """The volume and energy registers of each well's latest reading carrying both, by well code."""
    latest = Reading.objects.filter(terminal__well=OuterRef("pk"), volume_m3__isnull=False,
                                    energy_kwh__isnull=False).order_by("-observed_at")
    rows = Well.objects.filter(code__in=codes).annotate(
        volume=Subquery(latest.values("volume_m3")[:1]), energy=Subquery(latest.values("energy_kwh")[:1]))
    return {code: (volume, energy) for code, volume, energy in rows.values_list("code", "volume", "energy")
            if volume is not None and energy is not None}


def write_ack(log: TextIO, address: str, observed_at: datetime, acked_at: datetime) -> None:
    """Write one acknowledged report frame as a JSON line (flushed: the file is line-buffered)."""
    log.write(json.dumps({"address": address, "observed_at": observed_at.astimezone(UTC).isoformat(),
                          "acked_at": acked_at.isoformat()}) + "\n")


class Command(BaseCommand):
    help = "Simulate well terminals (SZY206 extraction wells, SL651 monitoring wells) over TCP."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument("--wells", type=int, default=300,
                            help=f"how many wells (prefecture: {PREFECTURE_WELL_COUNT})")
        parser.add_argument("--speedup", type=float, default=1.0, help="simulated seconds per real second")
        parser.add_argument("--duration", type=float, default=0,
                            help="stop after this many real seconds (0: never)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--history-hours", type=float, default=0,
                            help="start this many hours in the past and replay them at --speedup")
        parser.add_argument("--continue-registers", action="store_true",
                            help="start each well's registers from its latest stored reading (the demo's history)")
        parser.add_argument("--ack-log", default=None, metavar="FILE",
                            help="append one JSON line per acknowledged report frame: address, observed_at, acked_at")
        for name in FAULTS:
            parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=0.0, metavar="FRACTION",
                                help=f"share of wells with the {name.replace('_', ' ')} fault")

    def handle(self, *args, **options):
        config = SimulatorConfig(
            host=options["host"], port=options["port"], speedup=options["speedup"], seed=options["seed"],
            start=datetime.now(UTC) - timedelta(hours=options["history_hours"]),
            faults=FaultPlan(**{name: options[name] for name in FAULTS}),
        )
        wells = build_fleet(options["wells"], options["seed"])
        if options["continue_registers"]:
            config.initial_registers = latest_registers([well.code for well in wells])
        stats = SimulatorStats()
        with contextlib.ExitStack() as stack:
            if options["ack_log"]:
                log = stack.enter_context(open(options["ack_log"], "a", encoding="utf-8", buffering=1))
                config.on_ack = functools.partial(write_ack, log)
            asyncio.run(self._run(wells, config, stats, options["duration"]))
        self.stdout.write(f"simulator: {stats}")

    async def _run(self, wells, config, stats, duration):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if duration:
            loop.call_later(duration, stop.set)
        await run_fleet(wells, config, stop, stats)
