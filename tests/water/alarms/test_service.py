"""Alarms in the database: raised and cleared from stored readings, handled through the workflow table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changji.core.models import AuditEntry
from changji.water.alarms import evaluation
from changji.water.alarms.rules import AlarmKind
from changji.water.alarms.service import (
    acknowledge,
    assign,
    dismiss,
    evaluate_all,
    evaluate_terminal,
    reading_view,
    resolve,
    transition_alarm,
)
from changji.water.alarms.workflow import ALLOWED, AlarmState
from changji.water.models import (
    Alarm,
    AlarmEvent,
    AlarmRuleState,
    Frame,
    Reading,
    Snapshot,
    Terminal,
    WorkOrder,
    WorkOrderState,
)

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Changji
STEP = timedelta(minutes=5)
MINUTE = timedelta(minutes=1)


def add(terminal, at, **fields):
    """Store one reading observed and received at ``at``."""
    return add_many(terminal, [at], **fields)[0]


def add_many(terminal, times, **fields):
    """Store readings at ``times``; a callable field value is called with the reading's index."""
    frame = Frame.objects.create(received_at=times[0], peer="t", protocol=terminal.protocol, raw=b"\x68",
                                 outcome="stored", terminal=terminal)
    rows = [Reading(terminal=terminal, observed_at=at, received_at=at, frame=frame,
                    **{k: v(i) if callable(v) else v for k, v in fields.items()}) for i, at in enumerate(times)]
    return Reading.objects.bulk_create(rows)


def every_step(start, count):
    return [start + i * STEP for i in range(count)]


def kinds(alarms):
    return sorted(alarm.kind for alarm in alarms)


def history(alarm):
    return [(e.from_state, e.to_state, e.by_name) for e in AlarmEvent.objects.filter(alarm=alarm).order_by("at", "pk")]


def raise_door_alarm(terminal, at=T0):
    add(terminal, at, door_open=True)
    [alarm] = evaluate_terminal(terminal, at + MINUTE)
    assert alarm.kind == AlarmKind.DOOR_OPEN
    return alarm


# --- reading_view: protocol bits -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "native", "flowmeter", "level_meter", "changes"),
    [
        ("szy206", {"alarm_bits": [5], "status_bits": []}, True, False, None),
        ("szy206", {"alarm_bits": [0, 7]}, False, True, None),
        ("szy206", {"status_bits": [5]}, None, None, None),
        ("sl651", {"ZT": 1 << 5 | 1 << 7}, True, False, None),
        ("sl651", {"ZT": 1 << 6}, False, True, None),
        ("sl651", {"Z": 3.2, "events": {"ERC1": 0, "ERC2": 4}}, None, None, 4),
        ("sl651", {"ZT": "bad"}, None, None, None),
    ],
)
def test_reading_view_maps_meter_faults_and_parameter_changes(protocol, native, flowmeter, level_meter, changes):
    view = reading_view(Reading(pk=7, observed_at=T0, received_at=T0, native=native, flow_m3h=3.0), protocol)
    assert (view.flowmeter_fault, view.level_meter_fault, view.parameter_changes) == (flowmeter, level_meter, changes)
    assert (view.reading_id, view.flow_m3h, view.observed_at) == (7, 3.0, T0)


# --- evaluation ----------------------------------------------------------------------------------


def test_offline_terminal_raises_then_auto_clears_when_a_reading_arrives(make_terminal):
    terminal = make_terminal()
    add_many(terminal, every_step(T0, 12))  # T0 .. T0+55 min
    assert evaluate_terminal(terminal, T0 + 60 * MINUTE) == []
    [alarm] = evaluate_terminal(terminal, T0 + 75 * MINUTE)  # 20 min of silence > 3 × 5 min
    assert (alarm.kind, alarm.state, alarm.severity) == (AlarmKind.OFFLINE, AlarmState.OPEN, "major")
    assert alarm.raised_at == T0 + 75 * MINUTE and alarm.well == terminal.well
    assert alarm.evidence["last_seen"] == (T0 + 55 * MINUTE).isoformat()
    assert history(alarm) == [("", "open", "system")]
    # hours later the window is empty; the newest earlier reading still shows the silence, no second alarm
    assert evaluate_terminal(terminal, T0 + timedelta(hours=5)) == []
    assert Alarm.objects.count() == 1

    add(terminal, T0 + timedelta(hours=5, minutes=1))
    [cleared] = evaluate_terminal(terminal, T0 + timedelta(hours=5, minutes=2))
    assert cleared.pk == alarm.pk
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.AUTO_CLEARED
    assert alarm.cleared_at == alarm.closed_at == T0 + timedelta(hours=5, minutes=2)
    assert history(alarm) == [("", "open", "system"), ("open", "auto_cleared", "system")]
    assert list(AuditEntry.objects.order_by("at").values_list("action", flat=True)) == [
        "water.alarm.open", "water.alarm.auto_cleared"]


def test_a_terminal_never_heard_from_is_offline_with_no_last_seen(make_terminal):
    [alarm] = evaluate_terminal(make_terminal(), T0)
    assert alarm.kind == AlarmKind.OFFLINE and alarm.evidence["last_seen"] is None


def test_door_open_raises_once_and_clears_when_closed(make_terminal):
    terminal = make_terminal()
    add(terminal, T0 - 10 * MINUTE, door_open=True)
    add(terminal, T0 - 5 * MINUTE, door_open=False)
    assert evaluate_terminal(terminal, T0) == []  # judged from the newest report only
    alarm = raise_door_alarm(terminal, T0)
    assert alarm.raised_at == T0 and alarm.reading.observed_at == T0 and alarm.evidence["door_open"] is True
    add(terminal, T0 + STEP, door_open=True)
    assert evaluate_terminal(terminal, T0 + STEP + MINUTE) == []
    add(terminal, T0 + 2 * STEP, door_open=False)
    [cleared] = evaluate_terminal(terminal, T0 + 2 * STEP + MINUTE)
    assert cleared.state == AlarmState.AUTO_CLEARED and cleared.cleared_at == T0 + 2 * STEP
    assert Alarm.objects.count() == 1


def test_ac_power_loss_waits_for_two_reports_to_raise_and_two_to_clear(make_terminal):
    terminal = make_terminal()
    add(terminal, T0, ac_power_lost=True)
    assert evaluate_terminal(terminal, T0 + MINUTE) == []
    assert AlarmRuleState.objects.get(terminal=terminal, kind="ac_power_lost").active_streak == 1
    add(terminal, T0 + STEP, ac_power_lost=True)
    [alarm] = evaluate_terminal(terminal, T0 + STEP + MINUTE)
    assert alarm.kind == AlarmKind.AC_POWER_LOST
    add(terminal, T0 + 2 * STEP, ac_power_lost=False)
    assert evaluate_terminal(terminal, T0 + 2 * STEP + MINUTE) == []
    add(terminal, T0 + 3 * STEP, ac_power_lost=False)
    assert kinds(evaluate_terminal(terminal, T0 + 3 * STEP + MINUTE)) == ["ac_power_lost"]
    assert Alarm.objects.get().state == AlarmState.AUTO_CLEARED


def test_energy_without_water_raises_with_the_deltas_and_the_reading_that_showed_it(make_terminal):
    terminal = make_terminal()
    readings = add_many(terminal, every_step(T0, 13), energy_kwh=lambda i: 500 + 0.5 * i, volume_m3=1000.0,
                        pump_on=True, flow_m3h=0.0)
    assert evaluate_terminal(terminal, T0 + 56 * MINUTE) == []  # first active evaluation of two
    [alarm] = evaluate_terminal(terminal, T0 + 61 * MINUTE)
    assert alarm.kind == AlarmKind.ENERGY_WITHOUT_WATER
    assert alarm.reading_id == readings[12].pk and alarm.raised_at == T0 + 60 * MINUTE
    assert alarm.evidence["energy_kwh_delta"] == pytest.approx(6.0)  # 12 steps: the earlier reading included
    assert alarm.evidence["volume_m3_delta"] == 0
    assert alarm.evidence["window_from"] == T0.isoformat()
    assert alarm.evidence["pump_on_zero_flow_reports"] == 13


def test_a_register_reversal_raises_and_does_not_clear_itself(make_terminal):
    terminal = make_terminal()
    add_many(terminal, every_step(T0, 6), volume_m3=lambda i: 1000 + i if i < 4 else 990 + i)
    [alarm] = evaluate_terminal(terminal, T0 + 26 * MINUTE)
    assert alarm.kind == AlarmKind.REGISTER_REVERSAL
    assert alarm.evidence["steps"][0]["before"] == 1003 and alarm.evidence["steps"][0]["after"] == 994
    # two hours of normal reports: the reversal has left the window, the counter re-arms, the alarm stays
    add_many(terminal, every_step(T0 + 30 * MINUTE, 24), volume_m3=lambda i: 1000 + i)
    for minutes in (120, 125, 150):
        assert evaluate_terminal(terminal, T0 + minutes * MINUTE) == []
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OPEN and alarm.cleared_at is None
    assert AlarmRuleState.objects.get(terminal=terminal, kind="register_reversal").raised is False


def test_over_quota_is_judged_only_when_the_share_is_given(make_terminal):
    terminal = make_terminal()
    add(terminal, T0)
    assert evaluate_terminal(terminal, T0 + MINUTE) == []
    [alarm] = evaluate_terminal(terminal, T0 + 2 * MINUTE, quota_share=1.05)
    assert (alarm.kind, alarm.severity, alarm.evidence["quota_share"]) == ("over_quota", "critical", 1.05)


def test_sl651_status_word_bit_5_is_a_meter_fault(make_terminal):
    terminal = make_terminal("0012345678", protocol="sl651")
    terminal.well.kind = "monitoring"
    terminal.well.save()
    zt = 1 << 5 | 1 << 7  # flow meter fault, door closed (表58)
    add(terminal, T0, native={"ZT": zt, "Z": 812.4}, level_m=812.4)
    assert evaluate_terminal(terminal, T0 + MINUTE) == []
    add(terminal, T0 + STEP, native={"ZT": zt, "Z": 812.3}, level_m=812.3)
    [alarm] = evaluate_terminal(terminal, T0 + STEP + MINUTE)
    assert alarm.kind == AlarmKind.METER_FAULT
    assert alarm.evidence["flowmeter_fault"] is True and alarm.evidence["level_meter_fault"] is False


def test_evaluate_all_counts_raised_and_cleared_over_chunks(make_terminal, monkeypatch):
    monkeypatch.setattr(evaluation, "CHUNK_SIZE", 2)
    now = T0 + timedelta(hours=1)
    silent, door, quiet = (make_terminal(f"652323000{i}") for i in range(1, 4))
    add(silent, T0)
    add(door, now - MINUTE, door_open=True)
    add(quiet, now - MINUTE, door_open=False)
    Terminal.objects.create(protocol="szy206", address="6523239999", region_id="652323")  # no well: skipped
    assert evaluate_all(now) == {"terminals": 3, "raised": 2, "cleared": 0}
    assert evaluate_all(now + MINUTE) == {"terminals": 3, "raised": 0, "cleared": 0}
    add(silent, now + 2 * MINUTE)
    add(door, now + 2 * MINUTE, door_open=False)
    assert evaluate_all(now + 3 * MINUTE) == {"terminals": 3, "raised": 0, "cleared": 2}
    assert set(Alarm.objects.values_list("kind", "state")) == {("offline", "auto_cleared"),
                                                                ("door_open", "auto_cleared")}


def test_quiet_evaluations_stop_writing_counters(make_terminal):
    terminal = make_terminal()
    add(terminal, T0, door_open=False)
    cap = evaluation.STREAK_CAP
    for tenths in range(1, cap + 5):
        evaluate_terminal(terminal, T0 + tenths * 0.1 * MINUTE)
    assert AlarmRuleState.objects.get(terminal=terminal, kind="door_open").inactive_streak == cap
    with CaptureQueriesContext(connection) as queries:
        evaluate_terminal(terminal, T0 + 11 * MINUTE)
    assert len(queries) <= 6  # earlier reading, window, coefficient, locked counters (+ savepoint)
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]


# --- handling ------------------------------------------------------------------------------------


def test_full_handling_path_to_resolution_with_a_snapshot(make_terminal, make_user):
    operator, inspector = make_user("hutubi", "652323"), make_user("inspector", "652323", role="maintenance_worker")
    terminal = make_terminal()
    alarm = raise_door_alarm(terminal)
    assert acknowledge(alarm, operator).state == AlarmState.ACKNOWLEDGED
    due = datetime(2026, 7, 3, 10, 0, tzinfo=UTC)  # 18:00 local on 3 July
    alarm = assign(alarm, operator, inspector, due, note="请带钥匙")
    assert (alarm.state, alarm.assignee, alarm.due_at) == (AlarmState.ASSIGNED, inspector, due)
    order = WorkOrder.objects.get(alarm=alarm)
    assert (order.kind, order.well, order.assignee, order.due_on) == ("site_check", terminal.well, inspector,
                                                                       date(2026, 7, 3))
    assert order.state == WorkOrderState.ASSIGNED and order.description.startswith("柜门打开")

    snapshot = Snapshot.objects.create(terminal=terminal, observed_at=T0, received_at=T0, image="snapshots/a.jpg",
                                       size_bytes=10, sha256="0" * 64)
    alarm = resolve(alarm, inspector, "门锁损坏，已更换", snapshot.pk)
    assert (alarm.state, alarm.result, alarm.snapshot) == (AlarmState.RESOLVED, "门锁损坏，已更换", snapshot)
    assert alarm.closed_at is not None
    order.refresh_from_db()
    assert (order.state, order.result) == (WorkOrderState.DONE, "门锁损坏，已更换") and order.closed_at
    assert history(alarm) == [("", "open", "system"), ("open", "acknowledged", "hutubi"),
                              ("acknowledged", "assigned", "hutubi"), ("assigned", "resolved", "inspector")]
    entries = AuditEntry.objects.filter(object_id=str(alarm.pk)).order_by("at")
    assert [(e.action, e.actor_name, e.region_id) for e in entries] == [
        ("water.alarm.open", "system", "652323"), ("water.alarm.acknowledged", "hutubi", "652323"),
        ("water.alarm.assigned", "hutubi", "652323"), ("water.alarm.resolved", "inspector", "652323")]
    assert entries[2].detail["work_order"] == order.pk and entries[2].reason == "请带钥匙"
    assert entries[3].detail["snapshot"] == snapshot.pk


def test_reassignment_cancels_the_previous_check_and_a_photo_path_resolves(make_terminal, make_user):
    operator = make_user("op", "652323")
    alarm = acknowledge(raise_door_alarm(make_terminal()), operator)
    first, second = (make_user("a", "652323", role="maintenance_worker"),
                     make_user("b", "652323", role="maintenance_worker"))
    assign(alarm, operator, first, date(2026, 7, 2))
    alarm = assign(alarm, operator, second, date(2026, 7, 4))
    assert alarm.due_at == datetime(2026, 7, 4, 15, 59, 59, tzinfo=UTC)  # end of the local day
    assert list(WorkOrder.objects.order_by("pk").values_list("assignee__username", "state")) == [
        ("a", "cancelled"), ("b", "assigned")]
    alarm = resolve(alarm, second, "现场正常", "uploads/2026/07/door.jpg")
    assert alarm.snapshot is None and alarm.state == AlarmState.RESOLVED
    assert AlarmEvent.objects.filter(alarm=alarm, to_state="resolved").get().note == (
        "现场正常（现场照片：uploads/2026/07/door.jpg）")


FORBIDDEN = [(current, target) for current in AlarmState for target in AlarmState
             if target not in ALLOWED[current] or target in {AlarmState.OPEN, AlarmState.AUTO_CLEARED}]


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_forbidden_transitions_are_refused_on_the_state_field(make_terminal, make_user, current, target):
    terminal = make_terminal()
    alarm = Alarm.objects.create(terminal=terminal, well=terminal.well, kind="door_open", severity="warning",
                                 state=current, raised_at=T0)
    crew = make_user("x", "652323", role="maintenance_worker")
    fields = {"assignee": crew, "due": T0, "result": "r", "evidence": "p.jpg", "reason": "r"}
    needed = {AlarmState.ASSIGNED: ["assignee", "due"], AlarmState.RESOLVED: ["result", "evidence"],
              AlarmState.DISMISSED: ["reason"]}.get(target, [])
    with pytest.raises(ValidationError) as error:
        transition_alarm(alarm, target, make_user("op", "652323"), **{k: fields[k] for k in needed})
    assert list(error.value.message_dict) == ["state"]
    alarm.refresh_from_db()
    assert alarm.state == current and not AlarmEvent.objects.exists()


@pytest.mark.parametrize(
    ("start", "call", "field"),
    [
        ("acknowledged", lambda a, by, u: assign(a, by, None, T0), "assignee"),
        ("acknowledged", lambda a, by, u: assign(a, by, u, None), "due"),
        ("acknowledged", lambda a, by, u: assign(a, by, u, datetime(2026, 7, 3, 10)), "due"),
        ("acknowledged", lambda a, by, u: assign(a, by, "inspector", T0), "assignee"),
        ("acknowledged", lambda a, by, u: resolve(a, by, "  ", 1), "result"),
        ("acknowledged", lambda a, by, u: resolve(a, by, "ok", None), "evidence"),
        ("acknowledged", lambda a, by, u: resolve(a, by, "ok", 999999), "evidence"),
        ("open", lambda a, by, u: dismiss(a, by, "  "), "reason"),
        ("open", lambda a, by, u: transition_alarm(a, "dismissed", by, reason="测试报文", due=T0), "due"),
        ("open", lambda a, by, u: transition_alarm(a, "closed", by), "state"),
    ],
)
def test_missing_or_bad_fields_are_refused_by_name(make_terminal, make_user, start, call, field):
    terminal = make_terminal()
    alarm = Alarm.objects.create(terminal=terminal, well=terminal.well, kind="door_open", severity="warning",
                                 state=start, raised_at=T0)
    with pytest.raises(ValidationError) as error:
        call(alarm, make_user("op", "652323"), make_user("inspector", "652323", role="maintenance_worker"))
    assert list(error.value.message_dict) == [field]
    assert not WorkOrder.objects.exists() and not AuditEntry.objects.exists()


def test_snapshot_of_another_terminal_is_not_evidence(make_terminal, make_user):
    operator = make_user("op", "652323")
    alarm = acknowledge(raise_door_alarm(make_terminal()), operator)
    other = make_terminal("6523230002")
    snapshot = Snapshot.objects.create(terminal=other, observed_at=T0, received_at=T0, image="snapshots/b.jpg",
                                       size_bytes=10, sha256="1" * 64)
    with pytest.raises(ValidationError) as error:
        resolve(alarm, operator, "ok", snapshot)
    assert list(error.value.message_dict) == ["evidence"]


def test_dismiss_keeps_the_reason_as_the_result(make_terminal, make_user):
    alarm = dismiss(raise_door_alarm(make_terminal()), make_user("op", "652323"), "计划维护，已提前报备")
    assert (alarm.state, alarm.result) == (AlarmState.DISMISSED, "计划维护，已提前报备") and alarm.closed_at
    assert AuditEntry.objects.get(action="water.alarm.dismissed").reason == "计划维护，已提前报备"


def test_an_assigned_alarm_that_recovers_keeps_its_state_but_records_the_recovery(make_terminal, make_user):
    operator = make_user("op", "652323")
    terminal = make_terminal()
    alarm = acknowledge(raise_door_alarm(terminal), operator)
    assign(alarm, operator, make_user("inspector", "652323", role="maintenance_worker"), T0 + timedelta(days=1))
    add(terminal, T0 + STEP, door_open=False)
    [recovered] = evaluate_terminal(terminal, T0 + STEP + MINUTE)
    alarm.refresh_from_db()
    assert recovered.pk == alarm.pk and alarm.state == AlarmState.ASSIGNED
    assert alarm.cleared_at == T0 + STEP and alarm.closed_at is None
    assert [e.to_state for e in AlarmEvent.objects.filter(alarm=alarm)] == ["open", "acknowledged", "assigned"]
    # the door opens again before the inspector arrives: it joins the assigned alarm, which is active again
    add(terminal, T0 + 2 * STEP, door_open=True)
    assert evaluate_terminal(terminal, T0 + 2 * STEP + MINUTE) == []
    alarm.refresh_from_db()
    assert alarm.cleared_at is None and Alarm.objects.count() == 1
    assert resolve(alarm, operator, "锁已修好", "p.jpg").state == AlarmState.RESOLVED


@pytest.mark.parametrize("who", ["operator_here", "crew_elsewhere", "viewer_here"])
def test_only_the_alarm_countys_maintenance_staff_can_be_sent(make_terminal, make_user, who):
    """The service refuses any other assignee, whichever door (page, API, command) the assignment comes through."""
    operator = make_user("op", "652323")
    assignee = {"operator_here": lambda: make_user("op2", "652323"),
                "crew_elsewhere": lambda: make_user("crew", "652324", role="maintenance_worker"),
                "viewer_here": lambda: make_user("viewer", "652323", role="township_viewer")}[who]()
    alarm = acknowledge(raise_door_alarm(make_terminal()), operator)
    with pytest.raises(ValidationError) as refused:
        assign(alarm, operator, assignee, T0 + timedelta(days=1))
    assert "运维人员" in str(refused.value)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ACKNOWLEDGED and not WorkOrder.objects.filter(alarm=alarm).exists()
