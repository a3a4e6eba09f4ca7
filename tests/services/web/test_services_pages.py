"""The services pages: catalogue, online application, progress, window, certificate, verify, inbox, rating."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from changji.services import bundles, cases
from changji.services.catalogue import current_bundles
from changji.services.models import Case, Department, Material, SubCase

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"


def application(**overrides):
    data = {"applicant_kind": "enterprise", "applicant_name": "阜康市老王餐饮有限公司", "applicant_identifier": USCC,
            "applicant_phone": "13800000000", "outdoor_sign": "on", "business_name": "老王面馆",
            "address": "阜康市天池街 1 号", "legal_person": "王某", "registered_capital": "10",
            "food_category": "热食类", "sign_size": "3×1"}
    for code in ("id", "lease", "articles", "food_safety", "sign_design"):  # no layout: a correction follows
        data[f"material_{code}"] = SimpleUploadedFile(f"{code}.pdf", f"%PDF {code}".encode(), "application/pdf")
    data.update(overrides)
    return data


def test_the_catalogue_lists_published_bundles_with_items_and_materials(client, restaurant):
    response = client.get(reverse("services:catalogue"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("开办餐馆一件事", "食品加工", "营业执照（设立登记）", "市场监督管理局", "城市管理局", "演示数据",
                 "经营场所平面布局图", "20 个工作日", "不收费", reverse("services:apply", args=[restaurant.pk])):
        assert text in html
    needing = [b for b in current_bundles()
               if "lease" in {m.code for m in bundles.merged_materials(cases.item_specs(b))}]
    assert html.count("经营场所使用证明") == len(needing)  # merged: once per bundle that needs it, not once per item


def test_an_online_application_stores_the_case_and_shows_receipt_and_query_code(client, restaurant):
    """Post/redirect/get: the receipt page is a GET that only this browser's session opens; a reload files nothing."""
    url = reverse("services:apply", args=[restaurant.pk])
    form = client.get(url)
    assert form.status_code == 200 and "是否设置户外招牌" in form.content.decode()
    assert "是否自有货运车辆" not in form.content.decode()  # only the questions of this bundle
    response = client.post(url, application())
    assert response.status_code == 302 and response["Location"] == reverse("services:applied")
    case = Case.objects.get()
    assert (case.channel, case.state) == ("online", "submitted")
    assert case.form_data["outdoor_sign"] is True and case.form_data["registered_capital"] == 10
    assert case.materials.count() == 5
    for _ in range(2):  # the page, and its reload
        html = client.get(response["Location"]).content.decode()
        assert case.receipt_number in html and case.query_code in html and "经营场所平面布局图" in html
    assert Case.objects.count() == 1
    stranger = Client().get(response["Location"])
    assert stranger.status_code == 302 and case.query_code not in stranger.content.decode()


@pytest.mark.parametrize("overrides, field, message", [
    ({"applicant_identifier": "91350100M000100Y44"}, "applicant_identifier", "校验"),
    ({"applicant_name": "  "}, "applicant_name", ""),
    ({"registered_capital": "很多"}, "registered_capital", ""),
    ({"applicant_kind": "alien"}, "applicant_kind", ""),
])
def test_a_bad_application_is_a_400_on_its_field_and_nothing_is_stored(client, restaurant, overrides, field,
                                                                       message):
    response = client.post(reverse("services:apply", args=[restaurant.pk]), application(**overrides))
    assert response.status_code == 400
    assert f'data-error-for="{field}"' in response.content.decode()
    assert message in response.content.decode()
    assert not Case.objects.exists() and not Material.objects.exists()


def test_track_shows_progress_and_hides_which_part_was_wrong(client, submitted):
    url = reverse("services:track")
    ok = client.post(url, {"receipt": submitted.receipt_number, "code": submitted.query_code}, follow=True)
    assert ok.redirect_chain == [(url, 302)]
    assert ok.status_code == 200 and "待预审" in ok.content.decode() and "提交申请" in ok.content.decode()
    assert "待预审" not in Client().get(url).content.decode()  # the case looked up stays with this browser
    wrong_code = client.post(url, {"receipt": submitted.receipt_number, "code": "000000" if submitted.query_code
                                   != "000000" else "111111"})
    wrong_receipt = client.post(url, {"receipt": "652302000000000", "code": submitted.query_code})
    assert wrong_code.status_code == wrong_receipt.status_code == 404
    assert "未找到该办件" in wrong_code.content.decode() and "未找到该办件" in wrong_receipt.content.decode()
    assert "待预审" not in wrong_code.content.decode()


def test_the_window_needs_login_and_the_role(client, make_user, submitted):
    for name, args in (("window", []), ("window_case", [submitted.pk]), ("inbox", [])):
        response = client.get(reverse(f"services:{name}", args=args))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(make_user("viewer", "652302", role="township_viewer"))
    assert client.get(reverse("services:window")).status_code == 403
    assert client.get(reverse("services:inbox")).status_code == 403


def test_a_clerk_of_another_region_gets_404(client, make_user, submitted):
    client.force_login(make_user("cj-clerk", "652301", role="window_clerk"))
    assert client.get(reverse("services:window_case", args=[submitted.pk])).status_code == 404
    assert submitted.receipt_number not in client.get(reverse("services:window")).content.decode()
    material = submitted.materials.first()
    assert client.get(reverse("services:material", args=[material.pk])).status_code == 404


def test_the_window_requests_correction_then_accepts(client, clerk, restaurant):
    client.post(reverse("services:apply", args=[restaurant.pk]), application())
    case = Case.objects.get()
    client.force_login(clerk)
    assert case.receipt_number in client.get(reverse("services:window")).content.decode()
    url = reverse("services:window_case", args=[case.pk])
    page = client.get(url).content.decode()
    assert "材料：经营场所平面布局图" in page  # the correction form is pre-filled with the missing list
    refused = client.post(url, {"action": "accept"})
    assert refused.status_code == 400 and "请先告知补正" in refused.content.decode()
    response = client.post(url, {"action": "correction", "correction-missing": "材料：经营场所平面布局图"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "correction" and case.correction_list == ["材料：经营场所平面布局图"]
    resubmitted = client.post(reverse("services:track"), {
        "action": "resubmit", "receipt": case.receipt_number, "code": case.query_code,
        "fix-material_layout": SimpleUploadedFile("layout.pdf", b"%PDF layout", "application/pdf")})
    assert resubmitted.status_code == 302
    case.refresh_from_db()
    assert case.state == "submitted" and case.form_data["outdoor_sign"] is True
    assert client.post(url, {"action": "accept"}).status_code == 302
    assert SubCase.objects.filter(case=case).count() == 3


def test_refuse_needs_a_reason(client, clerk, submitted):
    client.force_login(clerk)
    url = reverse("services:window_case", args=[submitted.pk])
    assert client.post(url, {"action": "refuse", "refuse-reason": ""}).status_code == 400
    assert client.post(url, {"action": "issue", "issue-handed_to": "王某"}).status_code == 400  # not ready
    submitted.refresh_from_db()
    assert submitted.state == "submitted"
    assert client.post(url, {"action": "refuse", "refuse-reason": "不属于本中心受理范围"}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == "refused"


def test_the_inbox_lists_the_reviewers_department_and_approves(client, clerk, reviewers, submitted):
    cases.accept(submitted, clerk)
    client.force_login(reviewers["CGJ"])
    page = client.get(reverse("services:inbox")).content.decode()
    assert "户外招牌设置许可" in page and "营业执照" not in page  # another department's sub-case stays hidden
    assert "due-green" in page
    sign = SubCase.objects.get(case=submitted, item__code="CGJ-001")
    licence = SubCase.objects.get(case=submitted, item__code="SCJG-001")
    assert client.get(reverse("services:inbox_sub_case", args=[licence.pk])).status_code == 404
    url = reverse("services:inbox_sub_case", args=[sign.pk])
    assert client.post(url, {"action": "claim"}).status_code == 302
    bad = client.post(url, {"action": "approve", "approve-opinion": "同意", "approve-licence_number": ""})
    assert bad.status_code == 400 and 'data-error-for="approve-licence_number"' in bad.content.decode()
    ok = client.post(url, {"action": "approve", "approve-opinion": "同意设置", "approve-licence_number": "CGJ-1",
                           "approve-valid_until": "2031-01-01"})
    assert ok.status_code == 302
    sign.refresh_from_db()
    assert (sign.state, sign.licence_number, str(sign.valid_until)) == ("approved", "CGJ-1", "2031-01-01")


def test_release_refuse_and_verification_in_the_inbox(client, clerk, reviewers, submitted):
    cases.accept(submitted, clerk)
    client.force_login(reviewers["SCJG"])
    licence = SubCase.objects.get(case=submitted, item__code="SCJG-001")
    food = SubCase.objects.get(case=submitted, item__code="SCJG-002")
    url = reverse("services:inbox_sub_case", args=[licence.pk])
    client.post(url, {"action": "claim"})
    assert client.post(url, {"action": "release"}).status_code == 302
    licence.refresh_from_db()
    assert licence.state == "pending" and licence.assignee is None
    client.post(url, {"action": "claim"})
    assert client.post(url, {"action": "refuse", "refuse-opinion": ""}).status_code == 400
    assert client.post(url, {"action": "refuse", "refuse-opinion": "名称不符合规定"}).status_code == 302
    cases.commit(food, "applicant", "本人承诺符合条件")
    food_url = reverse("services:inbox_sub_case", args=[food.pk])
    assert client.post(food_url, {"action": "verify", "verify-outcome": "bogus", "verify-opinion": "x"}
                       ).status_code == 400
    assert client.post(food_url, {"action": "verify", "verify-outcome": "confirmed",
                                  "verify-opinion": "现场核查属实"}).status_code == 302
    food.refresh_from_db()
    assert food.state == "confirmed"


def test_the_applicant_signs_a_commitment_on_the_track_page(client, clerk, submitted):
    cases.accept(submitted, clerk)
    food = SubCase.objects.get(case=submitted, item__code="SCJG-002")
    base = {"receipt": submitted.receipt_number, "code": submitted.query_code}
    page = client.post(reverse("services:track"), base, follow=True).content.decode()
    assert "告知承诺：食品经营许可" in page and "营业执照（设立登记）</h2>" not in page
    blank = client.post(reverse("services:track"), {**base, "action": "commit", "sub_case": food.pk,
                                                    "commitment": " "})
    assert blank.status_code == 400
    ok = client.post(reverse("services:track"), {**base, "action": "commit", "sub_case": food.pk,
                                                 "commitment": "本人承诺符合条件"})
    assert ok.status_code == 302
    food.refresh_from_db()
    assert food.state == "committed"


def test_issue_certificate_verify_and_rating(client, clerk, issued):
    client.force_login(clerk)
    page = client.get(reverse("services:window_case", args=[issued.pk])).content.decode()
    assert reverse("services:certificate", args=[issued.pk]) in page
    pdf = client.get(reverse("services:certificate", args=[issued.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    from changji.services.web.common import case_fingerprint

    digest = case_fingerprint(issued)
    client.logout()
    verify = reverse("services:verify")
    good = client.get(verify, {"receipt": issued.receipt_number, "digest": digest}).content.decode()
    assert "凭证有效" in good and "LIC-SCJG-001" in good
    bad = client.get(verify, {"receipt": issued.receipt_number, "digest": "0" * 16}).content.decode()
    assert "凭证无效" in bad and "LIC-SCJG-001" not in bad
    base = {"receipt": issued.receipt_number, "code": issued.query_code}
    assert client.post(reverse("services:track"), {**base, "action": "rate", "rating": "9"}).status_code == 400
    issued.refresh_from_db()
    assert issued.rating is None
    scjg, cgj = (Department.objects.get(code=f"652302-{code}") for code in ("SCJG", "CGJ"))
    form = client.post(reverse("services:track"), base, follow=True).content.decode()
    assert f'name="department_{scjg.pk}"' in form and f'name="department_{cgj.pk}_reasons"' in form
    assert "多次跑动" in form and "一次办成" in form
    low = client.post(reverse("services:track"), {**base, "action": "rate", "rating": "5", "comment": "一次办好",
                                                  f"department_{scjg.pk}": "5", f"department_{cgj.pk}": "2"})
    assert low.status_code == 400 and f'data-error-for="department_{cgj.pk}_reasons"' in low.content.decode()
    ok = client.post(reverse("services:track"), {
        **base, "action": "rate", "rating": "5", "comment": "一次办好", "reasons": ["one_visit", "fast"],
        f"department_{scjg.pk}": "5", f"department_{cgj.pk}": "2", f"department_{cgj.pk}_reasons": "long_wait",
        f"department_{cgj.pk}_comment": "招牌审批等了两天"})
    assert ok.status_code == 302
    issued.refresh_from_db()
    assert (issued.state, issued.rating, issued.rating_comment) == ("rated", 5, "一次办好")
    assert issued.rating_reasons == ["one_visit", "fast"]
    assert sorted(issued.department_ratings.values_list("department__code", "score", "reasons", "comment")) == [
        ("652302-CGJ", 2, ["long_wait"], "招牌审批等了两天"), ("652302-SCJG", 5, [], "")]


def test_the_certificate_of_a_case_not_issued_is_404(client, clerk, submitted, make_user):
    client.force_login(clerk)
    assert client.get(reverse("services:certificate", args=[submitted.pk])).status_code == 404


def test_statistics_page_and_xlsx_for_the_window(client, make_user):
    import io

    from openpyxl import load_workbook

    clerk = make_user("stats-clerk", "652302", role="window_clerk")
    client.force_login(clerk)
    response = client.get("/services/statistics/?first=2026-01-01&last=2026-12-31")
    assert response.status_code == 200 and "办件统计" in response.content.decode()
    download = client.get("/services/statistics/?first=2026-01-01&last=2026-12-31&format=xlsx")
    assert load_workbook(io.BytesIO(download.content)).sheetnames == ["按一件事", "按渠道", "按部门", "按月份",
                                                                      "部门评价", "评价理由"]
    assert client.get("/services/statistics/?first=2026-12-31&last=2026-01-01").status_code == 400
    assert client.get("/services/statistics/?first=yesterday").status_code == 400
    reviewer = make_user("stats-reviewer", "652302", role="department_reviewer")
    client.force_login(reviewer)
    assert client.get("/services/statistics/").status_code == 403


def test_tracking_locks_a_receipt_after_repeated_wrong_codes(client, submitted):
    from django.core.cache import cache

    from changji.core.models import AuditEntry

    cache.clear()
    url = reverse("services:track")
    wrong = f"{(int(submitted.query_code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert client.post(url, {"receipt": submitted.receipt_number, "code": wrong}).status_code == 404
    locked = client.post(url, {"receipt": submitted.receipt_number, "code": submitted.query_code})
    assert locked.status_code == 429 and "查询失败次数过多" in locked.content.decode()
    assert AuditEntry.objects.filter(action="services.track.locked").count() == 1
    cache.clear()
    assert client.post(url, {"receipt": submitted.receipt_number, "code": submitted.query_code}).status_code == 302
