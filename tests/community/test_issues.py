"""Resident issues (接诉即办): reporting, the state and level tables, four-party coordination, lights, duplicates,
the three rates and who may act — on the real database with the community test world."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from changji.community import issue_rates, issues
from changji.community.issues import ActionSpec, IssueError
from changji.community.models import AgreedAction, IssueCategory, IssueEvent, ResidentIssue
from changji.community.workflow import (
    ISSUE_MOVES,
    ISSUE_TABLE,
    LEVEL_MOVES,
    DeadlineColour,
    EscalationLevel,
    IssueState,
)
from changji.core.models import AuditEntry, Role
from changji.core.transitions import TransitionError, check_transition

pytestmark = pytest.mark.django_db

#: Monday 2 March 2026, 10:00 in Shanghai.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
IN_A = (90.285, 43.835)  # grid A, beside 幸福小区
IN_C = (90.275, 43.835)  # grid C, beside 和谐小区
METRES_PER_DEGREE_LAT = 111_195.0


@pytest.fixture
def cats(community_world):
    issues.seed_categories()
    return {c.code: c for c in IssueCategory.objects.all()}


def file(cats, code="property", where=IN_A, now=NOW, **extra):
    lon, lat = where
    return issues.report(cats[code], "电梯经常停运", lon=lon, lat=lat, address="幸福小区1号楼",
                         reporter_name="张三", reporter_phone="13912345678", now=now, **extra)


def fresh(issue):
    return ResidentIssue.objects.select_related("category", "region").get(pk=issue.pk)


def north(where, metres):
    return where[0], where[1] + metres / METRES_PER_DEGREE_LAT


# --- categories and reporting --------------------------------------------------------------------------------


def test_seed_categories_is_idempotent_and_keeps_local_edits(community_world):
    first = issues.seed_categories()
    IssueCategory.objects.filter(code="noise").update(response_hours=6)
    second = issues.seed_categories()
    assert len(first) == len(second) == len(issues.DEFAULT_CATEGORIES) == IssueCategory.objects.count()
    assert IssueCategory.objects.get(code="noise").response_hours == 6
    assert IssueCategory.objects.get(code="noise").department == "公安派出所"
    assert issues.responsible_label(IssueCategory.objects.get(code="property")) == "物业企业"


def test_locate_region_finds_the_grid_holding_the_point(community_world):
    world = community_world
    assert issues.locate_region(*IN_A) == world.grid_a.region
    assert issues.locate_region(*IN_C) == world.grid_c.region
    assert issues.locate_region(90.295, 43.835) == world.grid_b.region
    assert issues.locate_region(90.285, 43.90) is None
    assert issues.locate_region(90.29, 43.835) == world.grid_a.region  # shared border: the lowest code
    assert issues.locate_region(*IN_C, within=world.east) is None
    assert issues.locate_region(*IN_A, within=world.east) == world.grid_a.region


def test_report_routes_to_the_grid_with_its_limits_and_a_readable_id(cats, community_world):
    issue = file(cats)  # SQ + county 652328 + Shanghai date + 5-digit sequence of the county's day: 21 characters
    assert issue.request_id == "SQ6523282026030200001" and len(issue.request_id) == 21
    assert file(cats, where=IN_C).request_id == "SQ6523282026030200002"  # one sequence for the whole county
    assert file(cats, now=NOW + timedelta(hours=14)).request_id == "SQ6523282026030300001"  # Shanghai date
    assert issue.region == community_world.grid_a.region
    assert (issue.state, issue.level) == (IssueState.REPORTED, EscalationLevel.GRID)
    assert issue.response_due_at == NOW + timedelta(hours=24)
    assert issue.due_at == NOW + timedelta(days=cats["property"].resolve_days) and issue.level_started_at == NOW
    event = IssueEvent.objects.get(issue=issue)
    assert (event.kind, event.from_value, event.to_value) == ("state", "", "reported")


def test_each_category_names_its_responsible_party_for_the_issue(cats, community_world):
    from changji.community.models import PropertyCompany

    w = community_world
    w.happy.property_company = PropertyCompany.objects.create(name="天山物业")
    w.happy.save()
    assert issues.responsible_party(file(cats, "property")) == "天山物业（幸福小区）"
    assert issues.responsible_party(file(cats, "neighbour")) == "东城社区第一网格网格员"
    assert issues.responsible_party(file(cats, "sanitation")) == "东城社区"
    noise = file(cats, "noise")
    assert issues.responsible_party(noise) == noise.category.department != ""
    # No managed compound in 西城社区: the property category's label stands.
    assert issues.responsible_party(file(cats, "property", where=IN_C)) == "物业企业"


def test_report_numbering_continues_after_existing_ids(cats):
    issue = file(cats)
    ResidentIssue.objects.filter(pk=issue.pk).update(request_id="SQ6523282026030200041")
    assert file(cats).request_id == "SQ6523282026030200042"
    ResidentIssue.objects.create(  # another county's id of the same day (pushed up from another instance)
        request_id="SQ6523012026030200077", category=cats["other"], region=issue.region, description="x",
        reported_at=NOW, response_due_at=NOW, level_started_at=NOW, due_at=NOW)
    assert file(cats).request_id == "SQ6523282026030200043"


def test_report_refusals_name_the_field_and_store_nothing(cats, community_world):
    users = community_world.users
    cases = [
        (dict(where=(90.285, 43.90)), "lon"),  # outside every grid
        (dict(where=(90.285, 91)), "lat"),
        (dict(where=IN_C, reported_by=users.grid_a), "lon"),  # grid A's worker, a point in grid C
        (dict(reporter_email="not-an-email"), "reporter_email"),
        (dict(media_url="javascript:alert(1)"), "media_url"),
        (dict(region=community_world.east), "region"),  # not a grid (and no point in any grid)
    ]
    for extra, field in cases:
        where = extra.pop("where", IN_A)
        if "region" in extra:
            where = (90.285, 43.90)
        with pytest.raises(IssueError) as caught:
            file(cats, where=where, **extra)
        assert caught.value.field == field, extra
    with pytest.raises(IssueError) as caught:
        issues.report(cats["other"], "   ", lon=IN_A[0], lat=IN_A[1], now=NOW)
    assert caught.value.field == "description"
    with pytest.raises(IssueError) as caught:
        issues.report(cats["other"], "无位置", now=NOW)
    assert caught.value.field == "lon"
    assert ResidentIssue.objects.count() == 0


def test_a_grid_workers_report_without_location_goes_to_their_grid(cats, community_world):
    users, grid_a = community_world.users, community_world.grid_a
    issue = issues.report(cats["neighbour"], "楼上楼下因漏水起纠纷", region=grid_a.region, reported_by=users.grid_a,
                          channel="grid_worker", now=NOW)
    assert issue.region == grid_a.region and issue.lon is None
    assert AuditEntry.objects.filter(action="community.issue.reported", object_id=str(issue.pk)).exists()


# --- the end-to-end scenario ---------------------------------------------------------------------------------


def test_issue_climbs_to_four_party_coordination_and_the_town_then_closes_after_a_reopen(cats, community_world):
    """Grid → community → four-party meeting (community, property, owners' committee, police; two agreed
    actions done) → street/town; resolved; the resident is not satisfied → reopened → resolved → closed."""
    world, users = community_world, community_world.users
    t = NOW
    issue = file(cats, code="noise", reported_by=users.grid_a, channel="grid_worker")
    issue = issues.accept(issue, users.grid_a, t + timedelta(hours=1), "已联系诉求人")
    assert issue.responded_at == t + timedelta(hours=1) and issue.state == IssueState.ACCEPTED
    assert list(issues.inbox_for(users.grid_a)) == [issue]

    issue = issues.escalate(issue, users.grid_a, t + timedelta(days=1), "网格内无法协调")
    assert issue.level == EscalationLevel.COMMUNITY and issue.level_started_at == t + timedelta(days=1)
    assert issue.due_at == t + timedelta(days=1 + issues.LEVEL_LIMIT_DAYS[EscalationLevel.COMMUNITY])
    with pytest.raises(IssueError):  # the grid worker no longer handles it
        issues.resolve(issue, users.grid_a, t + timedelta(days=1), "已处理")
    assert list(issues.inbox_for(users.grid_a)) == [] and list(issues.inbox_for(users.east)) == [issue]

    issue = issues.escalate(issue, users.east, t + timedelta(days=2), "涉及物业和派出所，召开四方协商")
    assert issue.level == EscalationLevel.FOUR_PARTY
    meeting = issues.record_meeting(
        issue, held_at=t + timedelta(days=3), place="东城社区党群服务中心", community_attendee="东城社区 王书记",
        property_attendee="天山物业 李经理", owners_committee_attendee="幸福小区业主委员会 赵主任",
        department_attendee="木垒镇派出所 马警官", minutes="夜间施工噪音：物业限定施工时段，派出所夜间巡查。",
        actions=[ActionSpec("物业公告限定施工时段 8:00–20:00", "天山物业", date(2026, 3, 6)),
                 ("派出所夜间巡查两周", "木垒镇派出所", date(2026, 3, 20))],
        actor=users.east, now=t + timedelta(days=3))
    actions = list(meeting.actions.order_by("due_on"))
    assert [(a.owner, a.due_on) for a in actions] == [("天山物业", date(2026, 3, 6)),
                                                      ("木垒镇派出所", date(2026, 3, 20))]
    for action, on in zip(actions, (date(2026, 3, 6), date(2026, 3, 19)), strict=True):
        issues.complete_action(action, on, users.east, t + timedelta(days=4))
    assert not AgreedAction.objects.filter(meeting=meeting, done_on__isnull=True).exists()

    issue = issues.escalate(issue, users.east, t + timedelta(days=18), "施工方拒不整改，提请镇里协调")
    assert issue.level == EscalationLevel.STREET and list(issues.inbox_for(users.street)) == [issue]
    with pytest.raises(IssueError):  # the community worker does not act at the town's rung
        issues.resolve(issue, users.east, t + timedelta(days=18), "已处理")
    issue = issues.resolve(issue, users.street, t + timedelta(days=20), "镇综合执法队责令施工方夜间停工")
    assert issue.state == IssueState.RESOLVED and issue.resolved_at == t + timedelta(days=20)

    issue = issues.feedback(issue, False, t + timedelta(days=21), "晚上仍有噪音")
    assert (issue.state, issue.reopen_count, issue.satisfied) == (IssueState.REOPENED, 1, False)
    assert issue.level_started_at == t + timedelta(days=21)
    assert issue.due_at == t + timedelta(days=21 + issues.LEVEL_LIMIT_DAYS[EscalationLevel.STREET])
    issue = issues.accept(issue, users.street, t + timedelta(days=21, hours=2), "重新办理")
    assert issue.responded_at == t + timedelta(hours=1)  # the first response stays
    issue = issues.resolve(issue, users.street, t + timedelta(days=23), "施工方签订承诺书，执法队回访核实")
    issue = issues.feedback(issue, True, t + timedelta(days=24), "满意", actor=users.grid_a)
    assert (issue.state, issue.satisfied, issue.closed_at) == (IssueState.CLOSED, True, t + timedelta(days=24))
    assert issues.colour(issue, t + timedelta(days=100)) is None

    steps = list(IssueEvent.objects.filter(issue=issue).values_list("kind", "to_value"))
    assert steps == [("state", "reported"), ("state", "accepted"), ("escalate", "community"),
                     ("escalate", "four_party"), ("meeting", "four_party"), ("action", "done"), ("action", "done"),
                     ("escalate", "street"), ("state", "resolved"), ("state", "reopened"), ("state", "accepted"),
                     ("state", "resolved"), ("state", "closed")]
    audited = AuditEntry.objects.filter(object_id=str(issue.pk), action__startswith="community.issue.")
    # Every staff step is audited; the resident's own "not satisfied" is history only (no account acted).
    assert sorted(audited.values_list("action", flat=True)) == sorted([
        "community.issue.reported", "community.issue.accepted", "community.issue.escalated",
        "community.issue.escalated", "community.issue.meeting", "community.issue.action_done",
        "community.issue.action_done", "community.issue.escalated", "community.issue.resolved",
        "community.issue.accepted", "community.issue.resolved", "community.issue.closed"])
    assert set(audited.values_list("region_id", flat=True)) == {world.grid_a.region_id}
    assert world.grid_a.region == issue.region


def test_meeting_dates_must_be_plausible(cats, community_world):
    users = community_world.users
    issue = file(cats)
    issue = issues.escalate(issues.escalate(issue, users.east, NOW, "提级"), users.east, NOW, "四方协商")
    meeting = dict(held_at=NOW, place="社区", community_attendee="王书记", property_attendee="李经理",
                   owners_committee_attendee="赵主任", minutes="纪要", actor=users.east, now=NOW)
    for held_at in (datetime(1, 1, 1, tzinfo=UTC), NOW - timedelta(days=366), NOW + timedelta(days=31)):
        with pytest.raises(IssueError) as caught:
            issues.record_meeting(issue, **{**meeting, "held_at": held_at})
        assert caught.value.field == "held_at"
    for due_on in (date(1, 1, 1), date(1999, 12, 31), date(2101, 1, 1)):
        with pytest.raises(IssueError) as caught:
            issues.record_meeting(issue, **meeting, actions=[ActionSpec("修门禁", "天山物业", due_on)])
        assert caught.value.field == "actions"
    assert not issue.meetings.exists()
    done = issues.record_meeting(issue, **{**meeting, "held_at": NOW - timedelta(days=364)},
                                 actions=[ActionSpec("修门禁", "天山物业", date(2100, 12, 31))])
    with pytest.raises(IssueError) as caught:
        issues.complete_action(done.actions.get(), date(2101, 1, 1), users.east, NOW)
    assert caught.value.field == "done_on"


def test_meeting_rules(cats, community_world):
    users = community_world.users
    issue = file(cats)
    meeting = dict(held_at=NOW, place="社区", community_attendee="王书记", property_attendee="李经理",
                   owners_committee_attendee="赵主任", minutes="纪要", actor=users.east, now=NOW)
    with pytest.raises(IssueError) as caught:  # at the grid: no four-party meeting yet
        issues.record_meeting(issue, **meeting)
    assert caught.value.field == "level"
    issue = issues.escalate(issues.escalate(issue, users.east, NOW, "提级"), users.east, NOW, "四方协商")
    with pytest.raises(IssueError) as caught:  # community and only one other party
        issues.record_meeting(issue, **{**meeting, "owners_committee_attendee": ""})
    assert caught.value.field == "property_attendee"
    with pytest.raises(IssueError) as caught:
        issues.record_meeting(issue, **meeting, actions=[ActionSpec("修门禁", "", date(2026, 3, 5))])
    assert caught.value.field == "actions"
    with pytest.raises(IssueError):  # a grid worker does not convene
        issues.record_meeting(issue, **{**meeting, "actor": users.grid_a})
    done = issues.record_meeting(issue, **meeting, actions=[ActionSpec("修门禁", "天山物业", date(2026, 3, 5))])
    action = done.actions.get()
    with pytest.raises(IssueError) as caught:
        issues.complete_action(action, date(2026, 3, 1), users.east, NOW)  # before the meeting
    assert caught.value.field == "done_on"
    with pytest.raises(IssueError):
        issues.complete_action(action, date(2026, 3, 3), users.grid_c, NOW)  # out of scope
    issues.complete_action(action, date(2026, 3, 3), users.east, NOW)
    with pytest.raises(IssueError):
        issues.complete_action(action, date(2026, 3, 4), users.east, NOW)  # already done


# --- the tables ----------------------------------------------------------------------------------------------

DOMAIN_MOVES = {
    IssueState.ACCEPTED: lambda issue, actor: issues.accept(issue, actor, NOW, "受理"),
    IssueState.RESOLVED: lambda issue, actor: issues.resolve(issue, actor, NOW, "已办结"),
    IssueState.CLOSED: lambda issue, actor: issues.feedback(issue, True, NOW, actor=actor),
    IssueState.REOPENED: lambda issue, actor: issues.feedback(issue, False, NOW, actor=actor),
    IssueState.REJECTED: lambda issue, actor: issues.reject(issue, actor, NOW, "非本社区事项"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(IssueState, IssueState)))
def test_every_issue_move_follows_the_table(cats, community_world, current, target):
    issue = file(cats)
    ResidentIssue.objects.filter(pk=issue.pk).update(state=current)
    allowed = target in ISSUE_MOVES[current]
    if target not in DOMAIN_MOVES:  # nothing moves an issue back to "reported": only the table can say so
        assert not allowed
        with pytest.raises(TransitionError):
            check_transition(ISSUE_TABLE, current, target)
        return
    events = IssueEvent.objects.count()
    if allowed:
        moved = DOMAIN_MOVES[target](issue, community_world.users.street)
        assert fresh(moved).state == target and IssueEvent.objects.count() == events + 1
    else:
        with pytest.raises(IssueError) as caught:
            DOMAIN_MOVES[target](issue, community_world.users.street)
        assert caught.value.field == "state"
        assert fresh(issue).state == current and IssueEvent.objects.count() == events


@pytest.mark.parametrize("current", list(EscalationLevel))
@pytest.mark.parametrize("state", list(IssueState))
def test_every_escalation_follows_the_ladder(cats, community_world, current, state):
    issue = file(cats)
    ResidentIssue.objects.filter(pk=issue.pk).update(level=current, state=state)
    if LEVEL_MOVES[current] and state in {IssueState.REPORTED, IssueState.ACCEPTED, IssueState.REOPENED}:
        moved = issues.escalate(issue, community_world.users.street, NOW + timedelta(hours=1), "上报")
        assert {EscalationLevel(moved.level)} == set(LEVEL_MOVES[current])
        assert moved.level_started_at == NOW + timedelta(hours=1)
    else:
        with pytest.raises(IssueError) as caught:
            issues.escalate(issue, community_world.users.street, NOW, "上报")
        assert caught.value.field == "level"
        assert fresh(issue).level == current


# --- lights, duplicates and rates ----------------------------------------------------------------------------


def test_colour_turns_yellow_after_two_thirds_and_red_when_overdue(cats, community_world):
    issue = file(cats)  # property: 5 days at the grid
    assert issues.colour(issue, NOW + timedelta(days=1)) == DeadlineColour.GREEN
    assert issues.colour(issue, NOW + timedelta(days=3, hours=7)) == DeadlineColour.GREEN
    assert issues.colour(issue, NOW + timedelta(days=3, hours=9)) == DeadlineColour.YELLOW
    assert issues.colour(issue, NOW + timedelta(days=5)) == DeadlineColour.RED
    late = file(cats, code="noise", now=NOW - timedelta(days=3))  # 2 days: overdue by now
    found = issues.warnings(ResidentIssue.objects.all(), NOW + timedelta(days=4))
    assert [(i.pk, light) for i, light in found] == [(late.pk, DeadlineColour.RED), (issue.pk, DeadlineColour.YELLOW)]
    issue = issues.reject(issue, community_world.users.grid_a, NOW, "重复")
    assert issues.colour(issue, NOW + timedelta(days=10)) is None
    assert [i.pk for i, _ in issues.warnings(ResidentIssue.objects.all(), NOW + timedelta(days=4))] == [late.pk]


def test_duplicate_suggestions_by_distance_and_category(cats, community_world):
    first = file(cats)
    near = north(IN_A, 50)
    assert cats["property"].duplicate_radius_m == 100
    assert [(i.pk, round(d)) for i, d in issues.duplicate_suggestions(cats["property"], *near, NOW)] == [(first.pk, 50)]
    assert issues.duplicate_suggestions(cats["noise"], *near, NOW) == []  # another category
    assert issues.duplicate_suggestions(cats["property"], *north(IN_A, 500), NOW) == []  # too far
    closer = file(cats, where=north(IN_A, 40))
    assert [i.pk for i, _ in issues.duplicate_suggestions(cats["property"], *near, NOW)] == [closer.pk, first.pk]
    assert [i.pk for i, _ in issues.duplicate_suggestions(cats["property"], *near, NOW, exclude=closer)] == [first.pk]
    assert issues.duplicate_suggestions(cats["property"], *near, NOW + timedelta(days=31)) == []  # too old
    issues.reject(closer, community_world.users.grid_a, NOW, "重复诉求", duplicate_of=first)
    assert fresh(closer).duplicate_of_id == first.pk
    assert [i.pk for i, _ in issues.duplicate_suggestions(cats["property"], *near, NOW)] == [first.pk]


def test_duplicate_suggestions_for_a_user_stay_within_their_scope(cats, community_world):
    users = community_world.users
    west_of_border, east_of_border = (90.2797, 43.835), (90.2803, 43.835)  # grid C | grid A, about 50 m apart
    in_c = file(cats, where=west_of_border)
    in_a = file(cats, where=east_of_border)
    assert (in_c.region, in_a.region) == (community_world.grid_c.region, community_world.grid_a.region)
    suggested = lambda user: {i.pk for i, _ in issues.duplicate_suggestions(  # noqa: E731
        cats["property"], *east_of_border, NOW, user=user)}
    assert suggested(None) == {in_c.pk, in_a.pk}
    assert suggested(users.grid_a) == {in_a.pk} and suggested(users.east) == {in_a.pk}
    assert suggested(users.grid_c) == {in_c.pk} and suggested(users.street) == {in_c.pk, in_a.pk}


def test_the_three_rates_on_a_hand_made_set(cats, community_world):
    users = community_world.users
    on_time = file(cats)  # answered in 1 h, resolved, satisfied
    issues.accept(on_time, users.grid_a, NOW + timedelta(hours=1), "")
    issues.resolve(on_time, users.grid_a, NOW + timedelta(hours=5), "已修复")
    issues.feedback(on_time, True, NOW + timedelta(hours=6))
    late = file(cats)  # answered after 30 h (limit 24 h), resolved, not satisfied → reopened
    issues.accept(late, users.grid_a, NOW + timedelta(hours=30), "")
    issues.resolve(late, users.grid_a, NOW + timedelta(hours=40), "已修复")
    issues.feedback(late, False, NOW + timedelta(hours=41))
    file(cats)  # never answered: past its response limit at NOW + 48 h
    duplicate = file(cats)
    issues.reject(duplicate, users.grid_a, NOW + timedelta(hours=1), "重复", duplicate_of=on_time)  # counts nowhere
    file(cats, where=IN_C, now=NOW + timedelta(hours=47))  # in grid C, response not due yet

    counts = issue_rates.counts_by_region(ResidentIssue.objects.all(), NOW + timedelta(hours=48))
    a, c = counts[community_world.grid_a.region_id], counts[community_world.grid_c.region_id]
    assert (a.total, a.response_due, a.responded_on_time, a.rated, a.satisfied) == (3, 3, 1, 2, 1)
    assert (c.total, c.response_due) == (1, 0) and c.response_rate is None
    whole = issue_rates.total(counts.values())
    assert whole.total == 4
    assert whole.response_rate == pytest.approx(1 / 3)
    assert whole.resolution_rate == pytest.approx(1 / 4)
    assert whole.satisfaction_rate == pytest.approx(1 / 2)


# --- who may act ---------------------------------------------------------------------------------------------


def test_scope_and_rung_refusals(cats, community_world, make_user):
    users = community_world.users
    issue = file(cats)
    viewer = make_user("town-viewer", community_world.town.code, role=Role.TOWNSHIP_VIEWER)
    west = make_user("west-worker", community_world.west.code, role=Role.COMMUNITY_WORKER)
    before = (IssueEvent.objects.count(), AuditEntry.objects.count())
    attempts = [
        lambda actor: issues.accept(issue, actor, NOW, ""),
        lambda actor: issues.reject(issue, actor, NOW, "越权"),
        lambda actor: issues.escalate(issue, actor, NOW, "越权"),
    ]
    for actor in (users.grid_c, west, viewer):
        for attempt in attempts:
            with pytest.raises(IssueError) as caught:
                attempt(actor)
            assert caught.value.field == "actor"
        assert issues.allowed_actions(issue, actor) == []
    assert (IssueEvent.objects.count(), AuditEntry.objects.count()) == before
    assert fresh(issue).state == IssueState.REPORTED
    assert list(issues.inbox_for(users.grid_c)) == [] and list(issues.inbox_for(viewer)) == []
    assert issues.allowed_actions(issue, users.grid_a) == ["accept", "escalate", "reject"]
    assert issues.allowed_actions(issue, users.east) == ["accept", "escalate", "reject"]  # stepping in below

    issue = issues.accept(issue, users.grid_a, NOW, "")
    issue = issues.resolve(issue, users.grid_a, NOW, "已处理")
    with pytest.raises(IssueError):
        issues.feedback(issue, True, NOW, actor=users.grid_c)  # a verdict recorded out of scope
    assert issues.allowed_actions(issue, users.grid_a) == ["feedback"]
