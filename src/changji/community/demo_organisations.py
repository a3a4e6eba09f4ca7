"""Demo 网格党组织 and 包联 of 木垒镇: organisations for most grids, leaders, cadres and units attached.

Called once from ``community.demo.build_town`` after the party members, units and compounds exist; draws from
the town's random source in a fixed order, so a seed gives the same data. About one grid in eight has no
organisation (the coverage figure is not 100 %), and about a third of the organisations lack an element of
全要素 (no venue, rules not posted, no activity in the last year, or too few members). Each community has a
county or township leader attached; cadres of county departments look after some compounds; co-building units
look after grids, with duties on the four lists of 一书四单 (some done).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from changji.community.models import (
    AgreementList,
    CoBuildingUnit,
    Compound,
    GridPartyOrganisation,
    Liaison,
    LiaisonDuty,
    LiaisonKind,
    PartyMember,
    PartyOrganisationKind,
)

LEADERS = (("县委常委、组织部部长", "县委组织部"), ("副县长", "县人民政府"), ("县人大常委会副主任", "县人大常委会"),
           ("县政协副主席", "县政协"), ("镇党委书记", "木垒镇党委"), ("镇长", "木垒镇人民政府"))
CADRE_UNITS = ("县住建局", "县民政局", "县卫健委", "县教育局", "县市场监管局", "县自然资源局", "县公安局")
DUTIES = {
    AgreementList.NEEDS: ("摸排老旧小区加装电梯需求", "收集独居老人助餐需求", "梳理停车难点位"),
    AgreementList.RESOURCES: ("提供单位会议室作为议事场所", "派驻医护人员每月义诊", "开放单位食堂助老助餐"),
    AgreementList.PROJECTS: ("楼道照明改造", "小区健身器材更新", "雨污管网疏通"),
    AgreementList.RESPONSIBILITIES: ("每月入户走访困难家庭", "参加四方联动会议", "牵头化解邻里纠纷"),
}
NO_ORGANISATION = 0.12
ELEMENT_GAP = 0.35


def _name(rng: random.Random) -> str:
    return rng.choice("王李张刘陈杨赵黄周吴马朱胡郭何高") + rng.choice("建国玉兰志强海燕文华丽娟")


def _organisations(rng: random.Random, grids: list[Any], members: dict[str, list[PartyMember]],
                   today: date) -> list[GridPartyOrganisation]:
    """One branch per covered grid, a few elements missing here and there; members chosen from its community."""
    made: list[tuple[GridPartyOrganisation, Any, list[PartyMember]]] = []
    for grid in grids:
        if rng.random() < NO_ORGANISATION:
            continue
        pool = members.get(grid.region_id[:12], [])
        chosen = rng.sample(pool, min(len(pool), rng.randint(2, 9)))
        gap = rng.random() < ELEMENT_GAP
        lacking = rng.choice(("venue", "rules", "activity", "members")) if gap else ""
        if lacking == "members":
            chosen = chosen[:2]
        secretary = chosen[0] if chosen else None
        organisation = GridPartyOrganisation(
            region_id=grid.region_id[:12], name=f"{grid.region.name}党支部", kind=PartyOrganisationKind.BRANCH,
            secretary=secretary, secretary_name=secretary.name if secretary else _name(rng),
            venue="" if lacking == "venue" else f"{grid.region.name}党群服务站", rules_posted=lacking != "rules",
            last_activity_on=today - timedelta(days=rng.randint(400, 700) if lacking == "activity"
                                               else rng.randint(3, 90)),
            founded_on=today - timedelta(days=rng.randint(400, 2000)))
        made.append((organisation, grid, chosen))
    saved = GridPartyOrganisation.objects.bulk_create([m[0] for m in made])
    grid_links = GridPartyOrganisation.grids.through
    member_links = GridPartyOrganisation.members.through
    grid_links.objects.bulk_create([grid_links(gridpartyorganisation_id=o.pk, grid_id=g.pk)
                                    for o, (_, g, _) in zip(saved, made, strict=True)])
    member_links.objects.bulk_create([member_links(gridpartyorganisation_id=o.pk, partymember_id=m.pk)
                                      for o, (_, _, ms) in zip(saved, made, strict=True) for m in ms])
    return saved


def _duties(rng: random.Random, liaison: Liaison, today: date) -> list[LiaisonDuty]:
    return [LiaisonDuty(liaison=liaison, list_kind=kind, text=rng.choice(texts),
                        done_on=today - timedelta(days=rng.randint(1, 120)) if rng.random() < 0.4 else None)
            for kind, texts in DUTIES.items() if rng.random() < 0.8]


def _liaisons(rng: random.Random, t: Any, units: list[CoBuildingUnit], compounds: list[Compound]) -> list[Liaison]:
    """A leader per community, cadres on some compounds, units on grids of their community."""
    today = t.today
    rows: list[Liaison] = []
    for community in t.communities:
        title, _ = rng.choice(LEADERS)
        rows.append(Liaison(region=community, kind=LiaisonKind.LEADER, name=_name(rng), title=title,
                            commitment="每季度到包联社区调研一次，协调解决群众急难愁盼问题。",
                            starts_on=today - timedelta(days=rng.randint(60, 700))))
    for compound in compounds[::4]:
        rows.append(Liaison(region_id=compound.region_id, compound=compound, kind=LiaisonKind.CADRE,
                            name=_name(rng), title=f"{rng.choice(CADRE_UNITS)}干部",
                            starts_on=today - timedelta(days=rng.randint(30, 500))))
    grids_of: dict[str, list[Any]] = defaultdict(list)
    for grid in t.grids:
        grids_of[grid.region_id[:12]].append(grid)
    for unit in units:
        grids = grids_of.get(unit.region_id, [])
        if grids:
            rows.append(Liaison(region_id=rng.choice(grids).region_id, kind=LiaisonKind.UNIT, name=unit.name,
                                unit=unit, starts_on=today - timedelta(days=rng.randint(30, 400))))
    rows = Liaison.objects.bulk_create(rows)
    if rows:  # one ended attachment, to show the history
        rows[-1].ends_on = today - timedelta(days=10)
        rows[-1].save(update_fields=["ends_on"])
    LiaisonDuty.objects.bulk_create([d for liaison in rows for d in _duties(rng, liaison, today)])
    return rows


def build_organisations(t: Any, members: list[PartyMember], units: list[CoBuildingUnit],
                        compounds: list[Compound]) -> int:
    """Make the organisations and 包联 of the demo town ``t`` (``demo._Town``); return how many rows were made."""
    by_community: dict[str, list[PartyMember]] = defaultdict(list)
    for member in members:
        by_community[member.region_id].append(member)
    organisations = _organisations(t.rng, list(t.grids), by_community, t.today)
    return len(organisations) + len(_liaisons(t.rng, t, units, compounds))
