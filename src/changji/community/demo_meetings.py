"""Demo 四方联动 meetings of 木垒镇: a meeting a month per community over the past year (``TownSize.meetings``).

Each meeting takes up a few of its community's issues (from several grids when it can) reported before it,
records what was said on each, and two or three decisions with owners and due dates; most decisions are
done, some are overdue, and a few meetings went ahead without one party and say why. Rows are written in
bulk (the benchmark town holds 2,000 meetings), with the ``meeting`` event each agenda issue's history shows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from changji.community.meetings import rules
from changji.community.models import AgendaItem, AgreedAction, CoordinationMeeting, IssueEvent, ResidentIssue
from changji.core.localtime import SHANGHAI
from changji.core.models import Region

PARTY = ("社区党委书记", "社区党委副书记", "社区党支部书记")
COMMITTEE = ("居委会主任", "居委会副主任", "居委会委员")
OWNERS = ("业委会主任", "业委会副主任", "业主代表")
PROPERTY = ("天山物业", "雪莲物业", "金鑫物业", "祥和物业", "木垒县安居物业")
DEPARTMENTS = ("木垒镇派出所", "县住建局", "县城管局", "县市场监管局", "")
ABSENCES = (("owners_committee_attendee", "小区业委会换届，新一届尚未产生"),
            ("property_attendee", "物业经理外出培训，已提交书面意见"),
            ("owners_committee_attendee", "老旧小区尚未成立业委会，由楼栋长代表业主"))
OUTCOMES = ("责成物业限期整改", "报请县职能部门协调解决", "由社区牵头组织协商", "纳入下月重点督办",
            "网格员跟踪回访")
DECISIONS = (("限期完成维修并公示", 7), ("组织业主代表现场查看", 5), ("报县住建局列入维修计划", 30),
             ("下次例会通报整改情况", 28), ("完善小区公共收益公示", 14), ("开展楼道堆物集中清理", 10))


def _name(rng: random.Random, surnames: str = "王李张刘陈杨赵马") -> str:
    return rng.choice(surnames) + rng.choice(("书记", "主任", "经理", "同志"))


def _agenda(rng: random.Random, pool: list[ResidentIssue], held_at: datetime) -> list[ResidentIssue]:
    """Up to three issues reported before the meeting, from different grids first."""
    earlier = [i for i in pool if i.reported_at < held_at - timedelta(days=1)][-40:]
    rng.shuffle(earlier)
    chosen: dict[str, ResidentIssue] = {}
    for issue in earlier:  # one per grid first
        chosen.setdefault(issue.region_id, issue)
    return list(chosen.values())[: rng.randint(0, 3)]


def _meeting(rng: random.Random, community: Region, held_at: datetime) -> CoordinationMeeting:
    people = {"party_attendee": f"{community.name}{rng.choice(PARTY)}{_name(rng)}",
              "committee_attendee": f"{rng.choice(COMMITTEE)}{_name(rng)}",
              "owners_committee_attendee": f"{rng.choice(OWNERS)}{_name(rng)}",
              "property_attendee": f"{rng.choice(PROPERTY)}{_name(rng)}"}
    reason = ""
    if rng.random() < 0.08:
        absent, reason = rng.choice(ABSENCES)
        people[absent] = ""
    return CoordinationMeeting(
        region=community, held_at=held_at, place=f"{community.name}党群服务中心会议室",
        department_attendee=rng.choice(DEPARTMENTS), absence_reason=reason,
        minutes=f"{community.name}{held_at.astimezone(SHANGHAI):%Y年%m月}四方联动例会："
                f"{rules.quorum_note(people, reason)}，通报上月议定事项办理情况，研究本月议题。",
        recorded_at=held_at + timedelta(hours=3), **people)


def build_meetings(t: Any, issues: list[ResidentIssue]) -> list[CoordinationMeeting]:
    """``t.size.meetings`` meetings spread over the communities and the past year; their agendas and decisions."""
    rng, now = t.rng, t.now
    by_community: dict[str, list[ResidentIssue]] = defaultdict(list)
    for issue in sorted((i for i in issues if i.pk is not None), key=lambda i: i.reported_at):
        by_community[issue.region_id[:12]].append(issue)
    count = t.size.meetings
    communities = t.communities
    if not communities or not count:
        return []
    per_community = -(-count // len(communities))
    plan: list[tuple[Region, datetime]] = []
    for n in range(count):
        community, slot = communities[n % len(communities)], n // len(communities)
        days = 365 * (slot + 0.5) / per_community
        plan.append((community, now - timedelta(days=days, hours=rng.uniform(-30, 30))))
    meetings = CoordinationMeeting.objects.bulk_create([_meeting(rng, c, held) for c, held in plan],
                                                       batch_size=1000)
    items, actions, events = [], [], []
    for meeting in meetings:
        agenda = _agenda(rng, by_community.get(meeting.region_id, []), meeting.held_at)
        for issue in agenda:
            outcome = rng.choice(OUTCOMES)
            items.append(AgendaItem(meeting=meeting, issue=issue, outcome=outcome))
            events.append(IssueEvent(issue=issue, at=meeting.held_at + timedelta(hours=3), kind="meeting",
                                     from_value=issue.level, to_value=issue.level,
                                     note=f"{meeting.region.name}四方联动会议：{outcome}"))
        for _ in range(rng.randint(1, 3)):
            text, days = rng.choice(DECISIONS)
            due_on = (meeting.held_at + timedelta(days=days)).astimezone(SHANGHAI).date()
            done = due_on < now.date() and rng.random() < 0.85
            actions.append(AgreedAction(
                meeting=meeting, issue=rng.choice(agenda) if agenda and rng.random() < 0.7 else None,
                description=text, owner=rng.choice((*PROPERTY, "社区居委会", "网格员", "县住建局")), due_on=due_on,
                done_on=due_on - timedelta(days=rng.randint(0, min(days, 5))) if done else None,
                done_note="已按期完成" if done else ""))
    AgendaItem.objects.bulk_create(items, batch_size=2000)
    AgreedAction.objects.bulk_create(actions, batch_size=2000)
    IssueEvent.objects.bulk_create(events, batch_size=2000)
    return meetings
