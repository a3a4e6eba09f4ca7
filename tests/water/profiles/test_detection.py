"""A terminal on the wrong profile: detected from its raw frames, switched on confirmation, re-decoded, rebuilt."""

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.core.models import AuditEntry
from changji.water.models import DailyUsage, DeviceBatch, Frame, ProfileSuggestion, Reading, SuggestionState
from changji.water.profiles import scoring, service
from changji.water.profiles.options import parse_options
from changji.water.protocols import szy206

pytestmark = pytest.mark.django_db

JXJS = {"word_order": "big", "flow_first": False, "ack_style": "blg"}
START = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Changji
REPORTS = 36


def _frames(address: str, options) -> list[tuple[bytes, datetime]]:
    """Three hours of a pumping well: 60 m³/h, so the volume grows 5 m³ every 5 minutes."""
    out = []
    for n in range(REPORTS):
        observed = START + timedelta(minutes=5 * n)
        label = szy206.TimeLabel.from_datetime(observed, 0)
        values = {"flow": [60.0], "flow_unit": ["m3/h"], "volume_m3": [1000 + 5 * n]}
        status = 0x20  # running, door closed
        out.append((szy206.encode_self_report(address, 3, values, label, status_word=status, options=options),
                    observed + timedelta(seconds=30)))
    return out


def _profile(admin, name, options):
    return service.save_profile(None, {"name": name, "protocol": "szy206", "options": options, "link_mode": "online",
                                       "report_interval_s": 300, "description": ""}, admin)


@pytest.fixture
def misfit(make_terminal, make_user):
    """A JXJS unit registered in a batch whose profile is the 2016 default: stored readings are garbage."""
    admin = make_user("p-admin", "652300", role="prefecture_admin")
    plain, jxjs = _profile(admin, "通用", {}), _profile(admin, "JXJS", JXJS)
    _profile(admin, "SL427", {"ack_style": "sl427", "time_label_length": 7})
    batch = DeviceBatch.objects.create(name="2021-B", profile=plain)
    terminal = make_terminal("6523230009", batch=batch)
    Frame.objects.bulk_create([
        Frame(received_at=received, peer="1.2.3.4:5", protocol="szy206", address=terminal.address, terminal=terminal,
              function="C0", raw=raw, outcome="stored")
        for raw, received in _frames(terminal.address, parse_options("szy206", JXJS))
    ])
    service.redecode_terminal(terminal, parse_options("szy206", {}))  # what the gateway stored under "通用"
    service._rebuild(terminal, date(2026, 7, 1))
    return terminal, plain, jxjs


def test_scoring_tells_the_fitting_profile_apart():
    frames = _frames("6523230009", parse_options("szy206", JXJS))
    right = scoring.score_frames("szy206", frames, parse_options("szy206", JXJS))
    wrong = scoring.score_frames("szy206", frames, parse_options("szy206", {}))
    assert right.score == pytest.approx(1.0)
    assert wrong.parts["plausible"] == 0 and wrong.parts["consistent"] == 0 and wrong.score < 0.7
    undecodable = scoring.score_frames("szy206", frames, parse_options("szy206", {"time_label_length": 7}))
    assert undecodable.parts["decodes"] == 0 and "error" in undecodable.sample


def test_swapped_profile_is_detected_confirmed_redecoded_and_rebuilt(misfit, make_user):
    terminal, plain, jxjs = misfit
    wrong = Reading.objects.filter(terminal=terminal).order_by("observed_at").last()
    assert wrong.volume_m3 > 1e9  # flow digits read as the register: the day's use is nonsense
    day = DailyUsage.objects.get(well=terminal.well, day=date(2026, 7, 1))
    assert day.water_m3 != 5 * (REPORTS - 1)

    assert service.detect() == {"scored": 1, "flagged": 1}
    suggestion = ProfileSuggestion.objects.get(terminal=terminal)
    assert (suggestion.current_profile, suggestion.suggested_profile) == (plain, jxjs)
    assert suggestion.score == pytest.approx(1.0) and suggestion.current_score < 0.7
    assert suggestion.evidence["suggested"]["sample"]["volume_m3"] == 1000 + 5 * (REPORTS - 1)
    assert service.detect()["flagged"] == 1 and ProfileSuggestion.objects.count() == 1  # updated, not repeated

    operator = make_user("op", "652323")
    result = service.confirm_switch(suggestion, operator)
    assert (result.frames, result.readings, result.first_day) == (REPORTS, REPORTS, date(2026, 7, 1))
    terminal.refresh_from_db()
    assert terminal.profile_override == jxjs  # the batch keeps its profile; this unit gets its own
    readings = list(Reading.objects.filter(terminal=terminal).order_by("observed_at"))
    assert [r.volume_m3 for r in readings] == [1000.0 + 5 * n for n in range(REPORTS)]
    assert {r.flow_m3h for r in readings} == {60.0} and {r.door_open for r in readings} == {False}
    day = DailyUsage.objects.get(well=terminal.well, day=date(2026, 7, 1))
    assert day.water_m3 == pytest.approx(5 * (REPORTS - 1))
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.CONFIRMED and suggestion.readings_redecoded == REPORTS
    entry = AuditEntry.objects.get(action="water.terminal.profile_switch")
    assert entry.detail["after"] == "JXJS v1" and entry.detail["readings"] == REPORTS
    assert service.detect()["flagged"] == 0  # it fits now


def test_a_foreign_county_operator_cannot_confirm(misfit, make_user):
    from django.core.exceptions import PermissionDenied

    terminal, _, _ = misfit
    service.detect()
    suggestion = ProfileSuggestion.objects.get(terminal=terminal)
    with pytest.raises(PermissionDenied):
        service.confirm_switch(suggestion, make_user("op-manas", "652324"))
    assert ProfileSuggestion.objects.get().state == SuggestionState.OPEN
