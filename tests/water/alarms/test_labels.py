"""An alarm's state, kind and severity each have one name, and the pages and the API show it.

The model's choices come from the one definition (``alarms.workflow.STATE_LABELS``, ``alarms.rules.KIND_LABELS``
and ``SEVERITY_LABELS``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from changji.water.alarms.rules import KIND_LABELS, RULES, SEVERITY_LABELS, AlarmKind, Severity
from changji.water.alarms.service import acknowledge, dismiss
from changji.water.alarms.workflow import STATE_LABELS, AlarmState
from changji.water.models import Alarm, AlarmEvent

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def choices(model, name) -> dict[str, str]:
    return {value: str(label) for value, label in model._meta.get_field(name).choices}


def test_the_model_choices_are_the_one_definition():
    assert choices(Alarm, "state") == {state.value: STATE_LABELS[state] for state in AlarmState}
    assert choices(Alarm, "kind") == {kind.value: RULES[kind].title for kind in AlarmKind} == dict(KIND_LABELS)
    assert choices(Alarm, "severity") == {severity.value: SEVERITY_LABELS[severity] for severity in Severity}
    assert choices(AlarmEvent, "from_state") == choices(AlarmEvent, "to_state") == choices(Alarm, "state")
    assert STATE_LABELS[AlarmState.DISMISSED] == "误报关闭"


@pytest.mark.django_db
def test_pages_and_api_show_the_same_names(make_terminal, make_user, client):
    terminal = make_terminal()
    operator = make_user("op-labels", "652323")
    alarm = Alarm.objects.create(terminal=terminal, well=terminal.well, kind="door_open", severity="warning",
                                 state="open", raised_at=T0)
    alarm = dismiss(acknowledge(alarm, operator), operator, "计划维护")
    client.force_login(operator)
    listed = client.get("/water/alarms/").content.decode()
    detail = client.get(f"/water/alarms/{alarm.pk}/").content.decode()
    for page in (listed, detail):
        assert "误报关闭" in page and "柜门打开" in page and "一般" in page
    assert "待处理 → 已确认" in detail and "已确认 → 误报关闭" in detail
    assert "误报关闭" in client.get(f"/water/wells/{terminal.well.pk}/").content.decode()
    body = client.get(f"/api/water/alarms/{alarm.pk}").json()
    assert (body["state"], body["state_label"]) == ("dismissed", "误报关闭")
    assert (body["kind_label"], body["severity_label"]) == ("柜门打开", "一般")
