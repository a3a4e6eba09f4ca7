"""The seed's story in chromium: 马文杰 walks into the centre and leaves with his 维修备案 in one visit.

The window clerk files 开办机动车维修店一件事 (YJS-WX) at the 综合窗口 with him: identity checked, the
materials scanned or their originals seen, accepted at once; the site inspection of the 备案 item is recorded,
both 即办 items are decided at the window, the results are issued in the same visit, and the receipt and
the certificate are printed (real PDF files). The elapsed business time is written to test-artifacts/.
"""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def repair_shop(settings, tmp_path):
    """The demo catalogue's own YJS-WX (the 89 bundles as ``changji demo`` loads them), not one made for the test."""
    from changji.services.demo_catalogue import seed_demo_catalogue
    from tests.services.repair_shop import repair_bundle

    settings.MEDIA_ROOT = tmp_path / "media"
    seed_demo_catalogue()
    bundle = repair_bundle()
    assert bundle.demo and bundle.status == "published"
    return bundle


def _fill_answers(page, answers) -> None:
    for name, value in answers.items():
        field = page.locator(f"#intake-form [name={name}]")
        tag = field.evaluate("el => el.tagName + ':' + (el.type || '')")
        if tag.startswith("SELECT"):
            field.select_option(str(value))
        elif tag.endswith(":checkbox"):
            field.check() if value else field.uncheck()
        else:
            field.fill(str(value))


def _download(page, selector, target):
    with page.expect_download() as download:
        page.click(selector)
    download.value.save_as(target)
    return target.read_bytes()


def test_a_walk_in_repair_shop_is_filed_inspected_decided_and_issued_in_one_visit(contexts, login, repair_shop, shot,
                                                                                 tmp_path):
    from changji.core.models import Role
    from changji.services.models import Case, ServiceWindow, SubCase
    from tests.services.repair_shop import MA_WENJIE, delegate, walk_in_answers, walk_in_materials
    from tests.services.test_certificate import content_text

    clerk_page = contexts()
    clerk = login(clerk_page, "fk-window-3", "652302", Role.WINDOW_CLERK, next_url="/services/window/intake/")
    window = ServiceWindow.objects.create(region_id="652302", number=3, name="综合受理", service_types=["transport"])
    window.clerks.add(clerk)
    delegate(clerk, repair_shop)

    # The clerk finds the bundle by name and opens the one form.
    clerk_page.fill("#intake-search input[name=q]", "维修")
    clerk_page.click("#intake-search button[type=submit]")
    shot(clerk_page, "window-intake-search")
    clerk_page.click(f"#intake-bundles tr[data-bundle='{repair_shop.code}'] >> text=受理")
    clerk_page.wait_for_selector("#intake-form")
    answers = walk_in_answers(repair_shop)
    materials = walk_in_materials(repair_shop, answers)
    lease = clerk_page.locator("#intake-form input[name=material_wx_lease]")
    if lease.count():  # this file's bundle: the lease is asked only for rented premises (conditions.js)
        assert lease.is_hidden()
        clerk_page.select_option("#intake-form select[name=premises]", "租赁")
        assert lease.is_visible()

    # 马文杰's identity card is checked, the form filled with him; materials scanned or originals seen.
    clerk_page.select_option("select[name=applicant_kind]", "person")
    clerk_page.fill("input[name=applicant_name]", MA_WENJIE[0])
    clerk_page.fill("input[name=applicant_identifier]", MA_WENJIE[1])
    clerk_page.fill("input[name=applicant_phone]", MA_WENJIE[2])
    _fill_answers(clerk_page, answers)
    for n, m in enumerate(materials):
        if n % 2:
            clerk_page.check(f"input[name=seen_{m.code}]")
        else:
            clerk_page.set_input_files(f"input[name=material_{m.code}]", files=[
                {"name": f"{m.code}.pdf", "mimeType": "application/pdf", "buffer": f"%PDF-1.4 {m.code}".encode()}])
    clerk_page.select_option("select[name=delivery_method]", "window")
    assert clerk_page.is_checked("input[name=accept_now]")
    shot(clerk_page, "window-intake-form")
    clerk_page.click("#intake-form button[type=submit]")
    clerk_page.wait_for_selector("#case-state:has-text('审批中')")
    case = Case.objects.get(applicant_identifier=MA_WENJIE[1])
    assert (case.channel, case.window_id, case.visits) == ("window", window.pk, 1)
    assert "原件已核验" in clerk_page.inner_text("#materials")

    # The receipt (受理回执) is printed for him.
    receipt = _download(clerk_page, "#receipt-link", tmp_path / "receipt.pdf")
    assert receipt.startswith(b"%PDF-") and case.receipt_number in content_text(receipt)
    assert case.query_code in content_text(receipt)

    # The site inspection of the 备案 item is recorded, then both items are decided at the window.
    for sub in SubCase.objects.filter(case=case, item__inspection_required=True):
        form = f"#form-inspect-{sub.pk}"
        clerk_page.fill(f"{form} input[name=insp{sub.pk}-inspectors]", "交通运输局 李强、王芳")
        clerk_page.fill(f"{form} input[name=insp{sub.pk}-inspected_at]",  # the hall's clock: Asia/Shanghai
                        f"{timezone.localtime():%Y-%m-%dT%H:%M}")
        clerk_page.select_option(f"{form} select[name=insp{sub.pk}-result]", "passed")
        clerk_page.fill(f"{form} textarea[name=insp{sub.pk}-findings]", "场地、设备、技术人员与备案材料一致")
        clerk_page.click(f"{form} button[type=submit]")
        clerk_page.wait_for_selector(f"#inspection-{sub.pk} .inspection-result:has-text('符合条件')")
    shot(clerk_page, "window-inspection-recorded")
    for n, sub in enumerate(SubCase.objects.filter(case=case).order_by("pk")):
        form = f"#form-instant-approve-{sub.pk}"
        clerk_page.fill(f"{form} input[name=ia{sub.pk}-licence_number]", f"FK-WX-2026-{n + 1:04d}")
        clerk_page.fill(f"{form} input[name=ia{sub.pk}-valid_until]", "2031-12-31")
        clerk_page.click(f"{form} button[type=submit]")
        clerk_page.wait_for_selector(f"#sub-cases tr[data-item='{sub.item.code}'] .sub-state:has-text('准予许可')")
    clerk_page.wait_for_selector("#case-state:has-text('待出件')")
    assert all(s.decided_at_window for s in SubCase.objects.filter(case=case))

    # The results are handed to him in the same visit, and the certificate printed.
    clerk_page.fill("input[name=issue-handed_to]", MA_WENJIE[0])
    clerk_page.click("#form-issue button[type=submit]")
    clerk_page.wait_for_selector("#case-state:has-text('已出件')")
    assert clerk_page.inner_text("#case-visits").strip() == "1"
    shot(clerk_page, "window-walk-in-issued")
    certificate = _download(clerk_page, "#certificate-link", tmp_path / "certificate.pdf")
    assert certificate.startswith(b"%PDF-") and case.receipt_number in content_text(certificate)
    assert re.search(r"FK-WX-2026-0001", content_text(certificate))

    case.refresh_from_db()
    assert (case.state, case.outcome, case.visits) == ("issued", "granted", 1)
    elapsed = (case.issued_at - case.submitted_at).total_seconds()
    assert 0 < elapsed < 30 * 60  # the seed's half hour
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "window-walk-in.json").write_text(json.dumps({
        "bundle": repair_shop.code, "receipt_number": case.receipt_number, "visits": case.visits,
        "elapsed_seconds": round(elapsed, 1)}, ensure_ascii=False))
