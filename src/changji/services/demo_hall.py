"""Demo hall of 阜康市 (652302): four windows, a month of queue numbers and about 40 consultations.

Each day from 30 days ago to today gets about 120 tickets taken between 09:30 and 18:00 Beijing time: most
served, some missed (过号); today stops at the present moment and its last few numbers still wait. The numbers
are drawn from a generator seeded by the day, so a day looks the same whenever it is seeded. Idempotent: a day
that has tickets, and a hall that has consultations, are left as they are.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from changji.core.localtime import SHANGHAI
from changji.core.models import User
from changji.services.demo_catalogue import REGION
from changji.services.models import CONSULTATION, BundleCategory, Consultation, QueueTicket, ServiceWindow, TicketState
from changji.services.queue import PREFIXES

__all__ = ["DEMO_WINDOWS", "seed_demo_hall"]

DAYS_BACK = 30
TICKETS_PER_DAY = 120
WAITING_TODAY = 5
CLERK = "fukang-clerk"
#: (number, name, service types)
DEMO_WINDOWS = (
    (1, "综合受理一窗", [BundleCategory.WHOLESALE_RETAIL, BundleCategory.RESIDENT_SERVICES]),
    (2, "综合受理二窗", [BundleCategory.LEASING, BundleCategory.FOOD_PROCESSING]),
    (3, "综合受理三窗", [BundleCategory.TRANSPORT, BundleCategory.WHOLESALE_RETAIL, BundleCategory.RESIDENT_SERVICES]),
    (4, "咨询导办台", [CONSULTATION]),
)
#: How often each service type is asked for (weights).
TYPE_WEIGHTS = {BundleCategory.WHOLESALE_RETAIL: 30, BundleCategory.RESIDENT_SERVICES: 25, BundleCategory.LEASING: 8,
                BundleCategory.FOOD_PROCESSING: 15, BundleCategory.TRANSPORT: 7, CONSULTATION: 15}
TOPICS = (
    ("开办便利店需要哪些材料", "YJS-LS", "开便利店要带什么？", "告知一次性材料清单，引导线上预填后到1号窗口受理。"),
    ("餐馆开办流程咨询", "YJS-CY", "开饭馆要跑几个部门？", "说明一件事一次办，一窗受理、并联审批，承诺时限内办结。"),
    ("营业执照变更", "", "法人变更怎么办？", "引导至市场监管窗口办理变更登记，告知所需材料。"),
    ("维修备案", "", "家电维修店要备案吗？", "说明维修备案为即办事项，材料齐全当场办结。"),
    ("货运车辆道路运输证", "", "货车道路运输证在哪里办？", "引导至3号窗口交通运输类业务，提示携带行驶证。"),
    ("食品经营许可延续", "", "许可证快到期了怎么延续？", "告知到期前30个工作日申请延续，材料清单已发短信。"),
    ("社保卡补办", "", "社保卡丢了怎么办？", "不属于本中心一件事范围，引导至人社窗口。"),
    ("房屋租赁中介开办", "YJS-ZL", "开租赁中介要带什么？", "告知一次性材料清单，引导至2号窗口。"),
)
NAMES = ("马文杰", "李娜", "王建国", "张丽", "刘洋", "陈静", "阿依古丽", "买买提", "赵磊", "孙燕")


def _windows() -> dict[int, ServiceWindow]:
    clerk = User.objects.filter(username=CLERK).first()
    found = {}
    for number, name, types in DEMO_WINDOWS:
        window, _ = ServiceWindow.objects.get_or_create(
            region_id=REGION, number=number, defaults={"name": name, "service_types": [str(t) for t in types]})
        if number == 1 and clerk is not None:
            window.clerks.add(clerk)
        found[number] = window
    return found


def _at(day: date, minutes: float) -> datetime:
    return datetime.combine(day, time(9, 30), SHANGHAI) + timedelta(minutes=minutes)


def _day_tickets(day: date, windows: dict[int, ServiceWindow], clerk: User | None, now: datetime) -> list[QueueTicket]:
    rng = random.Random(day.toordinal())
    types, weights = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
    span_minutes = 8.5 * 60
    taken = sorted(rng.uniform(0, span_minutes - 20) for _ in range(TICKETS_PER_DAY + rng.randint(-15, 15)))
    sequences: dict[str, int] = {}
    tickets = []
    for minutes in taken:
        taken_at = _at(day, minutes)
        if taken_at > now:
            break
        kind = rng.choices(types, weights)[0]
        sequences[kind] = sequences.get(kind, 0) + 1
        serving = [w for w in windows.values() if kind in w.service_types]
        window = rng.choice(serving)
        called_at = taken_at + timedelta(minutes=rng.uniform(1, 25))
        finished_at = called_at + timedelta(minutes=rng.uniform(2, 8) if kind == CONSULTATION else rng.uniform(6, 35))
        missed = rng.random() < 0.06
        tickets.append(QueueTicket(
            region_id=REGION, local_day=day, service_type=str(kind), sequence=sequences[kind],
            number=f"{PREFIXES[kind]}{sequences[kind]:03d}", taken_at=taken_at, called_at=called_at,
            finished_at=called_at + timedelta(minutes=3) if missed else finished_at, window=window,
            called_by=clerk if window.number == 1 else None, recalls=rng.choice((1, 2)) if missed else 0,
            state=TicketState.NO_SHOW if missed else TicketState.DONE))
    for ticket in tickets:  # today: what is not over by now is still going on
        if ticket.called_at and ticket.called_at > now:
            ticket.state, ticket.called_at, ticket.finished_at, ticket.window, ticket.called_by = (
                TicketState.WAITING, None, None, None, None)
        elif ticket.finished_at and ticket.finished_at > now:
            ticket.state, ticket.finished_at = TicketState.SERVING, None
    if day == now.astimezone(SHANGHAI).date():
        for ticket in tickets[-WAITING_TODAY:]:
            ticket.state, ticket.called_at, ticket.finished_at, ticket.window, ticket.called_by = (
                TicketState.WAITING, None, None, None, None)
    return tickets


def _consultations(today: date, windows: dict[int, ServiceWindow], clerk: User | None, now: datetime) -> int:
    if Consultation.objects.filter(region_id=REGION).exists():
        return 0
    rng = random.Random(today.toordinal() * 7)
    made = []
    for index in range(40):
        day = today - timedelta(days=rng.randint(0, DAYS_BACK))
        at = min(_at(day, rng.uniform(0, 500)), now)
        topic, bundle_code, question, guidance = TOPICS[index % len(TOPICS)]
        ticket = (QueueTicket.objects.filter(region_id=REGION, local_day=day, service_type=CONSULTATION,
                                             state=TicketState.DONE).order_by("sequence")[index // 8: index // 8 + 1]
                  .first())
        made.append(Consultation(
            region_id=REGION, at=at, clerk=clerk, window=windows[4], ticket=ticket, bundle_code=bundle_code,
            topic=topic, visitor_name=NAMES[index % len(NAMES)] if index % 3 else "",
            visitor_phone=f"139{rng.randint(0, 99_999_999):08d}" if index % 2 else "", question=question,
            guidance=guidance))
    Consultation.objects.bulk_create(made)
    return len(made)


@transaction.atomic
def seed_demo_hall(today: date, now: datetime | None = None) -> dict[str, int]:
    """Seed the demo hall up to ``now`` (default: the present); return how many tickets and consultations it made."""
    now = now or timezone.now()
    windows = _windows()
    clerk = User.objects.filter(username=CLERK).first()
    made = 0
    for back in range(DAYS_BACK, -1, -1):
        day = today - timedelta(days=back)
        if QueueTicket.objects.filter(region_id=REGION, local_day=day).exists():
            continue
        made += len(QueueTicket.objects.bulk_create(_day_tickets(day, windows, clerk, now)))
    return {"windows": len(windows), "tickets": made, "consultations": _consultations(today, windows, clerk, now)}
