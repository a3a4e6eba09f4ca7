"""The demo fleet: batches with different profiles, the simulator speaks them, the misfit is flagged."""

import pytest

from changji.water.models import DeviceBatch, ProfileSuggestion, Terminal
from changji.water.profiles.demo import seed_profile_frames
from changji.water.profiles.service import detect
from changji.water.sim.demo import seed_fleet
from changji.water.sim.profiles import MISFIT_CODE

pytestmark = pytest.mark.django_db


def test_demo_batches_and_the_misfit_is_flagged():
    fleet = seed_fleet(30)
    batches = {b.name: b.profile.options for b in DeviceBatch.objects.select_related("profile")}
    assert len(batches) >= 3 and len({b.profile_id for b in DeviceBatch.objects.all()}) >= 3
    assert batches["2019-JXJS-A"]["word_order"] == "big" and not batches["2019-JXJS-A"]["flow_first"]
    assert batches["2021-SL427-B"]["time_label_length"] == 7
    assert batches["2020-SL651-G"]["volume_extension"] == "FF01"
    used = set(Terminal.objects.values_list("batch__name", flat=True))
    assert {"2019-JXJS-A", "2021-SL427-B", "2018-HM-C", "2020-SL651-G"} <= used
    assert seed_profile_frames(fleet) > 0
    assert seed_profile_frames(fleet) == 0  # once
    counts = detect()
    assert counts["flagged"] == 1, counts
    suggestion = ProfileSuggestion.objects.get()
    assert suggestion.terminal.well.code == MISFIT_CODE
    assert suggestion.current_profile.name == "SL/T 427-2021 标准"
    assert suggestion.suggested_profile.name == "JXJS 大端状态字·水量在前"
