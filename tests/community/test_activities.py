"""Activities (微行动): participants and hours earn points, people served count once per person per activity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from changji.community.actors import InputError


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clinic(community_world):
    from changji.community.activities import record_activity

    return record_activity(community_world.grid_a.region, "health", "健康义诊进小区", date(2026, 3, 5), "幸福小区广场",
                           organiser=community_world.users.grid_a)


@pytest.fixture
def member(community_world):
    from changji.community.people import register_member

    return register_member(community_world.east, "王五", "652328198506120037", "", "县医院", "in_service",
                           date(2026, 1, 5), actor=community_world.users.east)


def test_recording_an_activity_is_scoped_and_checked(community_world, clinic):
    from changji.community.activities import record_activity

    assert (clinic.region, clinic.organiser, clinic.kind) == (community_world.grid_a.region,
                                                              community_world.users.grid_a, "health")
    with pytest.raises(PermissionDenied):
        record_activity(community_world.grid_a.region, "health", "义诊", date(2026, 3, 5),
                        organiser=community_world.users.grid_c)
    with pytest.raises(InputError) as error:
        record_activity(community_world.east, "dance", "广场舞", date(2026, 3, 5), organiser=None)
    assert error.value.field == "kind"
    with pytest.raises(InputError):
        record_activity(community_world.town, "other", "全镇大扫除", date(2026, 3, 5), organiser=None)


def test_people_served_are_counted_once_per_person_per_activity(community_world, clinic):
    from changji.community.activities import activity_figures, add_served, record_activity
    from changji.community.models import Activity, Resident

    w = community_world
    assert add_served(clinic, [w.zhang, w.li]) == 2
    assert add_served(clinic, [w.zhang]) == 0  # adding 张三 again changes nothing
    assert add_served(clinic, [w.zhang, w.zhang, w.li]) == 0
    market = record_activity(w.east, "market", "邻里集市", date(2026, 3, 8), organiser=w.users.east)
    assert add_served(market, [w.zhang]) == 1  # the same person at another activity counts again
    figures = activity_figures(Activity.objects.all())
    assert (figures.activities, figures.people_served) == (2, 3)
    harmony_resident = Resident.objects.create(household=w.household, region=w.grid_c.region, name="王二")
    with pytest.raises(InputError, match="不是本社区居民"):
        add_served(clinic, [harmony_resident])


def test_participants_give_hours_and_earn_points_once(community_world, clinic, member):
    from changji.community.activities import activity_figures, add_participant
    from changji.community.models import Activity, PointEntry
    from changji.community.people import register_unit

    unit = register_unit(community_world.east, "县供电公司", "", "", date(2026, 1, 6), actor=None)
    add_participant(clinic, member, "2.5")
    add_participant(clinic, unit, Decimal(4))
    with pytest.raises(InputError, match="已登记"):
        add_participant(clinic, member, 1)
    for bad in ("0", "25", "abc"):
        with pytest.raises(InputError) as error:
            add_participant(clinic, unit, bad)
        assert error.value.field == "hours"
    west_unit = register_unit(community_world.west, "西城物业", "", "", date(2026, 1, 6), actor=None)
    with pytest.raises(InputError, match="本社区"):
        add_participant(clinic, west_unit, 1)
    assert sorted((e.member_id is not None, e.rule.code, e.points) for e in PointEntry.objects.all()) == [
        (False, "activity_hours", 4), (False, "activity_participation", 5),
        (True, "activity_hours", 2), (True, "activity_participation", 5)]
    assert activity_figures(Activity.objects.all()).hours == Decimal("6.5")


def test_photos_are_images_only(community_world, clinic):
    from changji.community.activities import add_photo

    photo = add_photo(clinic, SimpleUploadedFile("clinic.jpg", b"\xff\xd8\xff", content_type="image/jpeg"), "义诊现场")
    assert photo.photo.name.endswith(".jpg") and photo.caption == "义诊现场"
    with pytest.raises(InputError, match="jpg"):
        add_photo(clinic, SimpleUploadedFile("clinic.exe", b"MZ"))
