"""An operator reviews the wells' pictures in chromium: the real JPEG renders, flagging one puts it first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.polling import wait_for_expression

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def pictures(terminal, settings, tmp_path):
    """The morning pictures of two wells of 呼图壁县 (the simulator's real JPEGs)."""
    import hashlib

    from django.utils import timezone

    from changji.water.models import Snapshot, Terminal, Well
    from changji.water.sim.simulator import camera_picture

    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "snapshots").mkdir()
    other_well = Well.objects.create(code="652323-00002", name="呼图壁县2号机井", region_id="652323", latitude=44.3,
                                     longitude=86.9)
    other = Terminal.objects.create(protocol="szy206", address="6523230002", well=other_well, region_id="652323")
    now = timezone.now()
    made = []
    for index, owner in enumerate((terminal, other)):
        jpeg = camera_picture(owner.well.code)
        name = f"snapshots/{owner.pk}.jpg"
        (tmp_path / name).write_bytes(jpeg)
        made.append(Snapshot.objects.create(
            terminal=owner, observed_at=now - timedelta(minutes=index), received_at=now, image=name,
            size_bytes=len(jpeg), sha256=hashlib.sha256(jpeg).hexdigest(), trigger="scheduled"))
    return made


def test_an_operator_flags_a_picture_and_it_comes_first(page, login, pictures, shot):
    newest, older = pictures
    login(page, "county-op", "652323", "county_operator", next_url="/water/pictures/")
    cards = page.locator("#picture-grid figure")
    assert cards.count() == 2 and cards.nth(0).get_attribute("data-picture") == str(newest.pk)
    wait_for_expression(page, "[...document.querySelectorAll('#picture-grid img')].every(i => i.complete)")
    widths = page.eval_on_selector_all("#picture-grid img", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [320, 320]  # the JPEG decoded in the browser
    card = page.locator(f"figure[data-picture='{older.pk}']")
    card.locator("input[name=flag-reason]").fill("表计遮挡")
    card.locator("button:has-text('标记异常')").click()
    page.wait_for_selector("text=图片已标记异常")
    assert cards.nth(0).get_attribute("data-picture") == str(older.pk)
    assert "异常：表计遮挡" in cards.nth(0).inner_text()
    shot(page, "picture-review")
