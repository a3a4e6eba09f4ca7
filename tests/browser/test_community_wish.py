"""Browser test of a micro-wish (微心愿) from posting to the resident's confirmation.

A grid worker posts it for 张三, the community publishes it, claims it for a member, records the fulfilment and
the resident's confirmation; the page ends at 已确认.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
                    "c0f01f0005000201e2b1f7a40000000049454e44ae426082")


def test_a_wish_from_posting_to_confirmation(sign_in, page, community_world, shot):
    from changji.community.models import MicroWish, PointEntry
    from changji.community.people import register_member

    member = register_member(community_world.east, "王五", "652328198506120037", "13800000001", "县教育局",
                             "in_service", date(2026, 1, 5), actor=None)

    sign_in(page, "grid-a", "/community/wishes/new/")
    page.select_option("#wish-form select[name=resident]", label="张三（1号楼 1-101）")
    page.fill("#wish-form input[name=title]", "想要一台助行器")
    page.fill("#wish-form textarea[name=description]", "腿脚不便，出门困难")
    page.click("#wish-form button[type=submit]")
    page.wait_for_url(re.compile(r"/community/wishes/\d+/$"))
    expect(page.locator("#wish-state")).to_have_text("待审核")
    expect(page.locator("#form-publish")).to_have_count(0)
    wish_url = page.url

    sign_in(page, "east-worker", "/community/wishes/")
    expect(page.locator("#wish-table")).to_contain_text("张*")
    page.goto(wish_url)
    page.click("#form-publish button[type=submit]")
    expect(page.locator("#wish-state")).to_have_text("待认领")

    page.select_option("#form-claim select[name=claim-claimant]", value=f"member:{member.pk}")
    page.click("#form-claim button[type=submit]")
    expect(page.locator("#wish-state")).to_have_text("已认领")
    expect(page.locator("#wish-claimant")).to_have_text("王五")
    expect(page.locator("#wish-light")).to_have_text("正常")

    page.fill("#form-fulfil textarea[name=fulfil-evidence]", "已送去助行器一台，并教会使用")
    page.set_input_files("#form-fulfil input[name=fulfil-photo]",
                         files=[{"name": "walker.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("#form-fulfil button[type=submit]")
    expect(page.locator("#wish-state")).to_have_text("待确认")
    expect(page.locator("img[alt=实现照片]")).to_be_visible()

    page.fill("#form-confirm input[name=confirm-note]", "张三电话确认满意")
    page.click("#form-confirm button[type=submit]")
    expect(page.locator("#wish-state")).to_have_text("已确认")
    expect(page.locator("#wish-history li")).to_have_count(5)
    shot(page, "community-wish-confirmed")

    wish = MicroWish.objects.get()
    assert wish.state == "confirmed" and wish.claimed_by_member == member
    assert PointEntry.objects.get(rule__code="wish_confirmed").member == member
