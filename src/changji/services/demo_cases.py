"""Demo case history (演示数据): about 600 cases of 阜康市 (652302) over the past six months, for the figures.

``seed_demo_cases(today)`` files them on the current bundles of 阜康市 (the demo catalogue's YJS-CY, YJS-LS,
YJS-MR, YJS-ZL, YJS-YH and whatever other current bundle it finds), at the window and online, bulk-created as
``benchmarks/services.py`` does: sub-cases with their decisions (即办 items decided at the window in the same
visit), visits mostly one and some two, results delivered each way, ratings with reasons and per department, and
the last weeks' cases still open, a few of them overdue. Each case is recognisable as demo data: its applicant is
from ``APPLICANTS`` (names ending in （演示）) and it has one ``CaseEvent`` noted ``DEMO_NOTE``. Idempotent: nothing
is added when demo cases exist. Plain rows: no audit entries, materials or notices for them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery

from changji.services import bundles, workdays
from changji.services.catalogue import current_bundles
from changji.services.models import (
    Bundle,
    Case,
    CaseEvent,
    DeliveryMethod,
    DepartmentRating,
    Item,
    SubCase,
)
from changji.services.ratings import REASONS
from changji.services.workflow import CaseState, SubCaseState

__all__ = ["APPLICANTS", "DEMO_NOTE", "seed_demo_cases"]

REGION = "652302"  # 阜康市
DEMO_NOTE = "演示数据"
DAYS = 182  # about six months
#: Demo applicants (企业 with a made-up credit code of the shape 91652302DEMOnnnnnn).
APPLICANTS = [f"{name}（演示）" for name in (
    "阜康市天池餐饮有限公司", "阜康市博峰便利店", "阜康市雪莲美容美发店", "阜康市瑶池房产中介有限公司",
    "阜康市通达公路养护有限公司", "阜康市丝路商贸有限公司", "阜康市金泉食品加工厂", "阜康市顺达运输有限公司",
    "阜康市康乐家政服务部", "阜康市甘泉堡汽车维修部", "阜康市北庭小吃店", "阜康市梧桐超市",
)]
#: Reasons ticked with a good and with a poor rating (``services.ratings.REASONS`` codes).
GOOD_REASONS = tuple(reason.code for reason in REASONS if reason.good)
POOR_REASONS = tuple(reason.code for reason in REASONS if not reason.good)


def _reason_codes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reason codes to tick with a good and with a poor rating."""
    return GOOD_REASONS, POOR_REASONS


@dataclass
class _Plan:
    """What one demo case becomes: its row, and its sub-cases' (item id, department id, spec)."""

    case: Case
    items: list[tuple[int, int, bundles.ItemSpec]]
    open_share: float  #: the chance each sub-case is still open (0 for a finished case)


def _catalogue(today: date) -> list[tuple[Bundle, bundles.Definition]]:
    found = current_bundles(today).filter(region_id=REGION).order_by("code")
    return [(b, bundles.definition_from_json(b.definition)) for b in found if b.definition]


def _state(rng: random.Random, age: int) -> str:
    roll = rng.random()
    if age <= 3 and roll < 0.4:
        return rng.choice([CaseState.SUBMITTED, CaseState.CORRECTION])
    if roll < 0.03:
        return CaseState.REFUSED
    if age <= 21 and roll < 0.45:
        return CaseState.ACCEPTED
    if age <= 30 and roll < 0.6:
        return CaseState.RESULTS_READY
    return CaseState.ISSUED if roll < 0.35 else CaseState.RATED


def _answers(rng: random.Random, definition: bundles.Definition) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in definition.questions:
        if q.kind == "bool":
            answers[q.name] = rng.random() < 0.5
        elif q.choices:
            answers[q.name] = rng.choice(q.choices)
    for item in definition.items:
        for f in item.fields:
            if f.name not in answers:
                answers[f.name] = rng.choice(f.choices) if f.choices else (
                    rng.randint(1, 50) if f.kind == "number" else "演示数据")
    return answers


def _delivery(rng: random.Random, case: Case) -> None:
    case.delivery_method = rng.choices([DeliveryMethod.WINDOW, DeliveryMethod.POSTAL, DeliveryMethod.E_LICENCE],
                                       [60, 15, 25])[0]
    if case.delivery_method == DeliveryMethod.POSTAL:
        case.postal_recipient, case.postal_address = "张某（演示）", "阜康市博峰街 8 号"
        case.postal_tracking_number = f"SF{rng.randrange(10**12):012d}"
    in_person = case.channel == "window" or case.delivery_method == DeliveryMethod.WINDOW
    case.visits = (2 if rng.random() < 0.12 else 1) if in_person else 0


def _case(rng: random.Random, today: date, bundle: Bundle, definition: bundles.Definition, number: int,
          items: dict[str, tuple[int, int]]) -> _Plan:
    age = rng.randint(1, DAYS)
    day = today - timedelta(days=age)
    submitted_at = datetime.combine(day, time(rng.randint(1, 9), rng.randint(0, 59)), UTC)  # 09:00–17:59 local
    channel = "online" if bundle.online_allowed and rng.random() < 0.45 else "window"
    state = _state(rng, age)
    answers = _answers(rng, definition)
    accepted = state not in (CaseState.SUBMITTED, CaseState.CORRECTION, CaseState.REFUSED)
    n = rng.randrange(len(APPLICANTS))
    issued = state in (CaseState.ISSUED, CaseState.RATED)
    case = Case(
        receipt_number=f"{REGION}{day:%Y%m%d}{number:05d}", query_code=f"{rng.randrange(10**6):06d}",
        bundle=bundle, region_id=REGION, applicant_kind="enterprise", applicant_name=APPLICANTS[n],
        applicant_identifier=f"91{REGION}DEMO{n:06d}", applicant_phone="13800000000", channel=channel,
        form_data=answers, state=state, submitted_at=submitted_at, accepted_on=day if accepted else None,
        outcome="granted" if state in (CaseState.RESULTS_READY, CaseState.ISSUED, CaseState.RATED) else "",
        handed_to="本人" if issued else "",
    )
    _delivery(rng, case)
    if state == CaseState.CORRECTION:
        case.correction_list, case.correction_started_on = ["材料：经营场所使用证明"], day
    specs = bundles.applicable_items(definition.items, answers) if accepted else []
    planned = [(*items[s.code], s) for s in specs if s.code in items]
    return _Plan(case, planned, 0.6 if state == CaseState.ACCEPTED else 0.0)


def _sub_cases(rng: random.Random, plan: _Plan, today: date, add_days: Any) -> list[SubCase]:
    case, out = plan.case, []
    accepted: date = case.accepted_on  # type: ignore[assignment]  # planned only for accepted cases
    latest = case.submitted_at
    for item_id, department_id, spec in plan.items:
        sub = SubCase(case=case, item_id=item_id, department_id=department_id,
                      due_on=add_days(accepted, spec.promised_limit_days),
                      legal_due_on=add_days(accepted, spec.statutory_limit_days))
        if spec.instant and case.channel == "window":  # 即办: decided at the window in the same visit
            sub.state, sub.decided_at_window = SubCaseState.APPROVED, True
            sub.decided_at = case.submitted_at + timedelta(minutes=rng.randint(15, 40))
        elif rng.random() < plan.open_share:
            sub.state = rng.choice([SubCaseState.PENDING, SubCaseState.CLAIMED])
        else:
            late = rng.random() < 0.07
            taken = spec.promised_limit_days + rng.randint(1, 3) if late else rng.randint(0, spec.promised_limit_days)
            decided = min(add_days(accepted, taken), today)
            sub.state = SubCaseState.APPROVED
            sub.decided_at = datetime.combine(decided, time(rng.randint(1, 9)), UTC)
        if sub.decided_at is not None:
            sub.opinion = "符合条件（演示数据）"
            sub.licence_number = f"DEMO-{case.receipt_number}-{spec.code}"
            latest = max(latest, sub.decided_at)
        out.append(sub)
    if case.state in (CaseState.ISSUED, CaseState.RATED):
        case.issued_at = latest + timedelta(hours=1 if all(s.decided_at_window for s in out) else 20)
    return out


def _ratings(rng: random.Random, plan: _Plan, subs: list[SubCase]) -> list[DepartmentRating]:
    case = plan.case
    if case.state != CaseState.RATED:
        return []
    good, poor = _reason_codes()
    case.rating = rng.choices([5, 4, 3, 2, 1], [70, 18, 7, 3, 2])[0]
    reasons = good if case.rating >= 4 else poor
    case.rating_reasons = rng.sample(reasons, k=min(len(reasons), 1 + (rng.random() < 0.4)))
    out = []
    for department_id in dict.fromkeys(s.department_id for s in subs):
        score = max(1, min(5, case.rating + rng.choice([-1, 0, 0, 0, 1])))
        out.append(DepartmentRating(case=case, department_id=department_id, score=score,
                                    reasons=[rng.choice(good if score >= 4 else poor)]))
    return out


@transaction.atomic
def seed_demo_cases(today: date | None = None, count: int = 600, seed: int = 17) -> int:
    """File ``count`` demo cases over the ``DAYS`` days before ``today``; return how many (0: already there)."""
    if CaseEvent.objects.filter(note=DEMO_NOTE, case__region_id=REGION).exists():
        return 0
    today = today or workdays.today_in_shanghai()
    catalogue = _catalogue(today)
    if not catalogue:
        return 0
    codes = {spec.code for _, d in catalogue for spec in d.items}
    items = {code: (pk, dept) for code, pk, dept in
             Item.objects.filter(code__in=codes).values_list("code", "pk", "department_id")}
    start = today - timedelta(days=DAYS)
    taken = set(Case.objects.filter(receipt_number__startswith=REGION, submitted_at__date__gte=start)
                .values_list("receipt_number", flat=True))
    rng = random.Random(seed)
    add_days = lru_cache(maxsize=None)(workdays.add_working_days)
    plans: list[_Plan] = []
    per_day: dict[str, int] = {}
    for _ in range(count):
        bundle, definition = rng.choice(catalogue)
        plan = _case(rng, today, bundle, definition, 0, items)
        day = plan.case.receipt_number[len(REGION):len(REGION) + 8]
        number = per_day.get(day, 0) + 1
        while f"{REGION}{day}{number:05d}" in taken:
            number += 1
        per_day[day] = number
        plan.case.receipt_number = f"{REGION}{day}{number:05d}"
        plans.append(plan)
    sub_rows: list[SubCase] = []
    rating_rows: list[DepartmentRating] = []
    for plan in plans:
        subs = _sub_cases(rng, plan, today, add_days)
        sub_rows += subs
        rating_rows += _ratings(rng, plan, subs)
    Case.objects.bulk_create([p.case for p in plans], batch_size=500)
    for sub in sub_rows:
        sub.case_id = sub.case.pk
    SubCase.objects.bulk_create(sub_rows, batch_size=500)
    for rating in rating_rows:
        rating.case_id = rating.case.pk
    DepartmentRating.objects.bulk_create(rating_rows, batch_size=500)
    CaseEvent.objects.bulk_create([
        CaseEvent(case=p.case, from_state="", to_state=p.case.state, by_name=DEMO_NOTE, note=DEMO_NOTE,
                  in_person=p.case.channel == "window") for p in plans], batch_size=500)
    CaseEvent.objects.filter(note=DEMO_NOTE, case__region_id=REGION).update(
        at=Subquery(Case.objects.filter(pk=OuterRef("case_id")).values("submitted_at")[:1]))
    return len(plans)
