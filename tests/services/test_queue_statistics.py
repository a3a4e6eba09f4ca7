"""Waiting figures (services.queue_statistics) and the hall's JSON API (services.api.queue)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.core.models import Region
from changji.services import queue
from changji.services.demo_hall import seed_demo_hall
from changji.services.models import Consultation, QueueTicket, ServiceWindow, TicketState
from changji.services.queue_statistics import percentile, queue_figures, to_xlsx

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def hall(make_user):
    fukang = Region.objects.get(code="652302")
    clerk = make_user("stats-clerk", "652302", role="window_clerk")
    one = ServiceWindow.objects.create(region=fukang, number=1, name="一窗", service_types=["wholesale_retail"])
    two = ServiceWindow.objects.create(region=fukang, number=2, name="二窗", service_types=["consultation"])
    one.clerks.add(clerk)
    two.clerks.add(clerk)
    return fukang, one, two, clerk


def _serve(window, clerk, taken, wait_minutes, service_minutes, kind="wholesale_retail"):
    queue.take(window.region, kind, taken)
    ticket = queue.call_next(window, clerk, taken + timedelta(minutes=wait_minutes))
    if service_minutes is None:
        return queue.no_show(ticket, clerk, taken + timedelta(minutes=wait_minutes + 3))
    queue.start(ticket, clerk)
    return queue.finish(ticket, clerk, now=taken + timedelta(minutes=wait_minutes + service_minutes))


def test_percentile_is_the_nearest_rank():
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([float(n) for n in range(1, 12)], 0.9) == 10.0


def test_figures_per_type_and_window_with_average_and_p90(hall):
    fukang, one, two, clerk = hall
    for index, (wait, service) in enumerate([(2, 10), (4, 20), (6, 30), (8, None)]):
        _serve(one, clerk, MORNING + timedelta(hours=index), wait, service)
    _serve(two, clerk, MORNING, 10, 5, kind="consultation")
    queue.take(fukang, "consultation", MORNING + timedelta(hours=5))  # never called
    queue.take(fukang, "wholesale_retail", MORNING - timedelta(days=3))  # outside the range
    figures = queue_figures(QueueTicket.objects.all(), date(2026, 3, 1), date(2026, 3, 2))
    retail, consult = figures.by_type
    assert (retail.label, retail.tickets, retail.served, retail.no_shows) == ("批发零售类", 4, 3, 1)
    assert (retail.wait_avg_minutes, retail.wait_p90_minutes) == (5.0, 8.0)
    assert (retail.service_avg_minutes, retail.service_p90_minutes) == (20.0, 30.0)
    assert (consult.tickets, consult.served, consult.wait_avg_minutes) == (2, 1, 10.0)
    assert [(row.label, row.tickets) for row in figures.by_window] == [
        ("1号窗口 一窗", 4), ("2号窗口 二窗", 1), ("未叫号", 1)]
    assert (figures.total.tickets, figures.total.served, figures.total.no_shows) == (6, 4, 1)


def test_the_xlsx_has_both_groupings(hall, tmp_path):
    from openpyxl import load_workbook

    _, one, _, clerk = hall
    _serve(one, clerk, MORNING, 3, 12)
    path = tmp_path / "q.xlsx"
    path.write_bytes(to_xlsx(queue_figures(QueueTicket.objects.all(), date(2026, 3, 2), date(2026, 3, 2))))
    book = load_workbook(path)
    assert book.sheetnames == ["按业务类别", "按窗口"]
    rows = list(book["按窗口"].iter_rows(values_only=True))
    assert rows[1][0] == "分组" and rows[2] == ("1号窗口 一窗", 1, 1, 0, 3.0, 3.0, 12.0, 12.0)


def test_the_api_takes_a_number_shows_the_display_calls_and_gives_figures(client, hall):
    fukang, one, _, clerk = hall
    taken = client.post("/api/services/queue/tickets", {"region": "652302", "service_type": "wholesale_retail"},
                        content_type="application/json")
    assert taken.status_code == 201 and taken.json()["number"] == "A001" and taken.json()["ahead"] == 0
    refused = client.post("/api/services/queue/tickets", {"region": "652302", "service_type": "leasing"},
                          content_type="application/json")
    assert refused.status_code == 400 and "service_type" in refused.json()["detail"]
    assert client.post("/api/services/queue/tickets", {"region": "652301", "service_type": "leasing"},
                       content_type="application/json").status_code == 400
    assert client.post(f"/api/services/queue/windows/{one.pk}/call-next").status_code == 401
    client.force_login(clerk)
    called = client.post(f"/api/services/queue/windows/{one.pk}/call-next")
    assert called.status_code == 200 and called.json()["ticket"]["window"] == 1
    busy = client.post(f"/api/services/queue/windows/{one.pk}/call-next")
    assert busy.status_code == 400 and "请先办结或过号" in str(busy.json())
    display = client.get("/api/services/queue/display?region=652302").json()
    assert display["windows"][0]["current"]["number"] == "A001"
    figures = client.get("/api/services/queue/statistics").json()
    assert figures["total"]["tickets"] == 1 and figures["by_type"][0]["key"] == "wholesale_retail"
    assert client.get("/api/services/queue/statistics?first=2026-03-02&last=2026-03-01").status_code == 400


def test_the_demo_hall_is_a_realistic_month_and_idempotent(make_user):
    from changji.services.demo_catalogue import seed_demo_catalogue, seed_demo_staff

    seed_demo_catalogue()
    seed_demo_staff("x-Secret-2026")
    now = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 15:00 in 阜康
    made = seed_demo_hall(date(2026, 3, 2), now)
    assert made["windows"] == 4 and made["consultations"] == 40
    assert 31 * 100 < made["tickets"] < 31 * 140
    window_one = ServiceWindow.objects.get(region_id="652302", number=1)
    assert window_one.clerks.filter(username="fukang-clerk").exists()
    today = QueueTicket.objects.filter(local_day=date(2026, 3, 2))
    assert today.filter(state=TicketState.WAITING).count() >= 5
    assert all(t.taken_at <= now for t in today)
    past = QueueTicket.objects.filter(local_day=date(2026, 2, 20))
    assert past.filter(state=TicketState.NO_SHOW).exists() and past.filter(state=TicketState.DONE).count() > 80
    hours = {t.taken_at.astimezone(UTC).hour + 8 for t in past}
    assert min(hours) >= 9 and max(hours) <= 18
    again = seed_demo_hall(date(2026, 3, 2), now)
    assert (again["tickets"], again["consultations"]) == (0, 0) and Consultation.objects.count() == 40
    figures = queue_figures(QueueTicket.objects.all(), date(2026, 2, 1), date(2026, 3, 2))
    assert figures.total.wait_p90_minutes is not None and figures.total.service_avg_minutes is not None
