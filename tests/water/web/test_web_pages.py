"""The operator pages answer in scope, refuse outside it, and change data only through the services."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["water:dashboard", "water:dashboard_live", "water:map", "water:map_data", "water:alarms", "water:reports",
         "water:quarantine"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_are_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_well_pages_need_login(client, hutubi_well):
    for name in ("water:well", "water:well_series", "water:well_commands"):
        response = client.get(reverse(name, args=[hutubi_well.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("name", ["water:dashboard", "water:dashboard_live", "water:map", "water:alarms",
                                  "water:reports"])
def test_pages_render_for_a_county_operator(client, operator, hutubi_well, make_alarm, name):
    make_alarm(hutubi_well)
    client.force_login(operator)
    response = client.get(reverse(name))
    assert response.status_code == 200


def test_dashboard_shows_the_counties_in_scope(client, operator, hutubi_well, make_alarm):
    make_alarm(hutubi_well, kind="offline", severity="major")
    client.force_login(operator)
    page = client.get(reverse("water:dashboard")).content.decode()
    assert "呼图壁县" in page and "昌吉市" not in page
    assert "终端离线" in page and 'hx-get="/water/live/"' in page


def test_well_page_in_scope_and_404_outside(client, operator, hutubi_well, changji_city_well, make_alarm):
    client.force_login(operator)
    page = client.get(reverse("water:well", args=[hutubi_well.pk]))
    assert page.status_code == 200
    assert hutubi_well.code in page.content.decode()
    for name in ("water:well", "water:well_series", "water:well_commands"):
        assert client.get(reverse(name, args=[changji_city_well.pk])).status_code == 404
    alarm = make_alarm(changji_city_well)
    assert client.get(reverse("water:alarm", args=[alarm.pk])).status_code == 404
    assert client.post(reverse("water:alarm", args=[alarm.pk]), {"action": "acknowledge"}).status_code == 404


def test_well_series_returns_readings_and_daily_figures(client, operator, hutubi_well):
    client.force_login(operator)
    for span in ("day", "month", "year"):
        response = client.get(reverse("water:well_series", args=[hutubi_well.pk]), {"range": span})
        assert response.status_code == 200
        registers = {"volume_register", "energy_register"} if span == "year" else set()
        assert set(response.json()["series"]) == {"flow", "volume", "energy", "level"} | registers
    assert client.get(reverse("water:well_series", args=[hutubi_well.pk]), {"range": "decade"}).status_code == 400


def test_map_data_lists_only_wells_in_scope(client, operator, hutubi_well, changji_city_well, make_alarm):
    make_alarm(hutubi_well)
    client.force_login(operator)
    data = client.get(reverse("water:map_data")).json()
    assert [w[0] for w in data["wells"]] == [hutubi_well.pk]
    assert data["states"][data["wells"][0][3]] == "offline"  # never reported
    assert data["counties"] == [["652323", "呼图壁县"]]


def test_a_viewer_cannot_queue_commands(client, viewer, hutubi_well):
    from changji.water.models import Command

    client.force_login(viewer)
    terminal = hutubi_well.terminals.get()
    response = client.post(reverse("water:well_command", args=[hutubi_well.pk]),
                           {"terminal": terminal.pk, "kind": "pump_stop", "reason": "违规取水", "confirm": "1"})
    assert response.status_code == 403
    assert not Command.objects.exists()
    assert "无远程控制权限" in client.get(reverse("water:well", args=[hutubi_well.pk])).content.decode()


def test_a_command_without_reason_is_refused(client, operator, hutubi_well):
    from changji.water.models import Command

    client.force_login(operator)
    terminal = hutubi_well.terminals.get()
    response = client.post(reverse("water:well_command", args=[hutubi_well.pk]),
                           {"terminal": terminal.pk, "kind": "pump_stop", "reason": "  ", "confirm": "1"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not Command.objects.exists()


def test_a_pump_stop_is_confirmed_then_queued_and_audited(client, operator, hutubi_well):
    from changji.core.models import AuditEntry
    from changji.water.models import Command

    client.force_login(operator)
    terminal = hutubi_well.terminals.get()
    url = reverse("water:well_command", args=[hutubi_well.pk])
    form = {"terminal": terminal.pk, "kind": "pump_stop", "reason": "超许可取水，责令停泵"}
    confirm = client.post(url, form)
    assert confirm.status_code == 200 and "确认下发" in confirm.content.decode()
    assert not Command.objects.exists()
    response = client.post(url, {**form, "confirm": "1"})
    assert response.status_code == 302
    command = Command.objects.get()
    assert (command.kind, command.reason, command.requested_by) == ("pump_stop", "超许可取水，责令停泵", operator)
    entry = AuditEntry.objects.get(action="water.command.queued")
    assert entry.actor == operator and entry.reason == "超许可取水，责令停泵"
    queue = client.get(reverse("water:well_commands", args=[hutubi_well.pk])).content.decode()
    assert "远程关泵" in queue and "待下发" in queue


def test_a_command_for_another_wells_terminal_is_refused(client, operator, hutubi_well, make_terminal):
    from changji.water.models import Command

    other = make_terminal("6523230002", county="652323")
    client.force_login(operator)
    response = client.post(reverse("water:well_command", args=[hutubi_well.pk]),
                           {"terminal": other.pk, "kind": "pump_stop", "reason": "x", "confirm": "1"})
    assert response.status_code == 400
    assert not Command.objects.exists()


def test_alarm_is_acknowledged_from_the_alarm_centre(client, operator, hutubi_well, make_alarm):
    from changji.core.models import AuditEntry
    from changji.water.models import AlarmEvent

    alarm = make_alarm(hutubi_well)
    client.force_login(operator)
    listing = client.get(reverse("water:alarms"), {"state": "open", "county": "652323"}).content.decode()
    assert str(alarm.pk) in listing
    response = client.post(reverse("water:alarm", args=[alarm.pk]),
                           {"action": "acknowledge", "next": reverse("water:alarms")})
    assert response.status_code == 302 and response.url == reverse("water:alarms")
    alarm.refresh_from_db()
    assert alarm.state == "acknowledged"
    assert AlarmEvent.objects.filter(alarm=alarm, to_state="acknowledged", by=operator).exists()
    assert AuditEntry.objects.filter(action="water.alarm.acknowledged").exists()


def test_alarm_list_filters(client, operator, hutubi_well, make_alarm):
    door = make_alarm(hutubi_well, kind="door_open")
    offline = make_alarm(hutubi_well, kind="offline", severity="major")
    client.force_login(operator)
    page = client.get(reverse("water:alarms"), {"kind": "offline"}).content.decode()
    assert str(offline.pk) in page and str(door.pk) not in page
    page = client.get(reverse("water:alarms"), {"severity": "warning"}).content.decode()
    assert str(door.pk) in page and str(offline.pk) not in page


def test_bad_alarm_input_shows_errors_and_changes_nothing(client, operator, make_user, hutubi_well, make_alarm):
    from changji.core.models import Role
    from changji.water.models import AlarmEvent, WorkOrder

    worker = make_user("hutubi-worker", "652323", Role.MAINTENANCE_WORKER)
    alarm = make_alarm(hutubi_well)
    client.force_login(operator)
    url = reverse("water:alarm", args=[alarm.pk])
    page = client.get(url).content.decode()
    assert worker.username in page
    # An empty dismissal reason is a form error.
    response = client.post(url, {"action": "dismiss", "dismiss-reason": ""})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    # Assigning an open alarm skips acknowledgement: the service refuses, the page shows why.
    response = client.post(url, {"action": "assign", "assign-assignee": worker.pk, "assign-due": "2026-12-01"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    # Resolving without evidence is refused before the service.
    response = client.post(url, {"action": "resolve", "resolve-result": "已处理"})
    assert response.status_code == 400
    alarm.refresh_from_db()
    assert alarm.state == "open"
    assert not AlarmEvent.objects.exists() and not WorkOrder.objects.exists()


def test_alarm_is_assigned_to_a_scoped_maintenance_worker(client, operator, make_user, hutubi_well, make_alarm):
    from changji.core.models import Role
    from changji.water.alarms import service as alarms

    worker = make_user("hutubi-worker", "652323", Role.MAINTENANCE_WORKER)
    outsider = make_user("city-worker", "652301", Role.MAINTENANCE_WORKER)
    alarm = alarms.acknowledge(make_alarm(hutubi_well), operator)
    client.force_login(operator)
    url = reverse("water:alarm", args=[alarm.pk])
    refused = client.post(url, {"action": "assign", "assign-assignee": outsider.pk, "assign-due": "2026-12-01"})
    assert refused.status_code == 400
    response = client.post(url, {"action": "assign", "assign-assignee": worker.pk, "assign-due": "2026-12-01"})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.state == "assigned" and alarm.assignee == worker


def test_report_preview_and_downloads(client, operator, hutubi_well):
    from openpyxl import load_workbook

    client.force_login(operator)
    query = {"period": "month", "at": "2026-05-10", "region": ""}
    page = client.get(reverse("water:reports"), query)
    assert page.status_code == 200 and "呼图壁县" in page.content.decode()
    response = client.get(reverse("water:report_download"), {**query, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;") and ".xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert "汇总" in book.sheetnames
    assert hutubi_well.code in [row[1] for row in book["呼图壁县"].iter_rows(values_only=True)]
    csv = client.get(reverse("water:report_download"), {**query, "format": "csv"})
    assert csv.status_code == 200 and hutubi_well.code in csv.content.decode("utf-8-sig")
    assert client.get(reverse("water:report_download"), {**query, "format": "pdf"}).status_code == 400
    outside = client.get(reverse("water:report_download"), {**query, "region": "652301", "format": "csv"})
    assert outside.status_code == 400  # a county outside the scope is not among the choices


def test_quarantine_lists_and_registers_the_users_county_only(client, operator, make_user, hutubi_well):
    """A county operator sees the unknown terminals whose address names their county and registers them.

    Another county's are neither listed nor registrable (404); a township viewer may not open the page.
    """
    from django.utils import timezone

    from changji.core.models import AuditEntry, Role
    from changji.water.models import QuarantinedTerminal, Terminal
    from changji.water.registry.service import region_for_address

    now = timezone.now()

    def quarantine(address):
        return QuarantinedTerminal.objects.create(protocol="szy206", address=address, first_seen_at=now,
                                                  last_seen_at=now, last_peer="10.0.0.9:5000", frame_count=3,
                                                  region=region_for_address(address))

    own, foreign = quarantine("6523230099"), quarantine("6523240099")
    viewer = make_user("viewer", "652323", Role.TOWNSHIP_VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("water:quarantine")).status_code == 403
    client.force_login(operator)
    page = client.get(reverse("water:quarantine")).content.decode()
    assert "6523230099" in page and "6523240099" not in page
    assert client.post(reverse("water:quarantine_register", args=[foreign.pk]), {}).status_code == 404
    url = reverse("water:quarantine_register", args=[own.pk])
    client.post(url, {f"q{own.pk}-well_code": "no-such-well"})
    assert QuarantinedTerminal.objects.filter(pk=own.pk).exists()
    response = client.post(url, {f"q{own.pk}-well_code": hutubi_well.code})
    assert response.status_code == 302
    terminal = Terminal.objects.get(address="6523230099")
    assert terminal.well == hutubi_well
    assert list(QuarantinedTerminal.objects.values_list("address", flat=True)) == ["6523240099"]
    assert AuditEntry.objects.filter(action="water.terminal.register").exists()


def test_superuser_without_region_sees_the_prefecture(client, hutubi_well, changji_city_well):
    from changji.core.models import User

    root = User.objects.create_superuser("root", "root@example.org", "x-Secret-2026")
    client.force_login(root)
    page = client.get(reverse("water:dashboard")).content.decode()
    assert "呼图壁县" in page and "昌吉市" in page
    assert len(client.get(reverse("water:map_data")).json()["wells"]) == 2
