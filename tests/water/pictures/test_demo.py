"""The demo's pictures: the prefecture's policy, the morning's pictures (some flagged), a tamper alarm's; once."""

from __future__ import annotations

import pytest

from changji.water.models import PicturePolicy, Snapshot
from changji.water.pictures.demo import seed_pictures
from changji.water.pictures.schedule import DEFAULT_ALARM_KINDS
from changji.water.sim.demo import seed_fleet

pytestmark = pytest.mark.django_db


def test_demo_pictures_are_seeded_once(media):
    seed_fleet(60)
    first = seed_pictures()
    assert first["policies"] == 1 and first["alarm_pictures"] == 1 and first["pictures"] >= 20
    policy = PicturePolicy.objects.get()
    assert (policy.region_id, policy.times, policy.alarm_kinds) == ("652300", ["10:00"], list(DEFAULT_ALARM_KINDS))
    assert Snapshot.objects.filter(flagged=True).count() == 4
    [evidence] = Snapshot.objects.filter(alarm__isnull=False)
    assert evidence.trigger == "alarm" and evidence.alarm.kind in DEFAULT_ALARM_KINDS
    assert (media / evidence.image.name).read_bytes()[:2] == b"\xff\xd8"
    assert seed_pictures() == {"policies": 0, "pictures": 0, "alarm_pictures": 0}
