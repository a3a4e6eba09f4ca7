"""Points: the rule table, an idempotent ledger, live rankings with shared ranks, rankings frozen at closing."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from changji.community.actors import InputError

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def holders(community_world):
    from types import SimpleNamespace

    from changji.community.people import register_member, register_unit

    east = community_world.users.east
    return SimpleNamespace(
        wang=register_member(community_world.east, "王五", "652328198506120037", "", "县教育局", "in_service",
                             date(2026, 1, 5), actor=east),
        sun=register_member(community_world.east, "孙七", "11010119900307889X", "", "县医院", "in_service",
                            date(2026, 1, 5), actor=east),
        li=register_member(community_world.east, "李九", "652328197801010020", "", "", "community",
                           date(2026, 1, 5), actor=east),
        power=register_unit(community_world.east, "县供电公司", "", "", date(2026, 1, 6), actor=east),
        west_unit=register_unit(community_world.west, "西城物业", "", "", date(2026, 1, 6), actor=None),
    )


def test_seeding_the_rules_is_idempotent_and_keeps_edits(db):
    from changji.community.models import PointRule
    from changji.community.points import DEFAULT_RULES, seed_rules

    assert seed_rules() == len(DEFAULT_RULES)
    PointRule.objects.filter(code="wish_confirmed").update(points=15)
    assert seed_rules() == 0
    assert PointRule.objects.get(code="wish_confirmed").points == 15


def test_a_deed_is_credited_once(holders):
    from changji.community.models import PointEntry, PointRule
    from changji.community.points import award

    first = award("wish_confirmed", holders.wang, "wish:1", date(2026, 2, 1))
    again = award("wish_confirmed", holders.wang, "wish:1", date(2026, 2, 9), note="重复")
    assert again.pk == first.pk
    assert PointEntry.objects.count() == 1
    assert award("activity_hours", holders.power, "activity:3", date(2026, 2, 1), quantity=3).points == 3
    assert award("activity_hours", holders.power, "activity:4", date(2026, 2, 1), quantity=0) is None
    PointRule.objects.filter(code="post_claimed").update(active=False)
    assert award("post_claimed", holders.wang, "post:1", date(2026, 2, 1)) is None
    with pytest.raises(InputError):
        award("no_such_rule", holders.wang, "x:1", date(2026, 2, 1))


def test_live_ranking_shares_ranks_on_ties_and_keeps_to_the_region_and_span(community_world, holders):
    from changji.community.points import award, ranking

    award("wish_confirmed", holders.wang, "wish:1", date(2026, 2, 1))  # 10
    award("wish_confirmed", holders.sun, "wish:2", date(2026, 2, 2))  # 10
    award("post_claimed", holders.li, "post:1", date(2026, 2, 3))  # 2
    award("wish_confirmed", holders.li, "wish:9", date(2026, 4, 3))  # outside the span
    award("agreement_signed", holders.west_unit, "agreement:1", date(2026, 2, 1))  # another community
    award("agreement_signed", holders.power, "agreement:2", date(2026, 2, 1))
    rows = ranking(community_world.east, date(2026, 1, 1), date(2026, 3, 31), "member")
    assert [(r.rank, r.holder_name, r.points) for r in rows] == [(1, "孙七", 10), (1, "王五", 10), (3, "李九", 2)]
    units = ranking(community_world.town, date(2026, 1, 1), date(2026, 3, 31), "unit")
    assert [(r.rank, r.holder_name) for r in units] == [(1, "县供电公司"), (1, "西城物业")]
    with pytest.raises(InputError):
        ranking(community_world.east, date(2026, 1, 1), date(2026, 3, 31), "team")


def test_a_closed_period_keeps_its_frozen_ranking(community_world, holders):
    """Entries dated inside a period but added after it closed change the live ranking, not the frozen one."""
    from changji.community.models import PeriodRanking
    from changji.community.points import award, close_period, create_period, period_ranking, ranking

    east = community_world.users.east
    period = create_period(community_world.east, "2026年第一季度", date(2026, 1, 1), date(2026, 3, 31), actor=east)
    award("wish_confirmed", holders.wang, "wish:1", date(2026, 2, 1))
    award("post_claimed", holders.sun, "post:1", date(2026, 2, 1))
    award("agreement_signed", holders.power, "agreement:1", date(2026, 2, 1))
    live = period_ranking(period)
    assert [(r.holder_kind, r.holder_name, r.rank) for r in live] == [
        ("member", "王五", 1), ("member", "孙七", 2), ("unit", "县供电公司", 1)]

    closed = close_period(period, NOW, actor=east)
    period.refresh_from_db()
    assert period.closed_at == NOW
    assert PeriodRanking.objects.filter(period=period).count() == 3 == len(closed)

    award("wish_confirmed", holders.sun, "wish:2", date(2026, 3, 30))  # late, dated inside the period
    award("wish_confirmed", holders.sun, "wish:3", date(2026, 3, 31))
    frozen = period_ranking(period, "member")
    assert [(r.rank, r.holder_name, r.points) for r in frozen] == [(1, "王五", 10), (2, "孙七", 2)]
    assert [(r.rank, r.holder_name, r.points) for r in ranking(community_world.east, period.starts_on,
                                                                 period.ends_on, "member")] == [
        (1, "孙七", 22), (2, "王五", 10)]
    with pytest.raises(InputError, match="已于"):
        close_period(period, NOW, actor=east)
    assert PeriodRanking.objects.filter(period=period).count() == 3


def test_periods_are_opened_and_closed_by_the_community_only(community_world):
    from changji.community.points import close_period, create_period

    with pytest.raises(InputError) as error:
        create_period(community_world.east, "倒置", date(2026, 3, 1), date(2026, 2, 1), actor=None)
    assert error.value.field == "ends_on"
    with pytest.raises(PermissionDenied):
        create_period(community_world.east, "一季度", date(2026, 1, 1), date(2026, 3, 31),
                      actor=community_world.users.grid_a)
    period = create_period(community_world.east, "一季度", date(2026, 1, 1), date(2026, 3, 31), actor=None)
    with pytest.raises(PermissionDenied):
        close_period(period, NOW, actor=community_world.users.grid_c)
    period.refresh_from_db()
    assert period.closed_at is None
