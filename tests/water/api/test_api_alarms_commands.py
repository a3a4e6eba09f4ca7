"""Water API: alarms and their transitions, commands queued and cancelled; roles and region scope enforced."""

import uuid

import pytest

from changji.core.models import AuditEntry
from changji.water.models import Alarm, AlarmEvent, Command, CommandState

pytestmark = pytest.mark.django_db

BASE = "/api/water"


def test_alarm_list_filters_and_scope(api, hutubi, manas):
    body = api.get(f"{BASE}/alarms").json()
    assert [a["id"] for a in body["items"]] == [str(hutubi.alarm.pk)]
    assert body["items"][0]["raised_at"] == "2026-07-01T02:00:00Z"
    assert api.get(f"{BASE}/alarms", {"state": "open", "kind": "door_open", "severity": "warning"}).json()["count"] == 1
    assert api.get(f"{BASE}/alarms", {"state": "resolved"}).json()["count"] == 0
    assert api.get(f"{BASE}/alarms/{hutubi.alarm.pk}").json()["evidence"] == {"door_open": True}
    assert api.get(f"{BASE}/alarms/{manas.alarm.pk}").status_code == 404
    assert api.get(f"{BASE}/alarms/{uuid.uuid4()}").status_code == 404


def test_acknowledge_then_dismiss_by_token(api, hutubi):
    url = f"{BASE}/alarms/{hutubi.alarm.pk}/transition"
    response = api.post(url, {"to": "acknowledged", "note": "已看到"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    response = api.post(url, {"to": "dismissed", "reason": "测试报文"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "dismissed"
    assert AlarmEvent.objects.filter(alarm=hutubi.alarm).count() == 2


def test_assign_by_session_with_due_date(session_client, operator, make_user, hutubi):
    worker = make_user("worker", "652323", role="maintenance_worker")
    client = session_client(operator)
    url = f"{BASE}/alarms/{hutubi.alarm.pk}/transition"
    assert client.post(url, {"to": "acknowledged"}, content_type="application/json").status_code == 200
    response = client.post(url, {"to": "assigned", "assignee_id": worker.pk, "due": "2026-07-03"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["assignee_id"] == worker.pk and response.json()["due_at"] == "2026-07-03T15:59:59Z"


def test_assigning_anyone_but_the_countys_maintenance_staff_is_a_400(session_client, operator, make_user, hutubi):
    clerk = make_user("clerk", "652323", role="county_operator")
    client = session_client(operator)
    url = f"{BASE}/alarms/{hutubi.alarm.pk}/transition"
    assert client.post(url, {"to": "acknowledged"}, content_type="application/json").status_code == 200
    response = client.post(url, {"to": "assigned", "assignee_id": clerk.pk, "due": "2026-07-03"},
                           content_type="application/json")
    assert response.status_code == 400 and "运维人员" in response.json()["detail"]["assignee"][0]


def test_maintenance_worker_may_act(make_user, token_client, hutubi):
    worker = make_user("worker", "652323", role="maintenance_worker")
    response = token_client(worker).post(f"{BASE}/alarms/{hutubi.alarm.pk}/transition", {"to": "acknowledged"},
                                         content_type="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "resolved", "result": "ok", "evidence": "x.jpg"}, "state"),  # open -> resolved is not an edge
        ({"to": "nonsense"}, "state"),
        ({"to": "dismissed"}, "reason"),
        ({"to": "dismissed", "reason": "   "}, "reason"),
        ({"to": "acknowledged", "due": "soon"}, "due"),
        ({"to": "acknowledged", "assignee_id": 987654}, "assignee_id"),
    ],
)
def test_bad_transitions_are_400_with_the_field(api, hutubi, fields_named, body, field):
    response = api.post(f"{BASE}/alarms/{hutubi.alarm.pk}/transition", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in fields_named(response)
    hutubi.alarm.refresh_from_db()
    assert hutubi.alarm.state == "open"


def test_transition_body_must_name_the_target(api, hutubi, fields_named):
    response = api.post(f"{BASE}/alarms/{hutubi.alarm.pk}/transition", {}, content_type="application/json")
    assert response.status_code == 422 and "to" in fields_named(response)


def test_township_viewer_cannot_transition_or_command(make_user, token_client, hutubi):
    viewer = token_client(make_user("viewer", "652323", role="township_viewer"))
    response = viewer.post(f"{BASE}/alarms/{hutubi.alarm.pk}/transition", {"to": "acknowledged"},
                           content_type="application/json")
    assert response.status_code == 403
    response = viewer.post(f"{BASE}/commands", {"terminal_id": hutubi.terminal.pk, "kind": "pump_stop",
                                                 "reason": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert viewer.get(f"{BASE}/alarms").status_code == 200
    assert Alarm.objects.get(pk=hutubi.alarm.pk).state == "open"


def test_maintenance_worker_cannot_queue_commands(make_user, token_client, hutubi):
    worker = token_client(make_user("worker", "652323", role="maintenance_worker"))
    response = worker.post(f"{BASE}/commands", {"terminal_id": hutubi.terminal.pk, "kind": "pump_stop",
                                                "reason": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_other_county_alarm_cannot_be_moved(api, manas):
    response = api.post(f"{BASE}/alarms/{manas.alarm.pk}/transition", {"to": "acknowledged"},
                        content_type="application/json")
    assert response.status_code == 404
    assert Alarm.objects.get(pk=manas.alarm.pk).state == "open"


def test_command_list_and_detail_are_scoped(api, hutubi, manas):
    body = api.get(f"{BASE}/commands").json()
    assert [c["id"] for c in body["items"]] == [str(hutubi.command.pk)]
    assert api.get(f"{BASE}/commands", {"state": "queued"}).json()["count"] == 1
    assert api.get(f"{BASE}/commands/{hutubi.command.pk}").json()["kind"] == "pump_stop"
    assert api.get(f"{BASE}/commands/{manas.command.pk}").status_code == 404


def test_queue_and_cancel_a_command(api, hutubi):
    response = api.post(f"{BASE}/commands", {"terminal_id": hutubi.terminal.pk, "kind": "pump_start",
                                             "reason": "恢复供水", "params": {"note": 1}},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "queued" and created["params"] == {"note": 1}
    assert created["requested_by_name"] == "op-652323"
    assert AuditEntry.objects.filter(action="water.command.queued").exists()
    url = f"{BASE}/commands/{created['id']}/cancel"
    response = api.post(url, {"reason": "误操作"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == CommandState.CANCELLED
    response = api.post(url, {"reason": "再次"}, content_type="application/json")
    assert response.status_code == 400


def test_queue_by_session(session_client, make_user, hutubi):
    admin = make_user("pref", "652300", role="prefecture_admin")
    response = session_client(admin).post(f"{BASE}/commands", {"terminal_id": hutubi.terminal.pk,
                                                               "kind": "set_clock", "reason": "校时"},
                                          content_type="application/json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "explode", "reason": "x"}, 400, "kind"),
        ({"kind": "query_picture", "reason": " "}, 400, "reason"),  # SZY206 carries it (61H), with a reason
        ({"kind": "pump_stop", "reason": "  "}, 400, "reason"),
        ({"kind": "pump_stop"}, 400, "reason"),
        ({"reason": "x"}, 422, "kind"),
        ({"kind": "pump_stop", "reason": "x", "params": [1]}, 422, "params"),
    ],
)
def test_bad_commands_name_the_field(api, hutubi, fields_named, body, status, field):
    response = api.post(f"{BASE}/commands", {"terminal_id": hutubi.terminal.pk, **body},
                        content_type="application/json")
    assert response.status_code == status, response.content
    assert field in fields_named(response)
    assert Command.objects.count() == 1


def test_commands_for_other_county_terminals_are_404(api, hutubi, manas):
    response = api.post(f"{BASE}/commands", {"terminal_id": manas.terminal.pk, "kind": "pump_stop", "reason": "x"},
                        content_type="application/json")
    assert response.status_code == 404
    response = api.post(f"{BASE}/commands/{manas.command.pk}/cancel", {"reason": "x"},
                        content_type="application/json")
    assert response.status_code == 404
    assert Command.objects.get(pk=manas.command.pk).state == "queued"


def test_cancel_needs_a_reason(api, hutubi, fields_named):
    response = api.post(f"{BASE}/commands/{hutubi.command.pk}/cancel", {"reason": ""},
                        content_type="application/json")
    assert response.status_code == 400 and fields_named(response) == {"reason"}


def test_session_calls_that_change_something_need_the_csrf_token(operator, hutubi):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post(f"{BASE}/alarms/{hutubi.alarm.pk}/transition", {"to": "acknowledged"},
                           content_type="application/json")
    assert response.status_code == 403
    assert Alarm.objects.get(pk=hutubi.alarm.pk).state == "open"


@pytest.mark.parametrize("path", ["wells/99999999999999999999999", "terminals/0", "alarms/not-a-uuid",
                                  "commands?terminal_id=-13752673535688064368640"])
def test_absurd_ids_are_422(api, path):
    assert api.get(f"{BASE}/{path}").status_code == 422
