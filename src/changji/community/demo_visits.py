"""Demo visits, care households and residents' meetings for 木垒镇 (``community.demo.build_town``).

About one household in twenty with a resident needing care is taken into care with the shortest interval of its
residents' tags; care visits over the past year by the grid's worker follow that interval, with about one care
household in four now overdue. Home visits, 书记爱串门 visits of the community secretary and compound rounds fill
up ``TownSize.visits``. A dozen 凉亭会 / 恳谈会 are recorded through the service, each filing the issues raised
there. Everything is drawn from the town's random source in a fixed order.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from changji.community.models import CareHousehold, Grid, Household, IssueCategory, Resident, Visit, VisitKind
from changji.community.visits import care
from changji.community.visits.residents_meetings import RaisedIssue, record_residents_meeting
from changji.core.localtime import local_day
from changji.core.models import Region


class _Town(Protocol):
    """What this module reads of ``community.demo._Town`` (declared here: the demo imports this module)."""

    rng: random.Random
    now: datetime
    size: Any
    grids: list[Grid]
    communities: list[Region]

    @property
    def today(self) -> date: ...


class _Housing(Protocol):
    """What this module reads of ``community.demo._Housing``."""

    households: list[Household]
    residents: list[Resident]

#: Share of households taken into care (of those with a resident carrying a care tag).
CARE_SHARE = 0.05
#: Share of care households left overdue.
OVERDUE_SHARE = 0.25
MEETINGS = 12
SURNAMES = "王李张刘陈杨赵马何高阿努"
GIVEN = "建华秀英玉兰国强红梅海燕志刚丽娟古丽江别克"
CARE_TOPICS = ("看望独居老人，询问饮食起居", "了解残疾人辅具使用情况", "核实低保家庭收入变化", "送去冬季取暖煤",
               "陪同老人就医复查", "检查燃气和用电安全")
HOME_TOPICS = ("入户宣传医保缴费政策", "了解邻里停车纠纷", "登记新入住人员", "征求老旧小区改造意见",
               "宣传防范电信诈骗", "了解孩子入学困难")
SECRETARY_TOPICS = ("书记爱串门：听取居民对物业服务的意见", "书记爱串门：了解就业需求", "书记爱串门：走访困难党员")
COMPOUND_TOPICS = ("巡查小区消防通道", "检查楼道堆物", "查看垃圾分类投放点")
FOLLOW_UPS = ("联系物业维修", "协调社区医生上门", "报民政所审核", "下周再次回访")
MEETING_TOPICS = (("小区停车难", "划定临时停车位，物业负责引导"), ("楼道卫生与垃圾清运", "每周二、五集中清运"),
                  ("老旧小区改造方案", "收集意见后报住建局"), ("冬季供暖", "供热站上门排查"),
                  ("广场舞噪音", "约定晚九点前结束"), ("加装电梯", "征求一楼住户意见"))
RAISED = (("property", "单元门禁损坏"), ("sanitation", "垃圾桶数量不够"), ("utilities", "暖气不热"),
          ("roads", "小区门口路面破损"), ("security", "路灯不亮"), ("noise", "夜间施工噪音扰民"))


def _name(rng: random.Random) -> str:
    """A plausible name (Han, Hui or Kazakh) for a worker or a host."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _care_households(t: _Town, residents: Sequence[Resident], households: Sequence[Household]) -> list[CareHousehold]:
    """Households with a tagged resident, up to ``CARE_SHARE`` of all, in care for a year under their grid leader."""
    tags: dict[int, list[str]] = {}
    for resident in residents:
        for tag in resident.care_tags:
            tags.setdefault(resident.household_id, []).append(tag)
    chosen = sorted(tags)[: max(1, int(len(households) * CARE_SHARE))]
    since = t.today - timedelta(days=365)
    by_pk = {household.pk: household for household in households}
    leaders = {grid.region_id: grid.leader_id for grid in t.grids}
    return CareHousehold.objects.bulk_create([
        CareHousehold(household_id=pk, region_id=by_pk[pk].region_id, tags=sorted(set(tags[pk])),
                      visit_every_days=care.interval_for(tags[pk]), since=since,
                      worker_id=leaders.get(by_pk[pk].region_id)) for pk in chosen])


def _care_visits(t: _Town, entries: Sequence[CareHousehold], workers: dict[str, str], budget: int) -> list[Visit]:
    """Care visits every interval back from the last one; about ``OVERDUE_SHARE`` of households now overdue."""
    rng, visits = t.rng, []
    per_household = max(1, budget // max(1, len(entries)))
    for entry in entries:
        overdue = rng.random() < OVERDUE_SHARE
        last = t.now - timedelta(days=entry.visit_every_days + rng.randint(3, 40) if overdue
                                 else rng.randint(0, entry.visit_every_days - 1), hours=rng.uniform(0, 8))
        for n in range(min(per_household, 365 // entry.visit_every_days)):
            at = last - timedelta(days=n * entry.visit_every_days)
            visits.append(Visit(region_id=entry.region_id, household_id=entry.household_id, kind=VisitKind.CARE,
                                visitor_name=workers.get(entry.region_id, "网格员"), visited_at=at,
                                topic=rng.choice(CARE_TOPICS)))
    return visits


def _other_visits(t: _Town, households: Sequence[Household], secretaries: dict[str, str],
                  workers: dict[str, str], count: int) -> list[Visit]:
    """Home visits, 书记爱串门 visits and compound rounds over the past year, some with a follow-up."""
    rng, visits = t.rng, []
    for _ in range(count):
        household = rng.choice(households)
        at = t.now - timedelta(days=rng.uniform(0, 360))
        roll = rng.random()
        follow = rng.choice(FOLLOW_UPS) if rng.random() < 0.2 else ""
        due = local_day(at) + timedelta(days=7) if follow else None
        done = due - timedelta(days=rng.randint(0, 6)) if follow and due and due < t.today else None
        if roll < 0.2:
            kind, visitor, topic = VisitKind.SECRETARY, secretaries.get(household.region_id[:12], "社区书记"), \
                rng.choice(SECRETARY_TOPICS)
        elif roll < 0.3:
            visits.append(Visit(region_id=household.building.compound.region_id,
                                compound_id=household.building.compound_id, kind=VisitKind.COMPOUND,
                                visitor_name=workers.get(household.region_id, "网格员"), visited_at=at,
                                topic=rng.choice(COMPOUND_TOPICS)))
            continue
        else:
            kind, visitor, topic = VisitKind.HOME, workers.get(household.region_id, "网格员"), rng.choice(HOME_TOPICS)
        visits.append(Visit(region_id=household.region_id, household_id=household.pk, kind=kind, visitor_name=visitor,
                            visited_at=at, topic=topic, follow_up=follow, follow_up_due_on=due,
                            follow_up_done_on=done))
    return visits


def _meetings(t: _Town) -> int:
    """A dozen 凉亭会 / 恳谈会 in random grids, filing the issues raised through the service."""
    rng = t.rng
    categories = {c.code: c for c in IssueCategory.objects.filter(active=True)}
    for n in range(MEETINGS):
        grid = t.grids[rng.randrange(len(t.grids))]
        held_at = t.now - timedelta(days=rng.uniform(1, 300))
        topic, outcome = rng.choice(MEETING_TOPICS)
        raised = [RaisedIssue(categories[code], text, f"{grid.region.name}{rng.randint(1, 12)}号楼")
                  for code, text in rng.sample(RAISED, rng.randint(0, 3)) if code in categories]
        place = f"{grid.region.name}{'凉亭' if n % 3 else '活动室'}"
        record_residents_meeting(grid.region, "pavilion" if n % 3 else "talk", held_at, place,
                                 _name(rng) + "（网格长）", rng.randint(8, 60), "居民代表、楼栋长、物业代表", topic,
                                 outcome, raised, None, held_at)
    return MEETINGS


def build_visits(t: _Town, housing: _Housing) -> int:
    """Care households, visits over the past year and residents' meetings; returns the number of visits."""
    rng = t.rng
    workers = {grid.region_id: _name(rng) for grid in t.grids}
    secretaries = {community.code: _name(rng) for community in t.communities}
    entries = _care_households(t, housing.residents, housing.households)
    visits = _care_visits(t, entries, workers, t.size.visits // 2)
    visits += _other_visits(t, housing.households, secretaries, workers, max(0, t.size.visits - len(visits)))
    Visit.objects.bulk_create(visits, batch_size=2000)
    _meetings(t)
    return len(visits)
