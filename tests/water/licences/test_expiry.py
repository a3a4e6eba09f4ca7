"""The daily licence jobs: warnings 90 then 30 days ahead (once each), expiry, and the 无证取水 alarm."""

from __future__ import annotations

from datetime import date, timedelta

from changji.core.models import AuditEntry
from changji.water.alarms.rules import KIND_LABELS, RULES, AlarmKind
from changji.water.licences.expiry import sweep_unlicensed, warn_and_expire
from changji.water.licences.service import save_licence, transition_licence
from changji.water.models import Alarm, DailyUsage, Licence
from tests.water.licences.conftest import licence_data

END = date(2030, 12, 31)


def _warnings():
    return list(AuditEntry.objects.filter(action="water.licence.expiring").order_by("at"))


def test_warned_at_90_then_30_days_once_each(world, licence):
    assert warn_and_expire(END - timedelta(days=91)) == {"warned": 0, "expired": 0}
    assert warn_and_expire(END - timedelta(days=90))["warned"] == 1
    assert warn_and_expire(END - timedelta(days=90))["warned"] == 0  # the same day again
    assert warn_and_expire(END - timedelta(days=45))["warned"] == 0
    assert warn_and_expire(END - timedelta(days=30))["warned"] == 1
    assert warn_and_expire(END - timedelta(days=29))["warned"] == 0
    first, second = _warnings()
    assert first.object_type == "water.licence" and first.object_id == str(licence.pk)
    assert first.detail == {"days_left": 90, "threshold_days": 90, "valid_to": "2030-12-31",
                            "number": licence.number, "water_user": "HTB-U1"}
    assert second.detail["days_left"] == 30 and second.region_id == "652323"
    assert Licence.objects.get().expiry_warned_days == 30


def test_a_suspended_licence_is_not_warned_and_a_renewal_is_warned_again(world, licence):
    transition_licence(licence, "suspended", world.operator, "整改")
    assert warn_and_expire(END - timedelta(days=60))["warned"] == 0
    transition_licence(licence, "valid", world.operator, "整改完成", on=END - timedelta(days=60))
    assert warn_and_expire(END - timedelta(days=60))["warned"] == 1
    save_licence(licence_data(world.user, world.wells, valid_to=date(2031, 1, 31)), world.operator, licence)
    assert Licence.objects.get().expiry_warned_days is None
    assert warn_and_expire(date(2031, 1, 1))["warned"] == 1  # 30 days before the new end: the 30-day warning


def test_past_its_end_a_licence_expires_by_the_system(world, licence):
    assert warn_and_expire(END)["expired"] == 0  # the last valid day
    assert warn_and_expire(END + timedelta(days=1)) == {"warned": 0, "expired": 1}
    assert warn_and_expire(END + timedelta(days=1)) == {"warned": 0, "expired": 0}
    licence.refresh_from_db()
    assert licence.state == "expired"
    (entry,) = AuditEntry.objects.filter(action="water.licence.expired")
    assert entry.actor is None and entry.actor_name == "system" and entry.detail["from_state"] == "valid"


def _use(well, day, m3):
    DailyUsage.objects.update_or_create(well=well, day=day, defaults={"usage_m3": m3, "water_m3": m3})


def _open(kind=AlarmKind.UNLICENSED):
    return list(Alarm.objects.filter(kind=kind, state__in=["open", "acknowledged", "assigned"]))


def test_the_unlicensed_alarm_is_in_the_rule_table():
    assert KIND_LABELS[AlarmKind.UNLICENSED] == "无证取水"
    assert RULES[AlarmKind.UNLICENSED].auto_clear


def test_a_well_taking_water_without_a_valid_licence_raises_once_and_clears_when_covered(world):
    day = date(2026, 6, 1)
    well = world.wells[0]
    _use(well, day, 40.0)
    _use(world.wells[1], day, 0.0)  # no water taken: nothing to judge
    assert sweep_unlicensed(day)["raised"] == 1
    assert sweep_unlicensed(day)["raised"] == 0  # idempotent
    _use(well, day + timedelta(days=1), 35.0)
    assert sweep_unlicensed(day + timedelta(days=1))["raised"] == 0
    (alarm,) = _open()
    assert alarm.terminal == well.terminals.order_by("pk").first() and alarm.well == well
    assert alarm.severity == "major" and alarm.evidence["usage_m3"] == 40.0 and alarm.evidence["licences"] == []
    save_licence(licence_data(world.user, [well], valid_from=date(2026, 1, 1)), world.operator)
    counts = sweep_unlicensed(day + timedelta(days=2))
    assert counts["cleared"] == 1 and _open() == []
    assert Alarm.objects.get().state == "auto_cleared"
    assert sweep_unlicensed(day + timedelta(days=2))["cleared"] == 0


def test_a_suspended_licence_does_not_cover(world, licence):
    day = date(2026, 7, 1)
    _use(world.wells[2], day, 12.0)
    assert sweep_unlicensed(day)["raised"] == 0
    transition_licence(licence, "suspended", world.operator, "责令停止取水")
    assert sweep_unlicensed(day)["raised"] == 1
    (alarm,) = _open()
    assert alarm.well == world.wells[2]


def test_the_daily_jobs_run_on_the_local_day(world, licence):
    from datetime import datetime

    from changji.core.localtime import SHANGHAI
    from changji.water import jobs

    at = datetime(2030, 10, 2, 0, 5, tzinfo=SHANGHAI)  # 90 days before 2030-12-31
    assert jobs.licence_expiry(at) == {"warned": 1, "expired": 0}
    _use(world.wells[0], date(2031, 1, 1), 9.0)
    assert jobs.licence_expiry(datetime(2031, 1, 1, 0, 5, tzinfo=SHANGHAI)) == {"warned": 0, "expired": 1}
    assert jobs.unlicensed(datetime(2031, 1, 2, 0, 5, tzinfo=SHANGHAI))["raised"] == 1
