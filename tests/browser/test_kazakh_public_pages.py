"""A resident uses the public pages in Kazakh (Arabic script, right to left) in chromium, and back in Chinese.

The resident opens the report page, switches to قازاقشا: the page is ``dir=rtl`` and ``lang=kk-Arab``, the heading
is Kazakh, the vendored Noto Naskh Arabic is loaded for it, and labels sit to the right of their fields. They file
an issue, follow it on the status page in Kazakh, switch back to 中文; a staff page with the Kazakh cookie stays
Chinese.
"""

from __future__ import annotations

import pytest

from tests.browser.polling import wait_for_expression

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

HEADING_KK = "ماسەلە حابارلاۋ (ٴوتىنىشتى تەز شەشۋ)"
FONT = '16px "Noto Naskh Arabic"'


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


def _label_right_of_field(page, label: str, field: str) -> None:
    """In right-to-left text the label comes first, so it lies to the right of its field."""
    label_box, field_box = _box(page, label), _box(page, field)
    assert label_box["x"] >= field_box["x"] + field_box["width"] - 1, (label_box, field_box)


def test_resident_reports_and_follows_an_issue_in_kazakh(page, sign_in, community_world, tmp_path):
    from changji.community.issues import categories
    from changji.community.models import IssueCategory, ResidentIssue

    categories.seed_categories()
    page.goto("/community/report/")
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.inner_text("h1") == "反映问题（接诉即办）"

    with page.expect_navigation():
        page.click("#language-switch button[value=kk]")
    assert page.url.endswith("/community/report/")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "kk-Arab"
    assert page.inner_text("h1") == HEADING_KK
    assert page.evaluate("([font, text]) => document.fonts.ready.then(() => document.fonts.check(font, text))",
                         [FONT, HEADING_KK])
    wait_for_expression(page, "document.fonts.status === 'loaded'")
    loaded = page.evaluate("[...document.fonts].filter(f => f.family.replace(/\"/g, '') === 'Noto Naskh Arabic'"
                           " && f.status === 'loaded').length")
    assert loaded >= 1, "the Kazakh font was not loaded for the heading"
    assert "Noto Naskh Arabic" in page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    _label_right_of_field(page, "label[for=id_description]", "#id_description")
    _label_right_of_field(page, "label[for=id_category]", "#id_category")

    page.wait_for_selector("#issue-map[data-ready='1']")
    sanitation = IssueCategory.objects.get(code="sanitation")
    page.select_option("select[name=category]", label=sanitation.name_kk)
    page.fill("textarea[name=description]", "楼道堆满杂物，无法通行")
    page.click("#issue-map")
    page.wait_for_selector("#issue-map[data-picked='1']")
    page.fill("input[name=reporter_phone]", "13912345678")
    page.screenshot(path=str(tmp_path / "kazakh-report.png"), full_page=True)
    page.click("#public-report-form button[type=submit]")
    page.wait_for_selector("#request-id")
    issue = ResidentIssue.objects.get()
    assert page.inner_text("#request-id") == issue.request_id
    assert page.get_attribute("html", "dir") == "rtl"

    page.click("#reported a[href*='status']")
    page.wait_for_selector("#issue-status")
    assert page.inner_text("#status-state") == "جاۋاپ كۇتۋدە"
    assert page.inner_text("#status-level") == "تور"
    assert sanitation.name_kk in page.inner_text("#issue-status")
    _label_right_of_field(page, "label[for=status-id]", "#status-id")
    page.screenshot(path=str(tmp_path / "kazakh-status.png"), full_page=True)
    assert (tmp_path / "kazakh-status.png").stat().st_size > 0

    with page.expect_navigation():
        page.click("#language-switch button[value=zh-hans]")
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.inner_text("h1") == "诉求办理进度"
    assert page.inner_text("#status-state") == "待响应"

    # A staff page read with the Kazakh cookie stays Chinese.
    sign_in(page, "grid-a", "/community/issues/")
    page.context.add_cookies([{"name": "LANGUAGE_CODE", "value": "kk", "url": page.url}])
    page.goto("/community/issues/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.get_attribute("html", "dir") is None
    assert "接诉即办" in page.inner_text("body")
