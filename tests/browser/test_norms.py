"""A county operator edits their county's 用水定额 row in chromium and sees the new value in the table."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def test_county_operator_edits_a_norm(page, sign_in, make_user, shot):
    from changji.core.models import AuditEntry, Role
    from changji.water.models import QuotaNorm

    make_user("norm-op", "652323", Role.COUNTY_OPERATOR)
    mine = QuotaNorm.objects.create(year=2026, kind="crop", category="小麦", method="drip", value=290,
                                    unit="m³/亩", region_id="652323")
    QuotaNorm.objects.create(year=2026, kind="crop", category="小麦", method="drip", value=300, unit="m³/亩")
    sign_in(page, "norm-op", "/water/norms/?year=2026")
    rows = page.inner_text("#norm-table")
    assert "全州通用" in rows and "呼图壁县" in rows
    page.click(f"tr[data-norm='{mine.pk}'] a")
    page.wait_for_selector("#norm-form")
    page.fill("#norm-form input[name=value]", "285")
    page.fill("#norm-form input[name=note]", "县级修订")
    page.click("#norm-form button[type=submit]")
    page.wait_for_url("**/water/norms/?year=2026")
    assert page.inner_text(f"tr[data-norm='{mine.pk}'] .norm-value") == "285"
    assert "已保存定额" in page.inner_text("ul.messages")
    shot(page, "norms")
    assert QuotaNorm.objects.get(pk=mine.pk).note == "县级修订"
    assert AuditEntry.objects.filter(action="water.norm.update").count() == 1
