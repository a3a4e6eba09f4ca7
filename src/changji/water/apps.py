"""The water app: its menu entries, and its part in ``changji demo`` (the demo fleet and the processes beside it)."""

from __future__ import annotations

import os

from django.apps import AppConfig
from django.utils import timezone


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
        ("现场图片", "water:pictures", "water.evidence.read"),
        ("地下水", "water:groundwater", "water.monitor.read"),
        ("运维工单", "water:work_orders", "water.work_order.read"),
        ("我的工单", "water:my_orders", "water.work_order.work"),
        ("规约配置", "water:profiles", "water.registry.read"),
        ("设备建设与考核", "water:kpi_deployment", "water.monitor.read"),
        ("开放数据接口", "water:open_data", "water.exchange.manage"),
        ("历史分区", "water:partitions", "water.archive.manage"),
        ("上下级数据交换", "water:exchange_health", "water.exchange.read"),
    )

    def ready(self) -> None:
        """Register the exchange streams, connect the outbox receivers and register the readiness check.

        The streams and receivers are ``water.sharing.catalogue``'s; the check (``water.health``) is the
        gateway's last stored frame, run by ``/readyz`` (``core.health``).
        """
        from changji.core.health import readiness  # deferred: the app registry is ready only in ready()
        from changji.water import health  # deferred: it imports models
        from changji.water.sharing import catalogue  # deferred: the stream modules import models

        catalogue.install()
        readiness.register("water.frames", health.frames_fresh)

    #: Ports of the demo: the gateway listens here and the simulated fleet dials in.
    demo_gateway_port = 9000

    def demo_wells(self) -> int:
        return int(os.environ.get("WELLS", "300"))

    def demo_history_days(self) -> int:
        return int(os.environ.get("HISTORY_DAYS", "365"))

    def prepare_demo(self) -> str:
        """Register the demo fleet (``WELLS`` wells, default 300), seed what a bureau enters, and a year of history.

        See ``water.demo``: the history (``HISTORY_DAYS`` days, default 365; 0 for none) is written once; a
        second preparation keeps it. The live fleet continues its registers from the last readings.
        """
        from changji.water.demo import prepare_water_demo  # deferred: the app registry is ready only in ready()

        return prepare_water_demo(self.demo_wells(), self.demo_history_days())

    def demo_processes(self) -> list[list[str]]:
        """Return the commands the demo runs beside the web server: the gateway, the derivation loop and the fleet.

        The recurring jobs (``water/jobs.py``) run in ``changji jobs``, which ``core.demo`` starts. The fleet
        continues the registers of the stored history and replays back towards local midnight, where the
        generated history ends, as far as it can before the alarm jobs start (12.5 h at the default speed-up;
        at least ``HISTORY_HOURS``), never before midnight: no reading is generated twice, and a demo started
        later in the day shows its terminals silent from midnight until the replay begins.
        """
        from changji.core import localtime  # deferred: settings are ready only once the apps are
        from changji.core.demo import DEMO_JOBS_START_DELAY_S  # deferred: as above

        port = str(self.demo_gateway_port)
        speedup = os.environ.get("SPEEDUP", "300")
        since_midnight_h = (timezone.now() - localtime.day_bounds(localtime.today())[0]).total_seconds() / 3600
        # As far back towards midnight as the replay can go before the alarm jobs start judging (with a margin).
        replay_budget_h = (DEMO_JOBS_START_DELAY_S - 30) * float(speedup) / 3600
        replay_h = min(since_midnight_h, max(float(os.environ.get("HISTORY_HOURS", "6")), replay_budget_h))
        return [
            ["gateway", "--host", "127.0.0.1", "--port", port, "--auto-register"],
            ["water", "derive"],
            ["simulate", "--port", port, "--wells", str(self.demo_wells()), "--speedup", speedup,
             "--history-hours", f"{replay_h:.2f}", "--continue-registers",
             "--tamper", "0.02", "--bypass", "0.01", "--flowmeter-fault", "0.01", "--offline", "0.02",
             "--duplicates", "0.01", "--corrupt", "0.01", "--clock-drift", "0.01"],
        ]
