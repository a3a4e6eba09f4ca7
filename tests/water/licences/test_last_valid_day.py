"""A licence's last valid day is judged after the expiry job has already moved it to EXPIRED."""
from datetime import date, datetime

import pytest

from changji.core.localtime import SHANGHAI
from changji.water import jobs
from changji.water.alarms.rules import AlarmKind
from changji.water.models import Alarm, DailyUsage

pytestmark = pytest.mark.django_db
END = date(2030, 12, 31)


def test_use_on_the_licences_last_valid_day_is_not_unlicensed(world, licence):  # noqa: F811
    # The well pumps on 12-31, the licence's last valid day.
    DailyUsage.objects.create(well=world.wells[0], day=END, usage_m3=9.0, water_m3=9.0)
    at = datetime(2031, 1, 1, 0, 5, tzinfo=SHANGHAI)
    # The two daily jobs of 01-01: expiry (today) then 无证取水 for yesterday (12-31).
    assert jobs.licence_expiry(at)["expired"] == 1
    jobs.unlicensed(at)
    assert list(Alarm.objects.filter(kind=AlarmKind.UNLICENSED)) == []  # FAILS: a 无证取水 alarm is raised
