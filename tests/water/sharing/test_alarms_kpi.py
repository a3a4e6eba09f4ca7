"""The alarm and KPI streams: raised and handled alarms and terminal-days reach the upstream's own tables."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from changji.water.alarms.service import acknowledge, evaluate_terminal
from changji.water.kpi.terminal_days import refresh_terminal_days
from changji.water.models import Alarm, AlarmEvent, TerminalDay
from changji.water.sharing import capture
from changji.water.sharing.streams import Row, get

from .conftest import PEER

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def test_a_raised_and_acknowledged_alarm_is_applied_with_its_history(county_registry, sent, make_user):
    [alarm] = evaluate_terminal(county_registry, T0)  # never heard from: offline
    acknowledge(alarm, make_user("hutubi", "652323", role="county_operator"), note="已电话联系")
    rows = sent("alarms")
    assert {r.key for r in rows} == {f"szy206:6523230001|offline|{T0.isoformat()}"}
    with capture.quiet():
        Alarm.objects.all().delete()
        county_registry.reported_by = PEER
        county_registry.save()
    for _ in range(2):  # twice: the same state as once
        result = get("alarms").apply(rows, PEER)
        assert result.refused == [] and result.applied == 1
        alarm = Alarm.objects.get()
        assert alarm.state == "acknowledged" and alarm.raised_at == T0
        assert list(AlarmEvent.objects.order_by("at").values_list("to_state", "note"))[1:] == [
            ("acknowledged", "已电话联系")]
        assert AlarmEvent.objects.count() == 2


def test_alarms_of_an_unknown_terminal_are_refused(county_registry, sent):
    evaluate_terminal(county_registry, T0)
    rows = sent("alarms")
    result = get("alarms").apply(rows, PEER)  # the terminal is this level's own, not the peer's
    assert result.applied == 0 and "不是该下级平台上报的终端" in result.refused[0][1]
    stray = Row("szy206:9999999999|offline|x", "652323", {**rows[0].payload, "terminal": "szy206:9999999999"})
    assert "未知终端 9999999999" in get("alarms").apply([stray], PEER).refused[0][1]


def test_terminal_days_are_recorded_and_applied_idempotently(county_registry, sent):
    refresh_terminal_days(county_registry, [date(2026, 6, 1), date(2026, 6, 2)])
    rows = sent("kpi")
    assert {r.key for r in rows} == {"szy206:6523230001|2026-06-01", "szy206:6523230001|2026-06-02"}
    local = list(TerminalDay.objects.order_by("day").values_list("day", "expected_reports", "received_reports",
                                                                 "condition"))
    with capture.quiet():
        TerminalDay.objects.all().delete()
        county_registry.reported_by = PEER
        county_registry.save()
    for _ in range(2):
        assert get("kpi").apply(rows, PEER).refused == []
        assert list(TerminalDay.objects.order_by("day").values_list(
            "day", "expected_reports", "received_reports", "condition")) == local
    assert {r.key for r in sent("kpi")} == {r.key for r in rows}  # pushed on upwards


def test_terminal_days_of_a_terminal_not_reported_by_the_peer_are_refused(county_registry, sent):
    refresh_terminal_days(county_registry, [date(2026, 6, 1)])
    result = get("kpi").apply(sent("kpi"), PEER)
    assert result.applied == 0 and "请先上报终端档案" in result.refused[0][1]
