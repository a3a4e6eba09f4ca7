"""Scheduled pictures per policy (idempotent), alarm pictures, policies and review actions, all audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from changji.core.models import AuditEntry, Region, Role
from changji.water.alarms import rules
from changji.water.alarms.evaluation import apply_signals
from changji.water.jobs import pictures as picture_job
from changji.water.models import Alarm, Command, PicturePolicy, WorkOrder
from changji.water.pictures import service
from changji.water.pictures.schedule import SHANGHAI

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, day: int = 15) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def fleet(make_terminal):
    """Two terminals in 呼图壁县, one in 昌吉市, one SL651 monitoring well in 呼图壁县, one not installed."""
    return {
        "hutubi": make_terminal("6523230001", county="652323"),
        "hutubi2": make_terminal("6523230002", county="652323"),
        "city": make_terminal("6523010001", county="652301"),
        "station": make_terminal("0065232301", protocol="sl651", county="652323"),
    }


def scheduled():
    return Command.objects.filter(kind="query_picture", params__trigger="scheduled")


def test_the_daily_schedule_queues_once_per_slot_and_a_county_policy_replaces_the_prefectures(fleet):
    service.save_policy(Region.objects.get(code="652300"), True, ["10:00"], [], by="test")
    service.save_policy(Region.objects.get(code="652301"), False, ["10:00"], [], by="test")  # 昌吉市: no pictures
    assert picture_job(at(9, 59)) == {"policies": 0, "queued": 0, "skipped_open": 0}
    first = picture_job(at(10, 1))
    assert first == {"policies": 1, "queued": 3, "skipped_open": 0}
    assert {c.terminal.address for c in scheduled()} == {"6523230001", "6523230002", "0065232301"}
    assert {c.params["slot"] for c in scheduled()} == {"2026-06-15T10:00"}
    # the same minute again, a later minute, a second runner: nothing more
    assert picture_job(at(10, 1))["queued"] == picture_job(at(10, 30))["queued"] == 0
    assert scheduled().count() == 3
    assert AuditEntry.objects.filter(action="water.picture.scheduled").count() == 1
    # the next day: terminals whose picture query is still open get no second one
    scheduled().filter(terminal=fleet["hutubi"]).update(state="confirmed")
    assert picture_job(at(10, 0, day=16)) == {"policies": 1, "queued": 1, "skipped_open": 2}
    assert scheduled().count() == 4


def test_a_disabled_or_missing_policy_takes_no_pictures(fleet):
    assert service.queue_scheduled(at(10, 1)) == {"policies": 0, "queued": 0, "skipped_open": 0}
    service.save_policy(Region.objects.get(code="652300"), False, ["10:00"], [], by="test")
    assert service.queue_scheduled(at(10, 1))["queued"] == 0
    assert not Command.objects.exists()


def _raise(terminal, kind: str) -> list[Alarm]:
    signal = rules.Signal(rules.AlarmKind(kind), True, rules.Severity.MAJOR, at(10), None, {"door_open": True})
    raised: list[Alarm] = []
    for _ in range(5):  # the rules debounce over evaluations
        raised += apply_signals(terminal, [signal], at(10))[0]
    return raised


def test_an_alarm_of_a_listed_kind_queues_one_picture_that_names_it(fleet):
    service.save_policy(Region.objects.get(code="652300"), True, [], ["door_open"], by="test")
    [alarm] = _raise(fleet["hutubi"], "door_open")
    [command] = Command.objects.filter(kind="query_picture")
    assert command.terminal == fleet["hutubi"]
    assert command.params == {"trigger": "alarm", "alarm_id": str(alarm.pk)}
    assert AuditEntry.objects.filter(action="water.command.queued", object_id=str(command.pk)).exists()
    _raise(fleet["hutubi2"], "low_battery")  # not a listed kind
    assert Command.objects.count() == 1


def test_policies_are_saved_checked_scoped_and_audited(fleet, make_user):
    county = Region.objects.get(code="652323")
    operator = make_user("hutubi-op", "652323", Role.COUNTY_OPERATOR)
    policy = service.save_policy(county, True, ["16:00", "10:00"], ["meter_fault", "door_open"], by=operator)
    assert (policy.times, policy.alarm_kinds) == (["10:00", "16:00"], ["door_open", "meter_fault"])
    entry = AuditEntry.objects.get(action="water.picture.policy")
    assert entry.detail["after"]["times"] == ["10:00", "16:00"]
    with pytest.raises(ValidationError) as bad:
        service.save_policy(county, True, ["25:00"], [], by=operator)
    assert "times" in bad.value.message_dict
    with pytest.raises(ValidationError):
        service.save_policy(county, True, [], ["nope"], by=operator)
    with pytest.raises(PermissionDenied):
        service.save_policy(Region.objects.get(code="652301"), True, [], [], by=operator)
    viewer = make_user("viewer", "652323", Role.TOWNSHIP_VIEWER)
    with pytest.raises(PermissionDenied):
        service.save_policy(county, True, [], [], by=viewer)
    service.delete_policy(policy, by=operator)
    assert not PicturePolicy.objects.exists()
    assert AuditEntry.objects.filter(action="water.picture.policy_deleted").count() == 1


def test_review_actions_check_the_well_and_are_audited(fleet, make_picture, make_user):
    operator = make_user("hutubi-op", "652323", Role.COUNTY_OPERATOR)
    terminal = fleet["hutubi"]
    picture = make_picture(terminal, at(10))
    with pytest.raises(ValidationError):
        service.flag(picture, "  ", operator)
    service.flag(picture, "表计遮挡", operator)
    service.mark_reviewed(picture, operator)
    picture.refresh_from_db()
    assert (picture.flagged, picture.flag_reason, picture.reviewed_by) == (True, "表计遮挡", operator)
    own = Alarm.objects.create(terminal=terminal, well=terminal.well, kind="door_open", severity="major",
                               state="open", raised_at=at(9))
    other = Alarm.objects.create(terminal=fleet["hutubi2"], well=fleet["hutubi2"].well, kind="door_open",
                                 severity="major", state="open", raised_at=at(9))
    with pytest.raises(ValidationError):
        service.attach_alarm(picture, other, operator)
    service.attach_alarm(picture, own, operator)
    order = WorkOrder.objects.create(kind="site_check", well=terminal.well, due_on=at(10).date())
    foreign = WorkOrder.objects.create(kind="site_check", well=fleet["hutubi2"].well, due_on=at(10).date())
    with pytest.raises(ValidationError):
        service.attach_work_order(picture, foreign, operator)
    service.attach_work_order(picture, order, operator)
    assert list(own.pictures.all()) == list(order.pictures.all()) == [picture]
    service.unflag(picture, "已清理", operator)
    picture.refresh_from_db()
    assert not picture.flagged and picture.flag_reason == ""
    actions = list(AuditEntry.objects.filter(action__startswith="water.picture.").values_list("action", flat=True))
    assert sorted(actions) == sorted(["water.picture.flag", "water.picture.review", "water.picture.attach",
                                      "water.picture.attach", "water.picture.unflag"])
    city_picture = make_picture(fleet["city"], at(10))
    with pytest.raises(PermissionDenied):
        service.flag(city_picture, "管路改动", operator)


def test_latest_per_well_puts_flagged_first(fleet, make_picture):
    from changji.water.models import Snapshot, Well

    old_flagged = make_picture(fleet["hutubi"], at(8), flagged=True, flag_reason="表计遮挡")
    latest = make_picture(fleet["hutubi"], at(10))
    other = make_picture(fleet["hutubi2"], at(9), flagged=True, flag_reason="管路改动")
    city = make_picture(fleet["city"], at(11))
    rows = list(service.latest_per_well(Snapshot.objects.all(), Well.objects.all()))
    assert rows == [other, city, latest]
    flagged = service.filter_pictures(Snapshot.objects.all(), flagged=True)
    assert list(service.latest_per_well(flagged, Well.objects.all())) == [other, old_flagged]
    assert timedelta(0) < latest.observed_at - old_flagged.observed_at
