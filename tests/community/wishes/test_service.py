"""Micro-wishes (微心愿): the whole walk with a claim that times out, every edge of WISH_MOVES, exclusive claims."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from changji.community.actors import InputError
from changji.community.wishes.workflow import WISH_MOVES, WishState
from changji.core.transitions import TransitionError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HOUR = timedelta(hours=1)


@pytest.fixture
def helpers(community_world):
    """A member and a unit registered with 东城社区 by its community worker."""
    from types import SimpleNamespace

    from changji.community.people import register_member, register_unit

    east = community_world.users.east
    member = register_member(community_world.east, "王五", "110101199003070011", "13800000001", "县教育局",
                             "in_service", date(2026, 1, 5), actor=east)
    unit = register_unit(community_world.east, "县供电公司", "赵六", "13800000002", date(2026, 1, 6), actor=east)
    return SimpleNamespace(member=member, unit=unit, east=east, grid_a=community_world.users.grid_a)


def events(wish):
    return [(e.from_state, e.to_state) for e in wish.events.order_by("at", "pk")]


def test_wish_from_post_to_confirmation_with_a_claim_that_times_out(community_world, helpers, settings):
    """A wish through two claimants to confirmation; the final claimant gets the points once.

    Post → publish → member claims → 72 h pass → unlocked → unit claims → fulfilled → resident not satisfied →
    claimed again → fulfilled → confirmed; the unit (final claimant) gets the points; counts see one confirmed.
    """
    from changji.community.models import MicroWish, PointEntry
    from changji.community.points import ranking
    from changji.community.wishes import service as wishes
    from changji.core.models import AuditEntry

    settings.COMMUNITY_WISH_CLAIM_HOURS = 72
    w, east = community_world, helpers.east
    wish = wishes.post_wish(w.zhang, "想要一台助行器", "腿脚不便，出门困难", actor=helpers.grid_a, now=T0)
    assert (wish.state, wish.region, wish.posted_by) == (WishState.POSTED, w.grid_a.region, helpers.grid_a)
    wishes.review(wish, True, actor=east, now=T0 + HOUR)
    assert wish.published_at == T0 + HOUR

    wishes.claim(wish, member=helpers.member, actor=east, now=T0 + 2 * HOUR)
    assert wish.claim_expires_at == T0 + 74 * HOUR
    assert wishes.unlock_expired_claims(T0 + 73 * HOUR) == 0  # still within the time limit
    with pytest.raises(TransitionError):
        wishes.claim(wish, unit=helpers.unit, actor=east, now=T0 + 3 * HOUR)  # exclusive while held

    assert wishes.unlock_expired_claims(T0 + 74 * HOUR) == 1
    wish.refresh_from_db()
    assert (wish.state, wish.claimed_by_member, wish.claim_expires_at) == (WishState.PUBLISHED, None, None)
    assert "认领超时" in wish.events.last().note
    assert AuditEntry.objects.filter(action="community.wish.unlocked", actor_name="system").count() == 1

    wishes.claim(wish, unit=helpers.unit, actor=east, now=T0 + 75 * HOUR)
    wishes.fulfil(wish, "已送去助行器一台", actor=east, now=T0 + 80 * HOUR)
    assert wish.state == WishState.FULFILLED
    wishes.confirm(wish, False, note="助行器高度不合适", actor=helpers.grid_a, now=T0 + 81 * HOUR)
    wish.refresh_from_db()
    assert (wish.state, wish.claimed_by_unit, wish.fulfilled_at) == (WishState.CLAIMED, helpers.unit, None)
    assert wish.claim_expires_at == T0 + (81 + 72) * HOUR  # a fresh time limit
    wishes.fulfil(wish, "已更换为可调节高度的助行器", actor=east, now=T0 + 90 * HOUR)
    wishes.confirm(wish, True, actor=helpers.grid_a, now=T0 + 91 * HOUR)
    wish.refresh_from_db()
    assert (wish.state, wish.confirmed_at) == (WishState.CONFIRMED, T0 + 91 * HOUR)
    with pytest.raises(TransitionError):
        wishes.confirm(wish, True, now=T0 + 92 * HOUR)

    assert events(wish) == [
        ("", "posted"), ("posted", "published"), ("published", "claimed"), ("claimed", "published"),
        ("published", "claimed"), ("claimed", "fulfilled"), ("fulfilled", "claimed"), ("claimed", "fulfilled"),
        ("fulfilled", "confirmed")]
    awarded = PointEntry.objects.filter(rule__code="wish_confirmed")
    assert [(e.unit, e.member, e.points, e.source) for e in awarded] == [(helpers.unit, None, 10, f"wish:{wish.pk}")]

    other = wishes.post_wish(w.li, "希望有人陪同就医", actor=helpers.grid_a, now=T0)
    wishes.review(other, True, actor=east, now=T0 + HOUR)
    wishes.claim(other, member=helpers.member, actor=east, now=T0 + 2 * HOUR)
    wishes.post_wish(w.li, "想学用智能手机", now=T0)  # posted by the resident, not yet reviewed
    counts = wishes.wish_counts(MicroWish.objects.all())
    assert (counts.published, counts.claimed, counts.confirmed) == (2, 2, 1)
    assert [(r.holder_name, r.points) for r in ranking(w.east, date(2026, 1, 1), date(2026, 12, 31), "unit")] == [
        ("县供电公司", 10)]
    assert ranking(w.east, date(2026, 1, 1), date(2026, 12, 31), "member") == []


# --- the table, edge by edge ------------------------------------------------------------------------------------


def _make(helpers, community_world, state):
    """A wish of 张三 in ``state``, held by the member where a claim is part of that state."""
    from changji.community.models import MicroWish

    fields = {"published_at": T0} if state != WishState.POSTED else {}
    if state in (WishState.CLAIMED, WishState.FULFILLED, WishState.CONFIRMED):
        fields.update(claimed_by_member=helpers.member, claimed_at=T0, claim_expires_at=T0 + 72 * HOUR)
    if state in (WishState.FULFILLED, WishState.CONFIRMED):
        fields.update(fulfilled_at=T0, evidence="已办")
    return MicroWish.objects.create(region=community_world.grid_a.region, resident=community_world.zhang,
                                    title="心愿", state=state, posted_at=T0, **fields)


def _actions(helpers):
    """Each public way of moving a wish, by the state it moves to."""
    from changji.community.wishes import service as wishes

    east, now = helpers.east, T0 + HOUR
    return {
        "publish": (WishState.PUBLISHED, lambda w: wishes.review(w, True, actor=east, now=now)),
        "reject": (WishState.REJECTED, lambda w: wishes.review(w, False, actor=east, now=now, note="不属实")),
        "claim": (WishState.CLAIMED, lambda w: wishes.claim(w, unit=helpers.unit, actor=east, now=now)),
        "release": (WishState.PUBLISHED, lambda w: wishes.release(w, actor=east, now=now)),
        "fulfil": (WishState.FULFILLED, lambda w: wishes.fulfil(w, "已办", actor=east, now=now)),
        "confirm": (WishState.CONFIRMED, lambda w: wishes.confirm(w, True, now=now)),
        "send_back": (WishState.CLAIMED, lambda w: wishes.confirm(w, False, note="不满意", now=now)),
    }


EDGE_ACTIONS = {
    (WishState.POSTED, WishState.PUBLISHED): "publish", (WishState.POSTED, WishState.REJECTED): "reject",
    (WishState.PUBLISHED, WishState.CLAIMED): "claim", (WishState.CLAIMED, WishState.FULFILLED): "fulfil",
    (WishState.CLAIMED, WishState.PUBLISHED): "release", (WishState.FULFILLED, WishState.CONFIRMED): "confirm",
    (WishState.FULFILLED, WishState.CLAIMED): "send_back",
}


def test_every_edge_of_the_table_has_an_action():
    assert set(EDGE_ACTIONS) == {(a, b) for a, targets in WISH_MOVES.items() for b in targets}


@pytest.mark.parametrize("edge", list(EDGE_ACTIONS), ids=lambda e: f"{e[0]}->{e[1]}")
def test_each_edge_moves_the_wish_and_records_it(community_world, helpers, edge):
    from changji.core.models import AuditEntry

    source, target = edge
    wish = _make(helpers, community_world, source)
    moved_to, action = _actions(helpers)[EDGE_ACTIONS[edge]]
    assert moved_to == target
    action(wish)
    wish.refresh_from_db()
    assert wish.state == target
    assert events(wish) == [(source, target)]
    assert AuditEntry.objects.filter(object_id=str(wish.pk), action__startswith="community.wish.").count() == 1


NON_EDGES = [(state, name) for state, (name, (target, _)) in product(WishState, [
    ("publish", (WishState.PUBLISHED, None)), ("reject", (WishState.REJECTED, None)),
    ("claim", (WishState.CLAIMED, None)), ("release", (WishState.PUBLISHED, None)),
    ("fulfil", (WishState.FULFILLED, None)), ("confirm", (WishState.CONFIRMED, None)),
    ("send_back", (WishState.CLAIMED, None))]) if (state, target) not in EDGE_ACTIONS]


@pytest.mark.parametrize(("state", "name"), NON_EDGES, ids=lambda v: str(v))
def test_every_other_move_is_refused_and_changes_nothing(community_world, helpers, state, name):
    from changji.community.models import PointEntry

    wish = _make(helpers, community_world, state)
    with pytest.raises(TransitionError):
        _actions(helpers)[name][1](wish)
    wish.refresh_from_db()
    assert wish.state == state
    assert wish.events.count() == 0
    assert PointEntry.objects.count() == 0


# --- exclusive claims --------------------------------------------------------------------------------------------


def test_a_claim_read_before_another_claim_won_does_not_win_too(community_world, helpers):
    """Two requests read the published wish; the first claims it; the second's conditional update finds no row."""
    from changji.community.models import MicroWish
    from changji.community.wishes import service as wishes

    wish = _make(helpers, community_world, WishState.PUBLISHED)
    first, second = MicroWish.objects.get(pk=wish.pk), MicroWish.objects.get(pk=wish.pk)
    wishes.claim(first, member=helpers.member, actor=helpers.east, now=T0)
    with pytest.raises(TransitionError, match="状态已变化"):
        wishes.claim(second, unit=helpers.unit, actor=helpers.east, now=T0)
    wish.refresh_from_db()
    assert (wish.claimed_by_member, wish.claimed_by_unit) == (helpers.member, None)
    assert wish.events.filter(to_state=WishState.CLAIMED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_claims_one_wins(community_world, helpers):
    """Two threads, each with its own database connection, claim the same wish at once: exactly one wins."""
    from django.db import OperationalError, connection

    from changji.community.models import MicroWish
    from changji.community.wishes import service as wishes

    wish = _make(helpers, community_world, WishState.PUBLISHED)
    barrier, outcomes = threading.Barrier(2), []

    def attempt(holder):
        from django.db import connection as own

        try:
            stale = MicroWish.objects.get(pk=wish.pk)
            barrier.wait(timeout=10)
            kind = "member" if holder is helpers.member else "unit"
            wishes.claim(stale, **{kind: holder}, now=T0)
            outcomes.append("won")
        except (TransitionError, OperationalError):  # lost the race (SQLite may say "locked")
            outcomes.append("lost")
        finally:
            own.close()

    threads = [threading.Thread(target=attempt, args=(h,)) for h in (helpers.member, helpers.unit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    connection.close()
    assert sorted(outcomes) == ["lost", "won"]
    wish.refresh_from_db()
    assert wish.state == WishState.CLAIMED
    assert (wish.claimed_by_member_id is None) != (wish.claimed_by_unit_id is None)
    assert wish.events.filter(to_state=WishState.CLAIMED).count() == 1


# --- rules around the moves --------------------------------------------------------------------------------------


def test_an_expired_claim_unlocks_at_the_next_claim(community_world, helpers):
    from changji.community.wishes import service as wishes

    wish = _make(helpers, community_world, WishState.CLAIMED)
    wishes.claim(wish, unit=helpers.unit, actor=helpers.east, now=T0 + 73 * HOUR)
    wish.refresh_from_db()
    assert (wish.state, wish.claimed_by_unit, wish.claimed_by_member) == (WishState.CLAIMED, helpers.unit, None)
    assert [e.note for e in wish.events.all()][0].startswith("认领超时")


def test_fulfilment_after_the_time_limit_is_refused(community_world, helpers):
    from changji.community.wishes import service as wishes

    wish = _make(helpers, community_world, WishState.CLAIMED)
    with pytest.raises(TransitionError, match="超时"):
        wishes.fulfil(wish, "已办", actor=helpers.east, now=T0 + 72 * HOUR)
    wish.refresh_from_db()
    assert wish.state == WishState.CLAIMED


def test_only_the_claimants_own_account_may_fulfil(community_world, helpers, make_user):
    """A member using their own account cannot report another party's claim fulfilled."""
    from changji.community.people import register_member
    from changji.community.wishes import service as wishes

    account = make_user("member-acct", community_world.east.code, role="community_worker")
    register_member(community_world.east, "孙七", "11010119900307889X", "", "县医院", "in_service",
                    date(2026, 1, 5), user=account, actor=helpers.east)
    wish = _make(helpers, community_world, WishState.CLAIMED)  # held by 王五
    with pytest.raises(PermissionDenied):
        wishes.fulfil(wish, "已办", actor=account, now=T0 + HOUR)


def test_staff_outside_the_wish_scope_cannot_act(community_world, helpers):
    from changji.community.wishes import service as wishes

    grid_c = community_world.users.grid_c
    with pytest.raises(PermissionDenied):
        wishes.post_wish(community_world.zhang, "心愿", actor=grid_c, now=T0)
    wish = _make(helpers, community_world, WishState.POSTED)
    with pytest.raises(PermissionDenied):
        wishes.review(wish, True, actor=helpers.grid_a, now=T0)  # a grid worker does not review
    with pytest.raises(PermissionDenied):
        wishes.review(wish, True, actor=grid_c, now=T0)


def test_a_claimant_from_another_community_is_refused(community_world, helpers):
    from changji.community.actors import InputError
    from changji.community.people import register_unit
    from changji.community.wishes import service as wishes

    west_unit = register_unit(community_world.west, "西城物业", "", "", date(2026, 1, 1), actor=None)
    wish = _make(helpers, community_world, WishState.PUBLISHED)
    with pytest.raises(InputError) as error:
        wishes.claim(wish, unit=west_unit, actor=helpers.east, now=T0)
    assert error.value.field == "claimant"
    with pytest.raises(InputError):
        wishes.claim(wish, member=helpers.member, unit=helpers.unit, now=T0)


def test_rejection_needs_a_reason_and_posting_needs_a_title(community_world, helpers):
    from changji.community.actors import InputError
    from changji.community.wishes import service as wishes

    with pytest.raises(InputError, match="心愿内容"):
        wishes.post_wish(community_world.zhang, "  ", now=T0)
    wish = _make(helpers, community_world, WishState.POSTED)
    with pytest.raises(InputError) as error:
        wishes.review(wish, False, actor=helpers.east, now=T0)
    assert error.value.field == "note"


def test_claim_light_turns_yellow_then_red(community_world, helpers):
    from changji.community.wishes import service as wishes

    wish = _make(helpers, community_world, WishState.CLAIMED)
    assert [wishes.claim_light(wish, T0 + h * HOUR) for h in (1, 50, 72)] == ["green", "yellow", "red"]
    assert wishes.claim_light(_make(helpers, community_world, WishState.PUBLISHED), T0) is None


def test_claim_hours_come_from_the_setting(community_world, helpers, settings):
    from changji.community.wishes import service as wishes

    settings.COMMUNITY_WISH_CLAIM_HOURS = 24
    wish = _make(helpers, community_world, WishState.PUBLISHED)
    wishes.claim(wish, member=helpers.member, now=T0)
    assert wish.claim_expires_at == T0 + 24 * HOUR


# --- a stale page acts only on the claim it showed ------------------------------------------------------------------


def test_a_stale_release_does_not_wipe_a_newer_claim(community_world, helpers):
    """A release read under an expired claim is refused once another has claimed.

    Read while the member's claim (since expired) was on it; the claim is unlocked and the unit claims; the
    stale release is refused and the unit keeps its claim.
    """
    from changji.community.models import MicroWish
    from changji.community.wishes import service as wishes

    wish = _make(helpers, community_world, WishState.CLAIMED)
    stale = MicroWish.objects.get(pk=wish.pk)
    wishes.claim(MicroWish.objects.get(pk=wish.pk), unit=helpers.unit, actor=helpers.east, now=T0 + 73 * HOUR)
    with pytest.raises(TransitionError, match="心愿已被他人认领或状态已变化，请刷新"):
        wishes.release(stale, actor=helpers.east, now=T0 + 74 * HOUR)
    wish.refresh_from_db()
    assert (wish.state, wish.claimed_by_unit, wish.claimed_at) == (WishState.CLAIMED, helpers.unit, T0 + 73 * HOUR)
    assert not wish.events.filter(note__contains="放弃认领").exists()


def test_a_stale_fulfilment_does_not_complete_someone_elses_claim(community_world, helpers):
    from changji.community.models import MicroWish
    from changji.community.wishes import service as wishes

    wish = _make(helpers, community_world, WishState.CLAIMED)
    stale = MicroWish.objects.get(pk=wish.pk)
    wishes.release(MicroWish.objects.get(pk=wish.pk), actor=helpers.east, now=T0 + HOUR)
    wishes.claim(MicroWish.objects.get(pk=wish.pk), unit=helpers.unit, actor=helpers.east, now=T0 + 2 * HOUR)
    with pytest.raises(TransitionError, match="已被他人认领"):
        wishes.fulfil(stale, "已送达", actor=helpers.east, now=T0 + 3 * HOUR)
    wish.refresh_from_db()
    assert (wish.state, wish.claimed_by_unit, wish.fulfilled_at) == (WishState.CLAIMED, helpers.unit, None)


def test_a_stale_confirmation_does_not_confirm_a_later_fulfilment(community_world, helpers):
    """Read at the first fulfilment; sent back and fulfilled again meanwhile: the stale answer is refused."""
    from changji.community.models import MicroWish, PointEntry
    from changji.community.wishes import service as wishes

    wish = _make(helpers, community_world, WishState.FULFILLED)
    stale = MicroWish.objects.get(pk=wish.pk)
    wishes.confirm(MicroWish.objects.get(pk=wish.pk), False, note="不合适", now=T0 + HOUR)
    wishes.fulfil(MicroWish.objects.get(pk=wish.pk), "已更换", actor=helpers.east, now=T0 + 2 * HOUR)
    for satisfied in (True, False):
        with pytest.raises(TransitionError, match="已被他人认领或状态已变化"):
            wishes.confirm(stale, satisfied, note="旧页面", now=T0 + 3 * HOUR)
    wish.refresh_from_db()
    assert (wish.state, wish.fulfilled_at, wish.confirmed_at) == (WishState.FULFILLED, T0 + 2 * HOUR, None)
    assert PointEntry.objects.count() == 0


def test_a_wish_cannot_be_posted_for_a_resident_outside_every_grid(community_world, helpers):
    """A resident still registered at street/town level has no community whose members could claim the wish."""
    from changji.community.models import MicroWish, Resident
    from changji.community.wishes import service as wishes

    Resident.objects.filter(pk=community_world.zhang.pk).update(region=community_world.town)
    resident = Resident.objects.get(pk=community_world.zhang.pk)
    with pytest.raises(InputError, match="未落到社区或网格") as error:
        wishes.post_wish(resident, "想要一台助行器", actor=community_world.users.street, now=T0)
    assert error.value.field == "resident"
    assert not MicroWish.objects.exists()
