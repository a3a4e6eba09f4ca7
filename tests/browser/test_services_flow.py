"""一件事一次办 in real browsers: the restaurant bundle (YJS-CY) from online application to rating.

The case goes through correction, acceptance, a 告知承诺 commitment (the department then records the licence
number it issued), parallel approval by two departments, issue, certificate, the e-licence lookup and a rating
per case and per department.

The applicant, the window clerk and the two reviewers each use their own browser context (own cookies).
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

USCC = "91350100M000100Y43"


@pytest.fixture
def restaurant(settings, tmp_path):
    from changji.services.demo_catalogue import seed_demo_catalogue
    from changji.services.models import Bundle

    settings.MEDIA_ROOT = tmp_path / "media"
    seed_demo_catalogue()
    return Bundle.objects.get(code="YJS-CY")


def _track(page, receipt: str, code: str) -> None:
    page.goto("/services/track/")
    page.fill("#lookup-form input[name=receipt]", receipt)
    page.fill("#lookup-form input[name=code]", code)
    page.click("#lookup-form button[type=submit]")
    page.wait_for_selector("#progress")


def test_restaurant_bundle_from_application_to_rating(contexts, login, restaurant, shot, tmp_path):
    from changji.core.models import Role
    from changji.services.models import Case, Department, SubCase
    from changji.services.web.common import case_fingerprint

    applicant, clerk_page, scjg_page, cgj_page = contexts(), contexts(), contexts(), contexts()

    # The applicant finds the bundle in the catalogue and applies online, without the layout plan.
    applicant.goto("/services/")
    assert "演示数据" in applicant.inner_text("#bundle-YJS-CY")
    shot(applicant, "services-catalogue")
    applicant.click("#bundle-YJS-CY >> text=网上申请")
    applicant.select_option("select[name=applicant_kind]", "enterprise")
    applicant.fill("input[name=applicant_name]", "阜康市老王餐饮有限公司")
    applicant.fill("input[name=applicant_identifier]", USCC)
    applicant.fill("input[name=applicant_phone]", "13800000000")
    applicant.check("input[name=outdoor_sign]")
    for name, value in (("business_name", "老王面馆"), ("address", "阜康市天池街 1 号"), ("legal_person", "王某"),
                        ("registered_capital", "10"), ("sign_size", "3×1")):
        applicant.fill(f"input[name={name}]", value)
    applicant.select_option("select[name=food_category]", "热食类")
    for code in ("id", "lease", "articles", "food_safety", "sign_design"):
        applicant.set_input_files(f"input[name=material_{code}]", files=[
            {"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": f"%PDF-1.4 {code}".encode()}])
    shot(applicant, "services-apply")
    applicant.click("#apply-form button[type=submit]")
    receipt = applicant.inner_text("#receipt-number").strip()
    code = applicant.inner_text("#query-code").strip()
    assert re.fullmatch(r"652302\d{13}", receipt) and re.fullmatch(r"\d{6}", code)
    shot(applicant, "services-applied")
    case = Case.objects.get(receipt_number=receipt)

    # The window clerk tells everything missing at once.
    login(clerk_page, "fk-clerk", "652302", Role.WINDOW_CLERK, next_url="/services/window/")
    clerk_page.click(f"text={receipt}")
    assert "经营场所平面布局图" in clerk_page.inner_text("#missing")
    assert "材料：经营场所平面布局图" in clerk_page.input_value("textarea[name=correction-missing]")
    clerk_page.click("#form-correction button[type=submit]")
    clerk_page.wait_for_selector("#case-state:has-text('待补正')")
    shot(clerk_page, "services-window-correction")

    # The applicant uploads the layout plan from the progress page.
    _track(applicant, receipt, code)
    applicant.set_input_files("input[name=fix-material_layout]", files=[
        {"name": "layout.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 layout"}])
    applicant.click("#correction-form button[type=submit]")
    applicant.wait_for_selector("#case-state:has-text('待预审')")

    # The clerk accepts: three sub-cases go to two departments at once.
    clerk_page.reload()
    clerk_page.click("#form-accept button[type=submit]")
    clerk_page.wait_for_selector("#case-state:has-text('审批中')")
    assert SubCase.objects.filter(case=case).count() == 3

    # The applicant signs the commitment for the food licence (承诺即准入).
    _track(applicant, receipt, code)
    applicant.click(".commitment-form[data-item='SCJG-002'] button[type=submit]")
    applicant.wait_for_selector("text=承诺即准入")
    assert SubCase.objects.get(case=case, item__code="SCJG-002").state == "committed"

    # Each department reviewer claims and approves their item in their own inbox.
    for page, dept, item, licence in ((scjg_page, "SCJG", "营业执照", "91350100M000100Y43"),
                                      (cgj_page, "CGJ", "户外招牌设置许可", "CGJ-2026-001")):
        user = login(page, f"fk-{dept.lower()}", "652302", Role.DEPARTMENT_REVIEWER, next_url="/services/inbox/")
        Department.objects.get(code=f"652302-{dept}").reviewers.add(user)
        page.reload()
        page.click(f"#inbox-table tr:has-text('{item}') a")
        page.click("#form-claim button[type=submit]")
        page.wait_for_selector("#sub-state:has-text('办理中')")
        page.fill("textarea[name=approve-opinion]", "符合条件，准予许可")
        page.fill("input[name=approve-licence_number]", licence)
        page.fill("input[name=approve-valid_until]", "2031-12-31")
        page.click("#form-approve button[type=submit]")
        page.wait_for_selector("#sub-state:has-text('准予许可')")
        shot(page, f"services-inbox-{dept.lower()}")

    # 承诺即准入: the market regulator records the food licence it issued; only then are the results ready.
    clerk_page.reload()
    assert "审批中" in clerk_page.inner_text("#case-state")
    scjg_page.goto("/services/inbox/")
    scjg_page.click("#inbox-table tr:has-text('食品经营许可') a")
    assert "待本部门登记" in scjg_page.inner_text("#licence-pending")
    scjg_page.fill("input[name=licence-number]", "JY16523020001234")
    scjg_page.fill("input[name=licence-valid_until]", "2031-12-31")
    scjg_page.click("#form-licence button[type=submit]")
    scjg_page.wait_for_selector("#licence-number:has-text('JY16523020001234')")
    shot(scjg_page, "services-inbox-licence-recorded")

    # The window issues all results together and prints the certificate.
    clerk_page.reload()
    clerk_page.wait_for_selector("#case-state:has-text('待出件')")
    clerk_page.fill("input[name=issue-handed_to]", "王某")
    clerk_page.click("#form-issue button[type=submit]")
    clerk_page.wait_for_selector("#case-state:has-text('已出件')")
    with clerk_page.expect_download() as download:
        clerk_page.click("#certificate-link")
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    shot(clerk_page, "services-window-issued")

    # Anyone can verify the certificate's fingerprint.
    case.refresh_from_db()
    applicant.goto(f"/services/verify/?receipt={receipt}&digest={case_fingerprint(case)}")
    assert "凭证有效" in applicant.inner_text("#verify-result")
    assert "JY16523020001234" in applicant.inner_text("#verify-result")  # the department's number, none made up
    shot(applicant, "services-verify")
    applicant.fill("#licence-form input[name=number]", "JY16523020001234")
    applicant.click("#licence-form button[type=submit]")
    licence = applicant.inner_text("#licence-result")
    assert "食品经营许可" in licence and "市场监督管理局" in licence and "有效" in licence
    assert "阜康市老王餐饮有限公司" not in licence and "阜康*****有限公司" in licence
    shot(applicant, "services-verify-licence")

    # The applicant rates the service.
    _track(applicant, receipt, code)
    applicant.select_option("select[name=rating]", "5")
    applicant.check("input[name=reasons][value=one_visit]")
    applicant.fill("textarea[name=comment]", "一次办好")
    scjg, cgj = (Department.objects.get(code=f"652302-{code}") for code in ("SCJG", "CGJ"))
    applicant.select_option(f"select[name=department_{scjg.pk}]", "5")
    applicant.select_option(f"select[name=department_{cgj.pk}]", "2")
    applicant.click("#rating-form button[type=submit]")  # a 差评 without a reason is refused on its field
    applicant.wait_for_selector(f"[data-error-for=department_{cgj.pk}_reasons]")
    applicant.check(f"input[name=department_{cgj.pk}_reasons][value=long_wait]")
    applicant.click("#rating-form button[type=submit]")
    applicant.wait_for_selector("#case-state:has-text('已评价')")
    shot(applicant, "services-rated")
    case.refresh_from_db()
    assert (case.state, case.rating, case.outcome, case.rating_reasons) == ("rated", 5, "granted", ["one_visit"])
    assert dict(case.department_ratings.values_list("department__code", "score")) == {
        "652302-SCJG": 5, "652302-CGJ": 2}
