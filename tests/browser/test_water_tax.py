"""The water-resource tax statement in a real browser: from the menu to a user's statement, printed to PDF."""

from __future__ import annotations

import subprocess

import pytest

from tests.water.tax.conftest import tax_world  # noqa: F401  (the small tax world of tests/water/tax)

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def test_statement_from_the_menu_and_the_printed_user_statement(page, login, tax_world, tmp_path, shot):  # noqa: F811
    login(page, "tax-op", "652323", "county_operator", next_url="/water/")
    page.click("nav >> text=水资源税")
    page.select_option("select[name=period]", "quarter")
    page.fill("input[name=at]", "2026-05-15")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#tax-users")
    assert "1630.78" in page.inner_text("#tax-totals")
    page.click("#tax-users >> text=652323-U1")
    page.wait_for_selector("#tax-wells")
    shot(page, "water-tax-statement")
    page.emulate_media(media="print")
    assert not page.is_visible("header.shell-header") and not page.is_visible("p.no-print")
    pdf = tmp_path / "statement.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "水资源税计征明细" in text and "东滩合作社" in text and "应纳水资源税合计：1630.78 元" in text
    assert "652323-A" in text and "5100.0 6100.0" in text  # well A's 起止表码
    assert "一屏看水" not in text  # the platform's menu is not printed
