"""The community app's recurring jobs, run by ``changji jobs``: expired wish claims unlock, issue lights are counted."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from changji.core.jobs import Runner

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HOUR = timedelta(hours=1)
COMMUNITY = ["community.wishes.unlock", "community.issues.deadlines"]


def test_an_expired_claim_is_unlocked_by_the_minutely_job(community_world, settings):
    from changji.community.people import register_member
    from changji.community.wishes import service as wishes

    settings.COMMUNITY_WISH_CLAIM_HOURS = 72
    w, east = community_world, community_world.users.east
    member = register_member(w.east, "王五", "110101199003070011", "13800000001", "县教育局", "in_service",
                             date(2026, 1, 5), actor=east)
    wish = wishes.post_wish(w.zhang, "想要一台助行器", "腿脚不便", actor=w.users.grid_a, now=T0)
    wishes.review(wish, True, actor=east, now=T0)
    wishes.claim(wish, member=member, actor=east, now=T0)
    runner = Runner(names=COMMUNITY)
    early = {o.job: o.result for o in runner.run_due(T0 + 71 * HOUR)}
    assert early == {"community.wishes.unlock": {"claims_unlocked": 0},
                     "community.issues.deadlines": {"yellow": 0, "red": 0}}
    late = {o.job: o.result for o in runner.run_due(T0 + 72 * HOUR)}
    assert late == {"community.wishes.unlock": {"claims_unlocked": 1},
                    "community.issues.deadlines": {"yellow": 0, "red": 0}}  # a new hour, too
    wish.refresh_from_db()
    assert wish.state == "published"
    assert runner.run_due(T0 + 72 * HOUR + timedelta(seconds=30)) == []  # that minute and hour are done
