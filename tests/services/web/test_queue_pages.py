"""The hall's pages: the kiosk, a ticket, the called-number display, the clerk's console, window management."""

from __future__ import annotations

import json

import pytest

from changji.core.models import AuditEntry, Region
from changji.services import queue
from changji.services.models import QueueTicket, ServiceWindow, TicketState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_budgets():
    """The per-address ticket budget lives in the cache: each test starts with none used."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def window(clerk):
    window = ServiceWindow.objects.create(region=Region.objects.get(code="652302"), number=1, name="综合一窗",
                                          service_types=["wholesale_retail", "consultation"])
    window.clerks.add(clerk)
    return window


def test_the_kiosk_gives_a_number_and_the_ticket_page_shows_who_waits_before(client, window):
    page = client.get("/services/queue/take/")
    assert page.status_code == 200 and "批发零售类" in page.content.decode() and "租赁类" not in page.content.decode()
    first = client.post("/services/queue/take/", {"region": "652302", "service_type": "wholesale_retail"})
    second = client.post("/services/queue/take/", {"region": "652302", "service_type": "wholesale_retail"})
    assert first.status_code == second.status_code == 302
    ticket = client.get(second["Location"]).content.decode()
    assert "A002" in ticket and "您前面还有 <strong>1</strong> 人等候" in ticket
    assert QueueTicket.objects.count() == 2
    assert not AuditEntry.objects.filter(action__startswith="services.queue").exists()  # the public take is not


@pytest.mark.parametrize("body", [{"region": "652302", "service_type": "leasing"},
                                  {"region": "652302", "service_type": "<script>"},
                                  {"region": "652302"}])
def test_the_kiosk_refuses_a_type_it_does_not_serve_with_a_message(client, window, body):
    response = client.post("/services/queue/take/", body)
    assert response.status_code == 400 and "errors" in response.content.decode()
    assert not QueueTicket.objects.exists()


def test_the_kiosk_answers_an_unknown_or_malformed_hall_without_a_server_error(client, window):
    assert client.get("/services/queue/take/?region=652301").status_code == 404
    assert client.get("/services/queue/take/?region=６５２３０２").status_code == 400
    assert client.post("/services/queue/take/", {"region": "65²302", "service_type": "consultation"}).status_code == 400
    assert not QueueTicket.objects.exists()


def test_one_address_pulling_numbers_is_stopped(client, window, settings):
    settings.SERVICES_QUEUE_TAKE_PER_ADDRESS = 3
    codes = [client.post("/services/queue/take/", {"region": "652302", "service_type": "consultation"}).status_code
             for _ in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    assert QueueTicket.objects.count() == 3
    other = client.post("/services/queue/take/", {"region": "652302", "service_type": "consultation"},
                        REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_the_display_shows_the_called_numbers_and_its_json_carries_no_personal_data(client, window, clerk):
    ticket = queue.take(window.region, "wholesale_retail")
    queue.call_next(window, clerk)
    page = client.get("/services/queue/display/").content.decode()
    assert "A001" in page and "services/queue_display.js" in page and "<script>" not in page
    data = client.get("/services/queue/display.json?region=652302").json()
    assert data["windows"][0]["current"]["number"] == "A001" and data["recent"][0]["window"] == 1
    flat = json.dumps(data, ensure_ascii=False)
    assert clerk.username not in flat and "called_by" not in flat and ticket.taken_at.isoformat() not in flat
    assert client.get("/services/queue/display.json?region=652301").status_code == 404


def test_the_console_calls_recalls_starts_and_finishes_with_post_redirect_get(client, window, clerk):
    queue.take(window.region, "wholesale_retail")
    client.force_login(clerk)
    page = client.get("/services/queue/console/").content.decode()
    assert "当前等候 <strong id=\"live-waiting\">1</strong> 人" in page and 'id="form-call"' in page
    response = client.post("/services/queue/console/", {"action": "call", "window": window.pk})
    assert response.status_code == 302
    ticket = QueueTicket.objects.get()
    assert ticket.state == TicketState.CALLED
    page = client.get(response["Location"]).content.decode()
    assert "请 A001 号到 1 号窗口" in page and 'id="form-recall"' in page and "登记咨询导办" in page
    for action in ("recall", "start"):
        assert client.post("/services/queue/console/", {"action": action, "window": window.pk,
                                                        f"{action}-ticket": ticket.pk}).status_code == 302
    finished = client.post("/services/queue/console/", {"action": "finish", "window": window.pk,
                                                        "finish-ticket": ticket.pk, "finish-receipt_number": "NONE"})
    assert finished.status_code == 400 and "未找到该受理编号的办件" in finished.content.decode()
    assert client.post("/services/queue/console/", {"action": "finish", "window": window.pk,
                                                    "finish-ticket": ticket.pk}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.recalls) == (TicketState.DONE, 1)


def test_the_console_refuses_a_step_the_ticket_does_not_allow_and_a_foreign_window(client, window, clerk, make_user):
    queue.take(window.region, "wholesale_retail")
    client.force_login(clerk)
    refused = client.post("/services/queue/console/", {"action": "finish", "window": window.pk, "finish-ticket": 1})
    assert refused.status_code == 400
    assert QueueTicket.objects.get().state == TicketState.WAITING
    other = make_user("other-clerk", "652302", role="window_clerk")
    client.force_login(other)
    assert "尚未被安排" in client.get("/services/queue/console/").content.decode()
    assert client.post("/services/queue/console/", {"action": "call", "window": window.pk}).status_code == 404
    assert QueueTicket.objects.get().state == TicketState.WAITING


def test_the_console_links_to_intake_only_when_the_intake_page_exists(client, window, clerk):
    from django.urls import NoReverseMatch, reverse

    queue.take(window.region, "wholesale_retail")
    queue.call_next(window, clerk)
    client.force_login(clerk)
    page = client.get("/services/queue/console/").content.decode()
    try:
        reverse("services:intake")
    except NoReverseMatch:
        assert 'id="intake-link"' not in page
    else:
        assert 'id="intake-link"' in page


def test_the_centre_admin_creates_and_changes_windows(client, make_user, clerk):
    admin = make_user("centre-admin", "652302", role="service_centre_admin")
    client.force_login(admin)
    assert client.get("/services/admin/windows/").status_code == 200
    created = client.post("/services/admin/windows/", {
        "region": "652302", "number": 5, "name": "综合五窗", "service_types": ["leasing", "transport"],
        "clerks": [clerk.pk], "active": "on"})
    assert created.status_code == 302
    window = ServiceWindow.objects.get(number=5)
    assert window.service_types == ["leasing", "transport"] and list(window.clerks.all()) == [clerk]
    assert AuditEntry.objects.get(action="services.window.save").detail["created"] is True
    duplicate = client.post("/services/admin/windows/", {"region": "652302", "number": 5, "name": "重复",
                                                         "service_types": ["leasing"]})
    assert duplicate.status_code == 400 and "已有 5 号窗口" in duplicate.content.decode()
    changed = client.post(f"/services/admin/windows/{window.pk}/", {
        "region": "652302", "number": 5, "name": "综合五窗", "service_types": ["consultation"]})
    assert changed.status_code == 302
    window.refresh_from_db()
    assert (window.service_types, window.active, window.clerks.count()) == (["consultation"], False, 0)
    assert ServiceWindow.objects.count() == 1


def test_a_clerk_of_another_county_cannot_sit_at_the_window(client, make_user):
    admin = make_user("prefecture-admin", "652300", role="service_centre_admin")
    outsider = make_user("changji-clerk", "652301", role="window_clerk")
    client.force_login(admin)
    response = client.post("/services/admin/windows/", {"region": "652302", "number": 1, "name": "一窗",
                                                        "service_types": ["leasing"], "clerks": [outsider.pk]})
    assert response.status_code == 400 and "不属于窗口所在区划" in response.content.decode()
    assert not ServiceWindow.objects.exists()


def test_the_waiting_figures_page_and_its_xlsx(client, window, clerk, make_user, tmp_path):
    from openpyxl import load_workbook

    ticket = queue.take(window.region, "wholesale_retail")
    queue.finish(queue.start(queue.call_next(window, clerk), clerk), clerk)
    reader = make_user("fk-stats", "652302", role="window_clerk")
    client.force_login(reader)
    page = client.get("/services/queue/statistics/").content.decode()
    assert "批发零售类" in page and "1号窗口 综合一窗" in page
    download = client.get("/services/queue/statistics/?format=xlsx")
    path = tmp_path / "queue.xlsx"
    path.write_bytes(download.content)
    sheet = load_workbook(path)["按业务类别"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert rows[0][:4] == ["批发零售类", 1, 1, 0] and rows[-1][0] == "合计"
    assert ticket.number == "A001"
    assert client.get("/services/queue/statistics/?first=2026-03-02&last=2026-03-01").status_code == 400


def test_staff_of_another_county_neither_see_nor_act_on_the_hall(client, window, clerk, make_user):
    from changji.services import consultations

    ticket = queue.take(window.region, "wholesale_retail")
    consultation = consultations.record(window.region, clerk, consultations.ConsultationIn(
        topic="阜康的咨询", question="q", guidance="g", visitor_phone="13912345678"))
    outsider = make_user("changji-clerk", "652301", role="window_clerk")
    admin = make_user("changji-admin", "652301", role="service_centre_admin")
    client.force_login(outsider)
    assert client.post(f"/api/services/queue/windows/{window.pk}/call-next").status_code == 404
    assert client.get(f"/services/consultations/{consultation.pk}/").status_code == 404
    assert "阜康的咨询" not in client.get("/services/consultations/").content.decode()
    assert client.get("/api/services/consultations").json()["count"] == 0
    assert client.get("/api/services/queue/statistics").json()["total"]["tickets"] == 0
    assert client.post("/services/queue/console/", {"action": "call", "window": window.pk}).status_code == 404
    client.force_login(admin)
    assert client.get(f"/services/admin/windows/{window.pk}/").status_code == 404
    assert "综合一窗" not in client.get("/services/admin/windows/").content.decode()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.WAITING
