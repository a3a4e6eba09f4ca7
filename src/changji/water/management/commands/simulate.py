"""``changji simulate``: run a fleet of simulated field terminals against a gateway."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand

from changji.water.sim.fleet import PREFECTURE_WELL_COUNT, build_fleet
from changji.water.sim.simulator import FaultPlan, SimulatorConfig, SimulatorStats, run_fleet

FAULTS = ("tamper", "bypass", "flowmeter_fault", "reversal", "offline", "duplicates", "corrupt", "clock_drift")


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
        stats = SimulatorStats()
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
