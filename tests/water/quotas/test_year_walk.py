"""A season of one well, end to end on the real database (SQLite, and PostgreSQL on the PostgreSQL pass).

The suite runs on PostgreSQL when DATABASE_URL names it (tests/conftest.py), and CI (.ci/run) runs it on both;
this test carries no ``fault`` marker, the only one a PostgreSQL pass may leave out. The pumping is real
readings folded into DailyUsage by the live derivation path; the stop and the unlock are real Command rows,
encoded by the gateway into the SZY206 frames the terminal receives (93H stop, 33H 定值控制退出 as unlock).
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from changji.core.localtime import SHANGHAI, local_day
from changji.core.models import AuditEntry
from changji.water.gateway.commands import encode_command
from changji.water.gateway.records import TerminalInfo
from changji.water.gateway.storage import load_open_commands
from changji.water.models import Allocation, Command, DailyUsage, Frame, Reading, Well
from changji.water.protocols.szy206 import decode_szy206
from changji.water.quotas.controls import top_up
from changji.water.quotas.sweep import sweep_quotas
from changji.water.usage.derive import update_for_readings

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # about 10 s: the live derivation per report


class Pump:
    """The well's terminal reporting its volume register every 10 minutes from local midnight today."""

    def __init__(self, terminal):
        self.terminal = terminal
        self.at = datetime.combine(local_day(timezone.now()), time(0, 0), SHANGHAI)
        self.volume = 5000.0
        self.frame = Frame.objects.create(received_at=timezone.now(), peer="walk", protocol="szy206", raw=b"\x68",
                                          outcome="stored")
        self.run(0.0, steps=1)  # the register as the day starts

    def run(self, m3: float, steps: int | None = None) -> None:
        """Pump ``m3`` at 300 m³/h (50 m³ a report); derive the day as the derivation loop would."""
        steps = steps or math.ceil(m3 / 50)
        for _ in range(steps):
            self.at += timedelta(minutes=10)
            self.volume += m3 / steps
            Reading.objects.create(terminal=self.terminal, observed_at=self.at, received_at=self.at,
                                   volume_m3=round(self.volume, 3), pump_on=True, frame=self.frame)
            update_for_readings(self.terminal.pk, [self.at])

    def used(self) -> float:
        return DailyUsage.objects.get(well=self.terminal.well, day=local_day(timezone.now())).usage_m3


def frame_of(command: Command):
    """The frame the gateway sends for ``command``, decoded back (the real encoder, from the open-command store)."""
    (pending,) = [p for p in load_open_commands()[command.terminal_id] if p.id == str(command.pk)]
    info = TerminalInfo(id=command.terminal_id, protocol="szy206", address=command.terminal.address)
    return decode_szy206(encode_command(info, pending, timezone.now()))


def events(allocation: Allocation) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(allocation.pk), action__startswith="water.quota.")
                .order_by("at", "pk").values_list("action", flat=True))


def test_a_season_warn_announce_stop_top_up_unlock_restart(make_terminal, make_user):
    terminal = make_terminal()
    well = terminal.well
    Well.objects.filter(pk=well.pk).update(pump_rated_flow_m3h=400)  # a large irrigation well
    today = local_day(timezone.now())
    operator = make_user("hutubi-op", "652323")
    allocation = Allocation.objects.create(year=today.year, well=well, allocation_m3=1000)
    pump = Pump(terminal)
    clock = timezone.now()

    pump.run(500)
    assert sweep_quotas(today, now=clock).warnings == []
    pump.run(320)  # 820 m³
    assert sweep_quotas(today, now=clock).warnings == [(allocation.pk, 0.8)]
    pump.run(200)  # 1,020 m³: 90 % and 100 % at once, and the stop announced with two days' notice
    result = sweep_quotas(today, now=clock)
    assert [t for _, t in result.warnings] == [0.9, 1.0] and result.announced == [allocation.pk]
    assert pump.used() == pytest.approx(1020)
    assert not Command.objects.exists()
    allocation.refresh_from_db()
    assert allocation.stop_due_at == clock + timedelta(hours=48)

    assert sweep_quotas(today, now=clock + timedelta(hours=47, minutes=59)).stops == []
    result = sweep_quotas(today, now=clock + timedelta(hours=48))
    (stop,) = Command.objects.filter(kind="pump_stop")
    assert result.stops == [stop.pk] and stop.state == "queued" and stop.terminal == terminal
    assert frame_of(stop).afn == 0x93  # SZY206 93H: stop the pump

    top_up(allocation, 500, "追加指标（抗旱）", operator, None, operator)
    (unlock,) = Command.objects.filter(kind="pump_unlock")
    assert frame_of(unlock).afn == 0x33  # SZY206 33H 定值控制退出: the lock is released, no remote start
    stop.refresh_from_db()
    assert stop.state == "cancelled"  # never delivered after the unlock
    assert not Command.objects.filter(kind="pump_start").exists()
    allocation.refresh_from_db()
    assert not allocation.stopped_by_quota and allocation.stop_due_at is None

    pump.run(100)  # the farmer restarts on site: the register grows again, 1,120 of 1,500 m³
    assert pump.used() == pytest.approx(1120)
    later = sweep_quotas(today, now=clock + timedelta(hours=49))
    assert later.warnings == later.stops == later.starts == later.announced == []
    pump.run(100)  # 1,220 of 1,500: 80 % of the new allocation, warned again
    assert sweep_quotas(today, now=clock + timedelta(hours=50)).warnings == [(allocation.pk, 0.8)]
    assert events(allocation) == [
        "water.quota.warning", "water.quota.warning", "water.quota.warning", "water.quota.stop_announced",
        "water.quota.stop", "water.quota.topup", "water.quota.restore", "water.quota.warning",
    ]
    assert sorted(Command.objects.values_list("kind", "state")) == [("pump_stop", "cancelled"),
                                                                   ("pump_unlock", "queued")]
