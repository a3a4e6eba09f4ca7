"""Licences for the demo fleet (``changji demo``): every demo water user holds one covering its wells.

Deterministic per water user (its code seeds the choices), idempotent (a user that holds a licence is left as it
is), and made through ``service.save_licence`` / ``transition_licence`` like any licence, so the demo's licences
have their audit history. The permitted volume is the wells' rated flow × the hours a year a well of that use runs
(``HOURS``, above what the demo history pumps), rounded to 1,000 m³; terms run 3 to 5 years. A few licences end
within 30 and 90 days (so the expiry warnings show), one surface-water licence is suspended, and the first water
user with two wells or more has its last well left out (on the first run). After the history, ``licence_late_wells``
judges that well's last day of unlicensed pumping (the 无证取水 alarm is raised) and then issues its licence (补办), so
the alarm clears and every demo well ends up licensed.
"""

from __future__ import annotations

import random
import zlib
from datetime import date, timedelta

from django.db.models import Count

from changji.core import localtime
from changji.core.models import Region
from changji.water.licences.expiry import sweep_unlicensed
from changji.water.licences.service import save_licence, transition_licence
from changji.water.licences.states import State
from changji.water.models import (
    DailyUsage,
    Licence,
    LicenceState,
    WaterSource,
    WaterUser,
    WaterUserKind,
    Well,
    WellKind,
    WellUse,
)

ACTOR = "demo"
#: Hours a year a well of each use runs, for the permitted volume.
#: Above what the demo history pumps to plan (``sim.pumping.planned_hours``: farmland 1,300–1,500 h, industry
#: 4,000–4,800 h, domestic 1,000–1,200 h), so every plan fits its licence.
HOURS: dict[str, float] = {WellUse.AGRICULTURAL: 1600.0, WellUse.INDUSTRIAL: 5000.0, WellUse.DOMESTIC: 1300.0}


def _term(rng: random.Random, index: int, year: int, day: date) -> tuple[date, date]:
    """The licence's term: mostly 3–5 years around ``year``; every 11th ends within 90 days, every 13th within 30."""
    start = date(year - rng.randint(0, 2), 1, 1)
    if index % 13 == 5:
        return start, day + timedelta(days=rng.randint(5, 29))
    if index % 11 == 4:
        return start, day + timedelta(days=rng.randint(31, 89))
    end = date(start.year + rng.randint(3, 5), 1, 1) - timedelta(days=1)
    return start, max(end, date(day.year + 1, 12, 31))


def seed_licences(year: int) -> int:
    """Give every demo water user without a licence one covering its wells; return how many were registered."""
    day = localtime.today()
    counties = dict(Region.objects.values_list("code", "name"))
    users = (WaterUser.objects.annotate(licence_count=Count("licences")).filter(licence_count=0)
             .select_related("region").order_by("code"))
    # Leave one well without a licence, once: only when no licence exists yet (a later run leaves things be).
    spare = not Licence.objects.exists()
    made = 0
    for index, user in enumerate(users):
        wells = list(user.wells.filter(kind=WellKind.EXTRACTION).order_by("code"))
        if not wells:
            continue
        if spare and len(wells) > 1:
            wells, spare = wells[:-1], False  # left without a licence: the 无证取水 alarm's demo
        rng = random.Random(zlib.crc32(user.code.encode()))
        use = wells[0].use
        start, end = _term(rng, index, year, day)
        volume = sum(w.pump_rated_flow_m3h or 0.0 for w in wells) * HOURS.get(use, 1500.0)
        enterprise = user.kind == WaterUserKind.ENTERPRISE
        authority = "昌吉州水利局" if enterprise else f"{counties.get(user.region.code[:6], '昌吉州')}水利局"
        save_licence({
            "number": f"取水（昌）字〔{start.year}〕第{user.code}号", "water_user": user,
            "source": WaterSource.GROUNDWATER, "purpose": use, "permitted_m3_per_year": round(volume, -3),
            "valid_from": start, "valid_to": end, "issuing_authority": authority, "wells": wells,
        }, ACTOR)
        if index == 3:  # its surface-water licence (渠灌, no well) is suspended; its wells stay licensed
            surface = save_licence({
                "number": f"取水（昌）字〔{start.year}〕地表第{user.code}号", "water_user": user,
                "source": WaterSource.SURFACE, "purpose": use, "permitted_m3_per_year": round(volume / 2, -3),
                "valid_from": start, "valid_to": end, "issuing_authority": authority, "wells": [],
            }, ACTOR)
            transition_licence(surface, State.SUSPENDED, ACTOR, "超许可水量取水，责令限期整改（演示）")
        made += 1
    return made


def licence_late_wells() -> int:
    """Issue a licence (补办) to each extraction well without a valid one, after judging its unlicensed pumping.

    The last day the well took water without a licence is judged first (``expiry.sweep_unlicensed``: the
    无证取水 alarm is raised on its evidence); the licence then runs from the next day, and judging that day
    (covered now) clears the alarm, even when the last unlicensed pumping was yesterday. Returns how many
    wells were licensed.
    """
    day = localtime.today()
    covered = Licence.objects.filter(state=LicenceState.VALID, valid_from__lte=day, valid_to__gte=day)
    late = list(Well.objects.filter(kind=WellKind.EXTRACTION, water_user__isnull=False)
                .exclude(licences__in=covered).select_related("water_user").order_by("code"))
    for well in late:
        pumped = (DailyUsage.objects.filter(well=well, usage_m3__gt=0, day__lt=day).order_by("-day")
                  .values_list("day", flat=True).first())
        if pumped is not None:
            sweep_unlicensed(pumped)
        start = (pumped or day - timedelta(days=1)) + timedelta(days=1)
        save_licence({
            "number": f"取水（昌）字〔{start.year}〕补第{well.code}号", "water_user": well.water_user,
            "source": WaterSource.GROUNDWATER, "purpose": well.use,
            "permitted_m3_per_year": round((well.pump_rated_flow_m3h or 0.0) * HOURS.get(well.use, 1600.0), -3),
            "valid_from": start, "valid_to": date(start.year + 5, 12, 31),
            "issuing_authority": "昌吉州水利局", "wells": [well],
        }, ACTOR)
        sweep_unlicensed(start)  # the first day the licence covers: the alarm clears
    return len(late)
