"""The window's pages: walk-in intake, receipt PDF, 即办, 现场勘察, and corrections asking only what is missing."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from changji.core.models import AuditEntry
from changji.services import cases, inspection, intake
from changji.services.cases import Applicant
from changji.services.models import Case, Inspection, SubCase
from tests.services.repair_shop import MA_WENJIE, walk_in_answers, walk_in_materials
from tests.services.test_certificate import content_text

pytestmark = pytest.mark.django_db


def walk_in(repair_shop, *, skip=(), **overrides):
    answers = walk_in_answers(repair_shop)
    data = {"applicant_kind": "person", "applicant_name": MA_WENJIE[0], "applicant_identifier": MA_WENJIE[1],
            "applicant_phone": MA_WENJIE[2], "delivery_method": "window", "accept_now": "on",
            **{name: str(value) for name, value in answers.items()}}
    for n, m in enumerate(walk_in_materials(repair_shop, answers)):
        if m.code in skip:
            continue
        if n % 2:
            data[f"seen_{m.code}"] = "on"
        else:
            data[f"material_{m.code}"] = SimpleUploadedFile(f"{m.code}.pdf", b"%PDF-1.4 scan", "application/pdf")
    data.update(overrides)
    return data


def test_the_intake_list_finds_bundles_by_name_code_and_category(client, restaurant, window_clerk, repair_shop):
    # the demo catalogue first: repair_shop is then its own YJS-WX
    client.force_login(window_clerk)
    url = reverse("services:intake")
    html = client.get(url, {"q": "维修"}).content.decode()
    assert repair_shop.name in html and "开办餐馆一件事" not in html
    assert reverse("services:intake_form", args=[repair_shop.pk]) in html
    assert repair_shop.name in client.get(url, {"q": "yjs-wx"}).content.decode()
    html = client.get(url, {"category": "food_processing"}).content.decode()
    assert "开办餐馆一件事" in html and repair_shop.name not in html
    assert client.get(url, {"category": "nonsense"}).status_code == 400


def test_the_form_marks_conditional_fields_and_materials_for_the_script(client, window_clerk, repair_shop):
    client.force_login(window_clerk)
    response = client.get(reverse("services:intake_form", args=[repair_shop.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "services/conditions.js" in html and "data-conditional" in html
    lease = next(m for m in walk_in_materials(repair_shop, walk_in_answers(repair_shop)) if m.code == "wx_lease")
    form = intake_form_instance(repair_shop)
    when = json.loads(form.fields[f"material_{lease.code}"].widget.attrs["data-show-when"])
    assert when == [[{"field": "premises", "equals": "租赁"}]] * len(when) and when
    assert "data-show-when" not in str(form["business_name"])  # asked always
    assert f'data-show-group="material_{lease.code}"' in html  # its 原件已核验 tick hides with it


def intake_form_instance(bundle):
    from changji.services.web.intake import IntakeForm

    return IntakeForm(bundle)


def test_a_walk_in_filed_and_accepted_then_the_receipt_prints(client, window_clerk, repair_shop):
    client.force_login(window_clerk)
    response = client.post(reverse("services:intake_form", args=[repair_shop.pk]), walk_in(repair_shop))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("services:window_case", args=[case.pk])
    assert (case.channel, case.state, case.visits, case.window.number) == ("window", "accepted", 1, 3)
    assert case.materials.filter(seen_in_original=True).exists() and case.materials.exclude(file="").exists()
    page = client.get(response["Location"]).content.decode()
    assert "已受理" in page and reverse("services:receipt", args=[case.pk]) in page and "原件已核验" in page
    pdf = client.get(reverse("services:receipt", args=[case.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert case.receipt_number in content_text(pdf.content) and case.query_code in content_text(pdf.content)
    seen = case.materials.filter(seen_in_original=True).first()
    assert client.get(reverse("services:material", args=[seen.pk])).status_code == 404  # no file to send


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"applicant_identifier": "652302198506120518"}, "applicant_identifier", "校验"),
    ({"delivery_method": "postal"}, "postal_address", "邮寄地址"),
    ({"applicant_identifier": "65230219850612051²"}, "applicant_identifier", "第18位"),
    ({"postal_recipient": "x", "delivery_method": "drone"}, "delivery_method", ""),
])
def test_bad_input_is_a_400_on_its_field_and_nothing_is_filed(client, window_clerk, repair_shop, overrides, field,
                                                               message):
    client.force_login(window_clerk)
    response = client.post(reverse("services:intake_form", args=[repair_shop.pk]), walk_in(repair_shop, **overrides))
    assert response.status_code == 400
    assert f'data-error-for="{field}"' in response.content.decode()
    assert message in response.content.decode()
    assert not Case.objects.exists()


def test_an_incomplete_walk_in_is_not_accepted(client, window_clerk, repair_shop):
    client.force_login(window_clerk)
    last = walk_in_materials(repair_shop, walk_in_answers(repair_shop))[-1]
    client.post(reverse("services:intake_form", args=[repair_shop.pk]), walk_in(repair_shop, skip={last.code}))
    case = Case.objects.get()
    assert case.state == "submitted" and cases.missing_for(case) == [f"材料：{last.name}"]


@pytest.fixture
def accepted(repair_shop, window_clerk):
    answers = walk_in_answers(repair_shop)
    seen = {m.code for m in walk_in_materials(repair_shop, answers)}
    return intake.file_at_window(repair_shop, Applicant("person", *MA_WENJIE), answers, {}, seen, intake.Delivery(),
                                 window_clerk, accept_now=True)


def test_the_window_decides_inspects_and_issues_in_one_visit(client, window_clerk, accepted):
    client.force_login(window_clerk)
    page = client.get(reverse("services:window_case", args=[accepted.pk])).content.decode()
    inspected = SubCase.objects.get(case=accepted, item__inspection_required=True)
    assert f'id="form-inspect-{inspected.pk}"' in page and f'id="form-instant-approve-{inspected.pk}"' in page
    instant_url = reverse("services:instant", args=[inspected.pk])
    refused = client.post(instant_url, {"action": "approve", f"ia{inspected.pk}-opinion": "准予",
                                        f"ia{inspected.pk}-licence_number": "JT-1"})
    assert refused.status_code == 400 and "请先记录勘察结论" in refused.content.decode()
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    done = client.post(reverse("services:inspection", args=[inspected.pk]) + "?back=window", {
        f"insp{inspected.pk}-inspectors": "李强", f"insp{inspected.pk}-inspected_at": now,
        f"insp{inspected.pk}-result": "passed", f"insp{inspected.pk}-findings": "符合备案条件"})
    assert done.status_code == 302 and done["Location"] == reverse("services:window_case", args=[accepted.pk])
    for n, sub in enumerate(SubCase.objects.filter(case=accepted).order_by("pk")):
        response = client.post(reverse("services:instant", args=[sub.pk]), {
            "action": "approve", f"ia{sub.pk}-opinion": "准予", f"ia{sub.pk}-licence_number": f"FK-{n}"})
        assert response.status_code == 302, response.content.decode()
    accepted.refresh_from_db()
    assert accepted.state == "results_ready"
    client.post(reverse("services:window_case", args=[accepted.pk]), {"action": "issue", "issue-handed_to": "马文杰"})
    accepted.refresh_from_db()
    assert accepted.state == "issued" and accepted.visits == 1
    assert client.get(reverse("services:certificate", args=[accepted.pk])).content.startswith(b"%PDF-")


def test_a_clerk_without_delegation_gets_a_clear_refusal(client, make_user, accepted):
    other = make_user("wx-clerk-2", "652302", role="window_clerk")
    client.force_login(other)
    sub = SubCase.objects.filter(case=accepted, item__inspection_required=False).first()
    page = client.get(reverse("services:window_case", args=[accepted.pk])).content.decode()
    assert f"form-instant-approve-{sub.pk}" not in page  # not offered
    before = AuditEntry.objects.count()
    response = client.post(reverse("services:instant", args=[sub.pk]), {
        "action": "approve", f"ia{sub.pk}-opinion": "准予", f"ia{sub.pk}-licence_number": "FK-1"})
    assert response.status_code == 400 and "未获" in response.content.decode()
    assert SubCase.objects.get(pk=sub.pk).state == "pending" and AuditEntry.objects.count() == before
    insp = SubCase.objects.get(case=accepted, item__inspection_required=True)
    assert client.get(reverse("services:inspection", args=[insp.pk])).status_code == 404


def test_the_inbox_shows_the_inspection_with_its_due_day(client, make_user, accepted):
    from changji.services.models import Department

    sub = SubCase.objects.get(case=accepted, item__inspection_required=True)
    reviewer = make_user("jt-reviewer", "652302", role="department_reviewer")
    Department.objects.get(pk=sub.department_id).reviewers.add(reviewer)
    Inspection.objects.filter(sub_case=sub).update(due_on="2020-01-01")
    client.force_login(reviewer)
    html = client.get(reverse("services:inbox_sub_case", args=[sub.pk])).content.decode()
    assert "现场勘察" in html and "2020-01-01" in html and "已超期" in html and f"form-inspect-{sub.pk}" in html
    inspection.record(sub, reviewer, "李强", timezone.now(), "failed", "无废气处理设施")
    html = client.get(reverse("services:inbox_sub_case", args=[sub.pk])).content.decode()
    assert "不符合条件" in html and f"form-inspect-{sub.pk}" in html  # may be recorded again until decided


def _in_correction(repair_shop, clerk):
    answers = walk_in_answers(repair_shop)
    materials = walk_in_materials(repair_shop, answers)
    last = materials[-1]
    seen = {m.code for m in materials if m.code != last.code}
    case = intake.file_at_window(repair_shop, Applicant("person", *MA_WENJIE), answers, {}, seen, intake.Delivery(),
                                 clerk)
    cases.request_correction(case, clerk, cases.missing_for(case))
    return case, last, materials


def test_the_track_page_asks_only_what_is_missing(client, window_clerk, repair_shop):
    case, last, materials = _in_correction(repair_shop, window_clerk)
    client.post(reverse("services:track"), {"action": "lookup", "receipt": case.receipt_number,
                                            "code": case.query_code})
    html = client.get(reverse("services:track")).content.decode()
    assert f'name="fix-material_{last.code}"' in html
    for other in materials[:-1]:
        assert f'name="fix-material_{other.code}"' not in html
    assert 'name="fix-business_name"' not in html and 'name="fix-address"' not in html


def test_the_window_correction_in_person_asks_only_what_is_missing(client, window_clerk, repair_shop):
    case, last, materials = _in_correction(repair_shop, window_clerk)
    client.force_login(window_clerk)
    url = reverse("services:window_case", args=[case.pk])
    html = client.get(url).content.decode()
    assert 'id="form-resubmit"' in html and f'name="fix-material_{last.code}"' in html
    assert f'name="fix-material_{materials[0].code}"' not in html
    response = client.post(url, {"action": "resubmit", f"fix-material_{last.code}": SimpleUploadedFile(
        "x.pdf", b"%PDF-1.4 x", "application/pdf")})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "submitted" and case.visits == 1  # the same day: still one visit
    assert case.events.filter(in_person=True).count() == 2 and not cases.missing_for(case)


def test_the_online_form_hides_conditional_parts_too(client, restaurant):
    html = client.get(reverse("services:apply", args=[restaurant.pk])).content.decode()
    assert "services/conditions.js" in html and 'id="apply-form" data-conditional' in html
    sign = "[[{&quot;field&quot;: &quot;outdoor_sign&quot;, &quot;equals&quot;: true}]]"
    for name in ("sign_size", "material_sign_design"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert f'data-show-when="{sign}"' in tag, tag
    assert "data-show-when" not in re.search(r'<input[^>]*name="business_name"[^>]*>', html).group(0)


def test_a_called_number_is_linked_to_the_case_filed_for_it(client, window_clerk, repair_shop):
    from changji.core.models import Region
    from changji.services import queue
    from changji.services.models import QueueTicket, ServiceWindow

    window = ServiceWindow.objects.get(clerks=window_clerk)
    ticket = queue.take(Region.objects.get(code="652302"), "transport")
    assert queue.call_next(window, window_clerk) == ticket
    client.force_login(window_clerk)
    listed = client.get(reverse("services:intake"), {"ticket": ticket.pk}).content.decode()
    form_url = f"{reverse('services:intake_form', args=[repair_shop.pk])}?ticket={ticket.pk}"
    assert form_url in listed
    assert ticket.number in client.get(form_url).content.decode()
    assert client.post(form_url, walk_in(repair_shop)).status_code == 302
    ticket = QueueTicket.objects.get(pk=ticket.pk)
    assert (ticket.state, ticket.case) == ("serving", Case.objects.get())
    assert client.get(reverse("services:intake"), {"ticket": "x"}).status_code == 400


def test_a_number_of_another_region_is_not_found(client, window_clerk, repair_shop):
    from changji.core.models import Region
    from changji.services import queue
    from changji.services.models import ServiceWindow

    ServiceWindow.objects.create(region_id="652301", number=1, name="综合受理", service_types=["transport"])
    foreign = queue.take(Region.objects.get(code="652301"), "transport")
    client.force_login(window_clerk)
    url = f"{reverse('services:intake_form', args=[repair_shop.pk])}?ticket={foreign.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, walk_in(repair_shop)).status_code == 404
    assert not Case.objects.exists()
