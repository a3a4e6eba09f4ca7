"""The demo history's incidents: readings shaped so the real alarm rules raise every kind of alarm.

Each story is a well and a day near the end of the history on which its terminal reports every 5
minutes for an hour and a half (a burst) showing the fault: energy without water (旁通偷水), water
without energy, an abnormal ratio, a register stepping back or jumping, the cabinet door open, AC
power lost, a meter fault, a clock running ahead, a low battery and a parameter change on a monitoring
well; two terminals fall silent for three days (offline). The alarms are then raised by the rules
themselves (``alarms.evaluation.evaluate_terminal`` at each burst reading, as the minutely job
would have), the over-plan well by the same evaluation given its quota share, and the groundwater
decline by the fusion of the monitoring well with the extraction around it (``groundwater.fusion``).

Afterwards some alarms are handled as operators would: acknowledged, assigned to the county's
maintenance staff (work order), resolved with a photo; some stay open. The debounce counters of
the history are then dropped, so the live evaluation starts afresh and does not close the
history's alarms on its first quiet minute.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Sum

from changji.core import localtime
from changji.core.models import Region, Role
from changji.water.alarms import rules, service
from changji.water.alarms.evaluation import apply_signals, evaluate_terminal
from changji.water.alarms.workflow import AlarmState
from changji.water.groundwater import baseline
from changji.water.groundwater.fusion import extraction_index, fuse, judged_series
from changji.water.models import Alarm, AlarmRuleState, ControlLevel, DailyUsage, Terminal, Well
from changji.water.sim import pumping
from changji.water.sim.fleet import FleetWell
from changji.water.sim.stories import CLOCK_AHEAD, RECEIVE_DELAY, Burst, WellStory, roles_of, started_at

K = rules.AlarmKind
#: Incidents of extraction wells, each on its own well, in fleet order after the register stories.
EXTRACTION_INCIDENTS = (K.ENERGY_WITHOUT_WATER, K.WATER_WITHOUT_ENERGY, K.RATIO_ABNORMAL, K.REGISTER_REVERSAL,
                        K.IMPOSSIBLE_JUMP, K.DOOR_OPEN, K.AC_POWER_LOST, K.METER_FAULT, K.CLOCK_DRIFT)
BURST_READINGS = 18
#: How the demo's alarms are handled afterwards; kinds not listed stay open.
HANDLING: dict[str, str] = {
    K.ENERGY_WITHOUT_WATER: "assigned", K.WATER_WITHOUT_ENERGY: "assigned", K.METER_FAULT: "assigned",
    K.REGISTER_REVERSAL: "resolved", K.IMPOSSIBLE_JUMP: "resolved", K.PARAMETER_CHANGE: "resolved",
    K.RATIO_ABNORMAL: "acknowledged", K.AC_POWER_LOST: "acknowledged", K.CLOCK_DRIFT: "acknowledged",
}
RESULTS: dict[str, str] = {
    K.REGISTER_REVERSAL: "现场核查：流量计被人为回拨，已重新铅封并对用水户立案调查。",
    K.IMPOSSIBLE_JUMP: "现场核查：流量计主板受潮导致读数跳变，已更换主板，当日用水量按以电折水核定。",
    K.PARAMETER_CHANGE: "现场核查：厂家远程升级修改了上报间隔，参数已恢复并登记。",
}
#: A 1×1 grey PNG: the demo's stand-in for the site photo a resolved alarm carries.
PHOTO_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")


def _times(day: date, count: int = BURST_READINGS) -> list[datetime]:
    start = started_at(day) + timedelta(hours=13)
    return [start + timedelta(minutes=5 * (n + 1)) for n in range(count)]


def burst_of(kind: str, well: FleetWell, day: date) -> Burst:
    """The readings that show ``kind`` on ``day`` (13:05–14:30 local) and what the registers keep after."""
    times = _times(day)
    burst = Burst(kind=kind, day=day)
    ratio = well.ratio_m3_per_kwh or 2.0
    if kind == K.ENERGY_WITHOUT_WATER:  # the pump runs, the meter sees nothing: water goes around it
        burst.readings = [(t, {"pump_on": True, "flow_m3h": 0.0, "energy_rise": 1.0 * (n + 1)})
                          for n, t in enumerate(times)]
        burst.after = (0.0, 1.0 * len(times))
    elif kind == K.WATER_WITHOUT_ENERGY:  # water metered, the electricity meter bypassed
        burst.readings = [(t, {"pump_on": True, "flow_m3h": 30.0, "volume_rise": 2.5 * (n + 1)})
                          for n, t in enumerate(times)]
        burst.after = (2.5 * len(times), 0.0)
    elif kind == K.RATIO_ABNORMAL:  # half the water the coefficient says per kWh: a meter reading low
        per_kwh = 0.5 * ratio
        burst.readings = [(t, {"pump_on": True, "flow_m3h": round(0.9 * per_kwh * 12, 2),
                               "energy_rise": 0.9 * (n + 1), "volume_rise": 0.9 * per_kwh * (n + 1)})
                          for n, t in enumerate(times)]
        burst.after = (0.9 * per_kwh * len(times), 0.9 * len(times))
    elif kind == K.REGISTER_REVERSAL:
        burst.readings, burst.after = [(times[0], {"volume_rise": -400.0})], (-400.0, 0.0)
    elif kind == K.IMPOSSIBLE_JUMP:
        burst.readings, burst.after = [(times[0], {"volume_rise": 5000.0})], (5000.0, 0.0)
    else:
        burst.readings = [(t, fields) for t, fields in zip(times, _state_fields(kind), strict=True)]
    return burst


def _state_fields(kind: str) -> list[dict]:
    """Per-reading fields of the condition incidents (registers still, the pump off)."""
    count = BURST_READINGS
    if kind == K.DOOR_OPEN:  # open for an hour, then closed again: the alarm clears by itself
        return [{"door_open": n < 12} for n in range(count)]
    if kind == K.AC_POWER_LOST:
        return [{"ac_power_lost": True}] * count
    if kind == K.METER_FAULT:  # SZY206 alarm word D5: flowmeter fault; the flow is missing
        return [{"flow_m3h": None, "native": {"alarm_bits": [5], "status_bits": [4, 5]}}] * count
    if kind == K.CLOCK_DRIFT:  # the terminal's clock runs 15 minutes ahead
        return [{"clock_ahead": True}] * count
    if kind == K.LOW_BATTERY:
        return [{"battery_v": round(10.8 - 0.02 * n, 2)} for n in range(count)]
    if kind == K.PARAMETER_CHANGE:  # SL651 ERC2 counts parameter changes: someone changed a setting
        return [{"native": {"ZT": 1 << 7, "events": {"ERC2": 3 if n < 6 else 4}}} for n in range(count)]
    return [{}] * count


def _nearest_crowd(monitoring: Sequence[FleetWell], fleet: Sequence[FleetWell]) -> FleetWell:
    """The monitoring well with the most extraction wells around it (where a decline is most plausible)."""
    def crowd(well: FleetWell) -> int:
        return sum(1 for other in fleet if other.kind == "extraction"
                   and abs(other.latitude - well.latitude) < 0.09 and abs(other.longitude - well.longitude) < 0.12)
    return max(monitoring, key=crowd)


def plan_stories(fleet: Sequence[FleetWell], first_day: date, last_day: date, seed: int = 2026
                 ) -> dict[str, WellStory]:
    """Choose the wells and days of every story; return code → story."""
    stories: dict[str, WellStory] = {}
    span = (last_day - first_day).days
    replacements = gaps = 0
    for code, role in roles_of(fleet).items():
        story = stories[code] = WellStory(role=role)
        if role == "replacement":
            day = first_day + timedelta(days=int(span * (0.35 + 0.3 * replacements)))
            story.replaced_at = started_at(day) + timedelta(hours=10, minutes=30)
            replacements += 1
        elif role == "gap":
            start = started_at(max(first_day + timedelta(days=1), last_day - timedelta(days=8 + 12 * gaps)))
            story.silent = (start + timedelta(hours=2), start + timedelta(days=3, hours=2))
            gaps += 1
    taken = set(stories)
    candidates = [w for w in fleet if w.kind == "extraction" and not pumping.over_plan(w) and w.code not in taken]
    for index, (well, kind) in enumerate(zip(candidates, EXTRACTION_INCIDENTS, strict=False)):
        day = max(first_day + timedelta(days=1), last_day - timedelta(days=2 + index))
        stories[well.code] = WellStory(role=kind, bursts=[burst_of(kind, well, day)])
    monitoring = [w for w in fleet if w.kind == "monitoring"]
    if monitoring:
        story = stories[monitoring[0].code] = WellStory(role="monitoring", bursts=[
            burst_of(K.LOW_BATTERY, monitoring[0], max(first_day + timedelta(days=1), last_day - timedelta(days=3))),
            burst_of(K.PARAMETER_CHANGE, monitoring[0], max(first_day + timedelta(days=2),
                                                            last_day - timedelta(days=6))),
        ])
        declining = _nearest_crowd(monitoring, fleet)
        decline_story = stories.setdefault(declining.code, WellStory(role="monitoring"))
        decline_story.decline = decline_window(first_day, last_day)
    return stories


def decline_window(first_day: date, last_day: date) -> tuple[date, date]:
    """The 30 days of the decline: the latest July in the history, else the 30 days before its end."""
    for year in (last_day.year, last_day.year - 1):
        start, end = date(year, 7, 1), date(year, 7, 30)
        if first_day <= start and end <= last_day:
            return start, end
    end = last_day - timedelta(days=1)
    return max(first_day, end - timedelta(days=29)), end


def _demo_staff(county_codes: set[str]) -> tuple[dict[str, object], dict[str, object]]:
    """Per county a dispatching operator and a maintenance worker (运维人员), made once; no password."""
    user_model = get_user_model()
    operators: dict[str, object] = {}
    workers: dict[str, object] = {}
    for region in Region.objects.filter(code__in=county_codes):
        for role, prefix, title, into in ((Role.COUNTY_OPERATOR, "diaodu", "调度员", operators),
                                          (Role.MAINTENANCE_WORKER, "yunwei", "运维员", workers)):
            user, created = user_model.objects.get_or_create(
                username=f"{prefix}-{region.code}",
                defaults={"role": role, "region": region, "last_name": f"{region.name}{title}（演示）"})
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            into[region.code] = user
    return operators, workers


def _evaluate_bursts(stories: dict[str, WellStory], terminals: dict[str, Terminal], last_day: date) -> None:
    for code, story in stories.items():
        terminal = terminals.get(code)
        if terminal is None:
            continue
        for burst in sorted(story.bursts, key=lambda b: b.day):  # in time order, as the job would have seen them
            for at, fields in burst.readings:  # judged as the minutely job would, just after each report arrived
                received = at - CLOCK_AHEAD if fields.get("clock_ahead") else at + RECEIVE_DELAY
                evaluate_terminal(terminal, received + timedelta(seconds=30))
        if story.silent is not None:
            evaluate_terminal(terminal, story.silent[0] + timedelta(hours=1))
            if story.silent[1] < started_at(last_day - timedelta(days=10)):
                # the older gap ended: the first report after it clears the alarm (the rule's own clearing)
                after = terminal.readings.filter(observed_at__gte=story.silent[1]).order_by("observed_at").first()
                if after is not None:
                    evaluate_terminal(terminal, after.received_at + timedelta(seconds=10))


def _over_quota(fleet: Sequence[FleetWell], terminals: dict[str, Terminal], first_day: date, last_day: date,
                seed: int) -> None:
    """Judge OVER_QUOTA on the over-plan wells with their share of the plan the demo seeds for them.

    The share is the calendar year's use over :func:`pumping.plan_volume_m3`; for a history shorter
    than the season, the busiest month's use over that month's part of the plan.
    """
    for well in (w for w in fleet if pumping.over_plan(w) and w.code in terminals):
        terminal = terminals[well.code]
        plan = pumping.plan_volume_m3(well, seed)
        if plan <= 0 or terminal.well_id is None:
            continue
        share = _year_share(terminal.well_id, plan, last_day) or 0.0
        if share < 1.0:
            share = max(share, _month_share(well, terminal.well_id, plan, first_day, last_day))
        if share >= 1.0:  # judged just after the day's noon report, so the terminal is not also found silent
            evaluate_terminal(terminal, started_at(last_day) + timedelta(hours=12, minutes=5),
                              quota_share=round(share, 3))
            return


def _year_share(well_id: int, plan: float, last_day: date) -> float | None:
    used = DailyUsage.objects.filter(well_id=well_id, day__gte=date(last_day.year, 1, 1),
                                     day__lte=last_day).aggregate(total=Sum("usage_m3"))["total"]
    return None if used is None else used / plan


def _month_share(well: FleetWell, well_id: int, plan: float, first_day: date, last_day: date) -> float:
    year_weight = sum(pumping.season_weight(well.use, date(2025, 1, 1) + timedelta(days=n)) for n in range(365))
    best = 0.0
    month = localtime.month_of(first_day)
    while month <= last_day:
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        days = [month + timedelta(days=n) for n in range((following - month).days)]
        weight = sum(pumping.season_weight(well.use, day) for day in days)
        used = DailyUsage.objects.filter(well_id=well_id, day__gte=max(month, first_day),
                                         day__lt=following).aggregate(total=Sum("usage_m3"))["total"] or 0.0
        if weight > 0 and days[0] >= first_day and days[-1] <= last_day:
            best = max(best, used / (plan * weight / year_weight))
        month = following
    return best


def _decline(stories: dict[str, WellStory], registry: dict[str, Well], terminals: dict[str, Terminal]) -> None:
    """Judge the decline of the shaped monitoring well as the daily sweep does, on the last day of its fall.

    The rule wants the extraction within 5 km; a small demo fleet may have no well that close, so the
    radius widens (10, 20, 40 km) until the wells around it are found, and the evidence says which.
    """
    rule = rules.RULES[K.GROUNDWATER_DECLINE]
    index = extraction_index()
    for code, story in stories.items():
        if story.decline is None or code not in terminals:
            continue
        last = story.decline[1]
        for radius in (5.0, 10.0, 20.0, 40.0, 80.0):
            fusion = fuse(registry[code], last, 30, index, radius_km=radius, **rule.thresholds)
            if fusion.warning is not None:
                break
        if fusion.warning is None or fusion.trend is None:
            continue
        evidence = {"window": f"{fusion.first}..{fusion.last}", "nearby_wells": len(fusion.nearby),
                    "radius_km": radius, "nearby_extraction_m3": round(fusion.nearby_extraction_m3, 1),
                    "slope_m_per_30d": round(fusion.trend.slope_m_per_day * 30, 3), "level": fusion.warning.level}
        # the daily sweep's judgement (groundwater.baseline): against the same week of earlier years and the red line
        red_line = ControlLevel.objects.filter(well=registry[code]).values_list("control_depth_m", flat=True).first()
        judgement = baseline.judge(judged_series(registry[code], last), last, red_line)
        if judgement.alarmed:
            evidence.update(judgement.evidence())
        severity = rules.Severity.CRITICAL if evidence["level"] == "critical" else rule.severity
        at = localtime.day_bounds(last)[1]
        apply_signals(terminals[code], [rules.Signal(K.GROUNDWATER_DECLINE, True, severity, at, None, evidence)], at)


def _handle(alarms: Sequence[Alarm], operators: dict[str, object], workers: dict[str, object],
            last_day: date) -> None:
    """Acknowledge, assign and resolve some of the demo's alarms, as the county's staff would."""
    photo = default_storage.save("alarm-photos/demo-site-check.png", ContentFile(PHOTO_PNG))
    for alarm in alarms:
        goal = HANDLING.get(alarm.kind)
        county = alarm.terminal.region_id
        operator, worker = operators.get(county), workers.get(county)
        if goal is None or operator is None or alarm.state != AlarmState.OPEN:
            continue
        service.acknowledge(alarm, operator, note="已确认，安排现场核查")
        if goal == "acknowledged" or worker is None:
            continue
        service.assign(alarm, operator, assignee=worker, due=last_day + timedelta(days=3), note="请三日内到场核查")
        if goal == "resolved":
            service.resolve(alarm, operator, result=RESULTS.get(alarm.kind, "现场核查完毕。"), evidence=photo)


def raise_alarms(fleet: Sequence[FleetWell], registry: dict[str, Well], terminals_by_well: dict[int, Terminal],
                 stories: dict[str, WellStory], first_day: date, last_day: date, seed: int = 2026) -> int:
    """Raise the stories' alarms through the rules, handle some, and drop the counters; return alarms made."""
    terminals = {code: terminals_by_well[well.pk] for code, well in registry.items() if well.pk in terminals_by_well}
    for code, terminal in terminals.items():
        terminal.well = registry[code]
    before = set(Alarm.objects.values_list("pk", flat=True))
    _evaluate_bursts(stories, terminals, last_day)
    _over_quota(fleet, terminals, first_day, last_day, seed)
    _decline(stories, registry, terminals)
    made = list(Alarm.objects.exclude(pk__in=before).select_related("terminal").order_by("raised_at"))
    operators, workers = _demo_staff({t.region_id for t in terminals.values()})
    _handle(made, operators, workers, last_day)
    AlarmRuleState.objects.filter(terminal__in=list(terminals.values())).delete()
    return len(made)
