"""The water app: its menu entries, and its part in ``changji demo`` (the demo fleet and the processes beside it)."""

from __future__ import annotations

import os

from django.apps import AppConfig


class WaterConfig(AppConfig):
    name = "changji.water"
    verbose_name = "井电双控 地下水取用水监管"
    #: Header entries (label, URL name, permission of core.access); core.navigation shows those the user may open.
    menu = (
        ("一屏看水", "water:dashboard", "water.monitor.read"),
        ("一图懂水", "water:map", "water.monitor.read"),
        ("告警中心", "water:alarms", "water.alarm.read"),
        ("统计报表", "water:reports", "water.report.read"),
        ("水资源税", "water:tax", "water.tax.read"),
        ("未登记终端", "water:quarantine", "water.quarantine.read"),
        ("取水许可", "water:licences", "water.allocation.read"),
        ("年度计划", "water:plans", "water.allocation.read"),
        ("用水定额", "water:norms", "water.allocation.read"),
        ("总量控制策略", "water:quota_policies", "water.allocation.read"),
    )

    #: Ports of the demo: the gateway listens here and the simulated fleet dials in.
    demo_gateway_port = 9000

    def demo_wells(self) -> int:
        return int(os.environ.get("WELLS", "300"))

    def prepare_demo(self) -> str:
        """Register the demo fleet (``WELLS`` wells, default 300) and seed what the bureau enters (issue 14)."""
        from changji.water.demo import prepare_water_demo  # deferred: the app registry is ready only in ready()

        return prepare_water_demo(self.demo_wells())

    def demo_processes(self) -> list[list[str]]:
        """Return the commands the demo runs beside the web server: the gateway, the derivation loop and the fleet.

        The recurring jobs (``water/jobs.py``) run in ``changji jobs``, which ``core.demo`` starts.
        """
        port = str(self.demo_gateway_port)
        speedup = os.environ.get("SPEEDUP", "300")
        return [
            ["gateway", "--host", "127.0.0.1", "--port", port, "--auto-register"],
            ["water", "derive"],
            ["simulate", "--port", port, "--wells", str(self.demo_wells()), "--speedup", speedup,
             "--history-hours", os.environ.get("HISTORY_HOURS", "6"),
             "--tamper", "0.02", "--bypass", "0.01", "--flowmeter-fault", "0.01", "--offline", "0.02",
             "--duplicates", "0.01", "--corrupt", "0.01", "--clock-drift", "0.01"],
        ]
