"""咨询导办 (services.consultations): recording, refusals, masking, linking to a case, the pages, XLSX and API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from changji.core.models import AuditEntry, Region
from changji.services import cases, consultations, queue
from changji.services.consultations import ConsultationError, ConsultationIn
from changji.services.models import Consultation, ServiceWindow
from tests.services.test_cases import ANSWERS, MATERIALS, USCC

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ASKED = ConsultationIn(topic="餐馆开办流程", question="开饭馆要跑几个部门？", guidance="一窗受理，并联审批。",
                       bundle_code="YJS-CY", visitor_name="马文杰", visitor_phone="13912345678")


@pytest.fixture
def fukang():
    return Region.objects.get(code="652302")


@pytest.fixture
def desk(fukang, make_user, restaurant):
    clerk = make_user("desk-clerk", "652302", role="window_clerk")
    window = ServiceWindow.objects.create(region=fukang, number=4, name="咨询导办台", service_types=["consultation"])
    window.clerks.add(clerk)
    return window, clerk


def test_a_consultation_is_recorded_and_audited_without_the_phone(desk, fukang):
    window, clerk = desk
    ticket = queue.take(fukang, "consultation", MORNING)
    recorded = consultations.record(fukang, clerk, ASKED, window=window, ticket=ticket, now=MORNING)
    assert (recorded.topic, recorded.bundle_code, recorded.visitor_phone, recorded.ticket) == (
        "餐馆开办流程", "YJS-CY", "13912345678", ticket)
    entry = AuditEntry.objects.get(action="services.consultation.record")
    assert entry.detail == {"topic": "餐馆开办流程", "bundle_code": "YJS-CY", "ticket": "Z001"}
    assert "13912345678" not in str(entry.detail) and entry.actor == clerk


@pytest.mark.parametrize(("change", "field"), [
    ({"topic": "  "}, "topic"), ({"question": ""}, "question"), ({"guidance": "\n"}, "guidance"),
    ({"visitor_phone": "１３９１２３４５６７８"}, "visitor_phone"), ({"visitor_phone": "139²"}, "visitor_phone"),
    ({"visitor_phone": "12"}, "visitor_phone"), ({"bundle_code": "YJS-NONE"}, "bundle_code"),
    ({"topic": "话" * 129}, "topic"), ({"visitor_name": "a\x00b"}, "visitor_name"),
])
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(desk, fukang, change, field):
    window, clerk = desk
    audited = AuditEntry.objects.count()  # the demo catalogue's import is audited
    with pytest.raises(ConsultationError) as refused:
        consultations.record(fukang, clerk, ConsultationIn(**{**ASKED.__dict__, **change}), window=window)
    assert refused.value.field == field and refused.value.message
    assert not Consultation.objects.exists() and AuditEntry.objects.count() == audited


def test_a_ticket_or_window_of_another_hall_is_refused(desk, fukang):
    window, clerk = desk
    changji = Region.objects.get(code="652301")
    with pytest.raises(ConsultationError, match="窗口不属于本大厅"):
        consultations.record(changji, clerk, ASKED, window=window)
    ticket = queue.take(fukang, "consultation", MORNING)
    with pytest.raises(ConsultationError, match="排队号不属于本大厅"):
        consultations.record(changji, clerk, ASKED, ticket=ticket)


def test_phones_are_masked():
    assert consultations.mask_phone("13912345678") == "139****5678"
    assert consultations.mask_phone("0994123") == "*****23"
    assert consultations.mask_phone("") == ""


def test_a_consultation_is_linked_later_to_the_case_of_its_region(desk, fukang, restaurant):
    window, clerk = desk
    recorded = consultations.record(fukang, clerk, ASKED, window=window)
    case = cases.submit(restaurant, cases.Applicant("enterprise", "某公司", USCC), "window", dict(ANSWERS), MATERIALS,
                        by=clerk, now=MORNING)
    consultations.link_case(recorded, case, clerk)
    assert Consultation.objects.get().case == case
    elsewhere = Consultation.objects.create(region_id="652301", at=MORNING, clerk=clerk, topic="x", question="q",
                                            guidance="g")
    with pytest.raises(ConsultationError):
        consultations.link_case(elsewhere, case, clerk)


def test_the_list_filters_pages_masks_and_exports(client, desk, fukang, make_user, tmp_path):
    window, clerk = desk
    other = make_user("desk-clerk-2", "652302", role="window_clerk")
    now = datetime.now(UTC)
    for index in range(55):
        asked = ConsultationIn(**{**ASKED.__dict__, "topic": "维修备案" if index % 2 else "餐馆开办流程"})
        consultations.record(fukang, clerk if index % 5 else other, asked, now=now - timedelta(minutes=index))
    consultations.record(fukang, clerk, ASKED, now=now - timedelta(days=40))
    client.force_login(clerk)
    page = client.get("/services/consultations/").content.decode()
    assert "共 55 条" in page and "139****5678" in page and "13912345678" not in page and "下一页" in page
    assert "共 11 条" in client.get(f"/services/consultations/?clerk={other.pk}").content.decode()
    assert "共 27 条" in client.get("/services/consultations/?topic=维修").content.decode()
    assert "共 1 条" in client.get(
        f"/services/consultations/?first={(now - timedelta(days=41)).date()}&last={(now - timedelta(days=39)).date()}"
    ).content.decode()
    assert client.get("/services/consultations/?first=2026-13-01").status_code == 400
    download = client.get("/services/consultations/?topic=维修&format=xlsx")
    path = tmp_path / "c.xlsx"
    path.write_bytes(download.content)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("时间", "咨询事项", "咨询的一件事", "来访人", "联系电话") and len(rows) == 28
    assert {row[4] for row in rows[1:]} == {"139****5678"}


def test_the_record_form_records_and_redirects_or_shows_the_refusal(client, desk, fukang):
    window, clerk = desk
    ticket = queue.take(fukang, "consultation")
    client.force_login(clerk)
    form = client.get(f"/services/consultations/new/?ticket={ticket.pk}").content.decode()
    assert f'value="{ticket.pk}"' in form and "YJS-CY" in form
    body = {"topic": "维修备案", "bundle_code": "", "visitor_name": "", "visitor_phone": "１３９",
            "question": "要备案吗", "guidance": "即办", "ticket": ticket.pk}
    refused = client.post("/services/consultations/new/", body)
    assert refused.status_code == 400 and "联系电话应为" in refused.content.decode()
    assert not Consultation.objects.exists()
    done = client.post("/services/consultations/new/", {**body, "visitor_phone": "13912345678"})
    assert done.status_code == 302
    recorded = Consultation.objects.get()
    assert (recorded.ticket, recorded.window, recorded.region_id) == (ticket, window, "652302")
    detail = client.get(done["Location"]).content.decode()
    assert "139****5678" in detail and "13912345678" not in detail
    missing = client.post(done["Location"], {"receipt_number": "NOPE"})
    assert missing.status_code == 400 and "未找到该受理编号的办件" in missing.content.decode()


def test_the_api_lists_with_masked_phones_and_records(client, desk, fukang):
    window, clerk = desk
    consultations.record(fukang, clerk, ASKED, window=window)
    client.force_login(clerk)
    listed = client.get("/api/services/consultations").json()
    assert listed["count"] == 1 and listed["items"][0]["visitor_phone"] == "139****5678"
    created = client.post("/api/services/consultations", {"topic": "维修", "question": "q", "guidance": "g"},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["clerk"] == "desk-clerk"
    refused = client.post("/api/services/consultations", {"topic": "", "question": "q", "guidance": "g"},
                          content_type="application/json")
    assert refused.status_code == 400 and "topic" in refused.json()["detail"]
    assert Consultation.objects.count() == 2
