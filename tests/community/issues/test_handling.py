"""Handling an issue end to end, and every state move and climb through the domain functions.

End to end: escalation to four-party coordination and the town, a reopen. Moves and climbs are checked
against the tables.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from changji.community.issues import handlers, handling, limits, meetings
from changji.community.issues.changes import IssueError
from changji.community.issues.meetings import ActionSpec
from changji.community.issues.workflow import ISSUE_MOVES, ISSUE_TABLE, LEVEL_MOVES, EscalationLevel, IssueState
from changji.community.models import AgreedAction, IssueEvent, ResidentIssue
from changji.core.models import AuditEntry
from changji.core.transitions import TransitionError, check_transition
from tests.community.issues.test_intake import NOW, file, fresh

pytestmark = pytest.mark.django_db


def test_issue_climbs_to_four_party_coordination_and_the_town_then_closes_after_a_reopen(cats, community_world):
    """Grid → community → four-party meeting → street/town; resolved; reopened → resolved → closed.

    The meeting: the four parties (community party organisation, residents' committee, owners' committee,
    property) and the police; two agreed actions done. The resident is not
    satisfied the first time.
    """
    world, users = community_world, community_world.users
    t = NOW
    issue = file(cats, code="noise", reported_by=users.grid_a, channel="grid_worker")
    issue = handling.accept(issue, users.grid_a, t + timedelta(hours=1), "已联系诉求人")
    assert issue.responded_at == t + timedelta(hours=1) and issue.state == IssueState.ACCEPTED
    assert list(handlers.inbox_for(users.grid_a)) == [issue]

    issue = handling.escalate(issue, users.grid_a, t + timedelta(days=1), "网格内无法协调")
    assert issue.level == EscalationLevel.COMMUNITY and issue.level_started_at == t + timedelta(days=1)
    assert issue.due_at == t + timedelta(days=1 + limits.LEVEL_LIMIT_DAYS[EscalationLevel.COMMUNITY])
    with pytest.raises(IssueError):  # the grid worker no longer handles it
        handling.resolve(issue, users.grid_a, t + timedelta(days=1), "已处理")
    assert list(handlers.inbox_for(users.grid_a)) == [] and list(handlers.inbox_for(users.east)) == [issue]

    issue = handling.escalate(issue, users.east, t + timedelta(days=2), "涉及物业和派出所，召开四方协商")
    assert issue.level == EscalationLevel.FOUR_PARTY
    meeting = meetings.record_meeting(
        issue, held_at=t + timedelta(days=3), place="东城社区党群服务中心", party_attendee="东城社区党委 王书记",
        committee_attendee="东城社区居委会 刘主任",
        property_attendee="天山物业 李经理", owners_committee_attendee="幸福小区业主委员会 赵主任",
        department_attendee="木垒镇派出所 马警官", minutes="夜间施工噪音：物业限定施工时段，派出所夜间巡查。",
        actions=[ActionSpec("物业公告限定施工时段 8:00–20:00", "天山物业", date(2026, 3, 6)),
                 ("派出所夜间巡查两周", "木垒镇派出所", date(2026, 3, 20))],
        actor=users.east, now=t + timedelta(days=3))
    actions = list(meeting.actions.order_by("due_on"))
    assert [(a.owner, a.due_on) for a in actions] == [("天山物业", date(2026, 3, 6)),
                                                      ("木垒镇派出所", date(2026, 3, 20))]
    for action, on in zip(actions, (date(2026, 3, 6), date(2026, 3, 19)), strict=True):
        meetings.complete_action(action, on, users.east, t + timedelta(days=17))
    assert not AgreedAction.objects.filter(meeting=meeting, done_on__isnull=True).exists()

    issue = handling.escalate(issue, users.east, t + timedelta(days=18), "施工方拒不整改，提请镇里协调")
    assert issue.level == EscalationLevel.STREET and list(handlers.inbox_for(users.street)) == [issue]
    with pytest.raises(IssueError):  # the community worker does not act at the town's rung
        handling.resolve(issue, users.east, t + timedelta(days=18), "已处理")
    issue = handling.resolve(issue, users.street, t + timedelta(days=20), "镇综合执法队责令施工方夜间停工")
    assert issue.state == IssueState.RESOLVED and issue.resolved_at == t + timedelta(days=20)

    issue = handling.feedback(issue, False, t + timedelta(days=21), "晚上仍有噪音")
    assert (issue.state, issue.reopen_count, issue.satisfied) == (IssueState.REOPENED, 1, False)
    assert issue.level_started_at == t + timedelta(days=21)
    assert issue.due_at == t + timedelta(days=21 + limits.LEVEL_LIMIT_DAYS[EscalationLevel.STREET])
    issue = handling.accept(issue, users.street, t + timedelta(days=21, hours=2), "重新办理")
    assert issue.responded_at == t + timedelta(hours=1)  # the first response stays
    issue = handling.resolve(issue, users.street, t + timedelta(days=23), "施工方签订承诺书，执法队回访核实")
    issue = handling.feedback(issue, True, t + timedelta(days=24), "满意", actor=users.grid_a)
    assert (issue.state, issue.satisfied, issue.closed_at) == (IssueState.CLOSED, True, t + timedelta(days=24))
    assert limits.colour(issue, t + timedelta(days=100)) is None

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


DOMAIN_MOVES = {
    IssueState.ACCEPTED: lambda issue, actor: handling.accept(issue, actor, NOW, "受理"),
    IssueState.RESOLVED: lambda issue, actor: handling.resolve(issue, actor, NOW, "已办结"),
    IssueState.CLOSED: lambda issue, actor: handling.feedback(issue, True, NOW, actor=actor),
    IssueState.REOPENED: lambda issue, actor: handling.feedback(issue, False, NOW, actor=actor),
    IssueState.REJECTED: lambda issue, actor: handling.reject(issue, actor, NOW, "非本社区事项"),
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
        moved = handling.escalate(issue, community_world.users.street, NOW + timedelta(hours=1), "上报")
        assert {EscalationLevel(moved.level)} == set(LEVEL_MOVES[current])
        assert moved.level_started_at == NOW + timedelta(hours=1)
    else:
        with pytest.raises(IssueError) as caught:
            handling.escalate(issue, community_world.users.street, NOW, "上报")
        assert caught.value.field == "level"
        assert fresh(issue).level == current
