"""The hall's queue (services.queue): numbering per local day and type, calling, the ticket table, day end."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError

from changji.core.models import AuditEntry, Region
from changji.services import cases, queue
from changji.services.models import Case, QueueTicket, ServiceWindow, TicketState
from changji.services.queue import TICKET_TABLE, TicketError
from tests.services.test_cases import ANSWERS, MATERIALS, USCC

pytestmark = pytest.mark.django_db

#: 10:00 in Changji (Asia/Shanghai) on a Monday.
MORNING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
WAITING, CALLED, SERVING, DONE, NO_SHOW = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING,
                                           TicketState.DONE, TicketState.NO_SHOW)


@pytest.fixture
def fukang():
    return Region.objects.get(code="652302")


@pytest.fixture
def hall(fukang, make_user):
    """Two windows of 阜康市: 1 calls A and B, 2 calls Z (咨询导办); a clerk at each."""
    clerk1, clerk2 = make_user("hall-clerk-1", "652302", role="window_clerk"), make_user("hall-clerk-2", "652302",
                                                                                         role="window_clerk")
    one = ServiceWindow.objects.create(region=fukang, number=1, name="综合一窗",
                                       service_types=["wholesale_retail", "resident_services"])
    two = ServiceWindow.objects.create(region=fukang, number=2, name="咨询导办台", service_types=["consultation"])
    one.clerks.add(clerk1)
    two.clerks.add(clerk2)
    return one, two, clerk1, clerk2


def test_numbers_run_per_type_and_local_day_with_the_types_letter(hall, fukang):
    numbers = [queue.take(fukang, kind, MORNING + timedelta(minutes=i)).number
               for i, kind in enumerate(["wholesale_retail", "wholesale_retail", "resident_services", "consultation"])]
    assert numbers == ["A001", "A002", "B001", "Z001"]
    # 23:59 local is the same day; 00:00 local (16:00 UTC) starts the next one
    assert queue.take(fukang, "wholesale_retail", datetime(2026, 3, 2, 15, 59, tzinfo=UTC)).number == "A003"
    next_day = queue.take(fukang, "wholesale_retail", datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    assert (next_day.number, next_day.local_day) == ("A001", date(2026, 3, 3))


def test_a_type_no_window_calls_and_an_unknown_type_are_refused(hall, fukang):
    for kind, message in (("leasing", "暂无办理「租赁类」的窗口"), ("coffee", "请选择业务类别")):
        with pytest.raises(TicketError) as refused:
            queue.take(fukang, kind, MORNING)
        assert refused.value.field == "service_type" and message in refused.value.message
    ServiceWindow.objects.filter(number=2).update(active=False)
    with pytest.raises(TicketError):
        queue.take(fukang, "consultation", MORNING)
    assert not QueueTicket.objects.exists()


def test_two_kiosks_racing_for_a_number_both_get_one(hall, fukang, monkeypatch):
    """The other kiosk inserts sequence 1 between our read and our insert: the constraint refuses, we take 2."""
    from django.db.models import QuerySet

    real_aggregate = QuerySet.aggregate
    raced = []

    def racing_aggregate(self, *args, **kwargs):
        seen = real_aggregate(self, *args, **kwargs)
        if self.model is QueueTicket and not raced:  # the rival kiosk commits its number right after our read
            raced.append(QueueTicket.objects.create(region=fukang, local_day=date(2026, 3, 2),
                                                    service_type="wholesale_retail", sequence=1, number="A001",
                                                    taken_at=MORNING))
        return seen

    monkeypatch.setattr(QuerySet, "aggregate", racing_aggregate)
    ticket = queue.take(fukang, "wholesale_retail", MORNING)
    assert (raced[0].number, ticket.number) == ("A001", "A002")
    with pytest.raises(IntegrityError):
        QueueTicket.objects.create(region=fukang, local_day=ticket.local_day, service_type="wholesale_retail",
                                   sequence=2, number="A002", taken_at=MORNING)


def test_call_next_takes_the_oldest_ticket_of_the_windows_types_and_audits_the_number(hall, fukang):
    one, two, clerk1, _ = hall
    z = queue.take(fukang, "consultation", MORNING)
    b = queue.take(fukang, "resident_services", MORNING + timedelta(minutes=1))
    a = queue.take(fukang, "wholesale_retail", MORNING + timedelta(minutes=2))
    assert (queue.ahead_of(b), queue.ahead_of(a)) == (0, 0)
    called = queue.call_next(one, clerk1, MORNING + timedelta(minutes=5))
    assert called.pk == b.pk and called.state == CALLED and called.window == one and called.called_by == clerk1
    assert called.called_at == MORNING + timedelta(minutes=5)
    entry = AuditEntry.objects.get(action="services.queue.call")
    assert entry.detail == {"number": "B001", "window": 1} and entry.actor == clerk1
    z.refresh_from_db()
    assert z.state == WAITING  # not window 1's type


def test_a_window_calls_one_number_at_a_time_and_only_its_clerks_call(hall, fukang):
    one, two, clerk1, clerk2 = hall
    queue.take(fukang, "wholesale_retail", MORNING)
    queue.take(fukang, "wholesale_retail", MORNING)
    with pytest.raises(TicketError, match="不是该窗口的工作人员"):
        queue.call_next(one, clerk2, MORNING)
    first = queue.call_next(one, clerk1, MORNING)
    with pytest.raises(TicketError, match="请先办结或过号"):
        queue.call_next(one, clerk1, MORNING)
    queue.no_show(first, clerk1, MORNING)
    assert queue.call_next(one, clerk1, MORNING).number == "A002"
    assert queue.call_next(two, clerk2, MORNING) is None  # nobody waits for 咨询导办


def test_a_call_lost_to_another_window_takes_the_next_ticket(hall, fukang, monkeypatch):
    """Between reading the oldest ticket and calling it, another window calls it: this window calls the next."""
    one, _, clerk1, _ = hall
    first = queue.take(fukang, "wholesale_retail", MORNING)
    second = queue.take(fukang, "wholesale_retail", MORNING + timedelta(minutes=1))
    real_move = queue._move

    def interfering_move(ticket, target, **kwargs):
        if ticket.pk == first.pk:
            QueueTicket.objects.filter(pk=first.pk).update(state=CALLED)
        return real_move(ticket, target, **kwargs)

    monkeypatch.setattr(queue, "_move", interfering_move)
    assert queue.call_next(one, clerk1, MORNING + timedelta(minutes=2)).pk == second.pk


def test_recall_counts_start_and_finish_link_the_case(hall, fukang, make_user):
    one, _, clerk1, _ = hall
    queue.take(fukang, "wholesale_retail", MORNING)
    ticket = queue.call_next(one, clerk1, MORNING)
    queue.recall(ticket, clerk1)
    queue.recall(ticket, clerk1)
    assert ticket.recalls == 2 and ticket.state == CALLED
    queue.start(ticket, clerk1)
    done = queue.finish(ticket, clerk1, now=MORNING + timedelta(minutes=20))
    assert (done.state, done.finished_at) == (DONE, MORNING + timedelta(minutes=20))
    actions = AuditEntry.objects.filter(object_id=str(ticket.pk)).values_list("action", flat=True)
    assert sorted(actions) == ["services.queue.call", "services.queue.finish", "services.queue.recall",
                               "services.queue.recall", "services.queue.start"]


def test_finish_and_link_case_refuse_a_case_of_another_region(hall, fukang, submitted_elsewhere, restaurant_case):
    one, _, clerk1, _ = hall
    queue.take(fukang, "wholesale_retail", MORNING)
    ticket = queue.start(queue.call_next(one, clerk1, MORNING), clerk1)
    with pytest.raises(TicketError) as refused:
        queue.finish(ticket, clerk1, submitted_elsewhere)
    assert refused.value.field == "case"
    ticket.refresh_from_db()
    assert ticket.state == SERVING and ticket.case is None
    queue.finish(ticket, clerk1, restaurant_case)
    ticket.refresh_from_db()
    assert ticket.case == restaurant_case
    assert AuditEntry.objects.get(action="services.queue.finish").detail["case"] == restaurant_case.receipt_number
    with pytest.raises(TicketError):
        queue.link_case(ticket, submitted_elsewhere, clerk1)
    assert queue.link_case(ticket, restaurant_case, clerk1).case == restaurant_case


@pytest.fixture
def restaurant_case(restaurant):
    return cases.submit(restaurant, cases.Applicant("enterprise", "某公司", USCC), "window", dict(ANSWERS),
                        MATERIALS, by="clerk", now=MORNING)


@pytest.fixture
def submitted_elsewhere(restaurant_case):
    other = Case.objects.get(pk=restaurant_case.pk)
    other.pk, other.receipt_number, other.region_id = None, "652301-ELSEWHERE", "652301"
    other.save()
    return other


def test_a_clerk_acts_only_at_their_own_window(hall, fukang):
    one, _, clerk1, clerk2 = hall
    queue.take(fukang, "wholesale_retail", MORNING)
    ticket = queue.call_next(one, clerk1, MORNING)
    for step in (queue.recall, queue.start, queue.no_show):
        with pytest.raises(TicketError, match="不是该窗口的工作人员"):
            step(ticket, clerk2)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.recalls) == (CALLED, 0)


def test_day_end_closes_waiting_and_called_tickets_of_past_days_only(hall, fukang):
    one, _, clerk1, _ = hall
    yesterday = MORNING - timedelta(days=1)
    queue.take(fukang, "wholesale_retail", yesterday)
    queue.take(fukang, "wholesale_retail", yesterday)
    done = queue.finish(queue.start(queue.call_next(one, clerk1, yesterday), clerk1), clerk1, now=yesterday)
    called = queue.call_next(one, clerk1, yesterday)
    waiting = queue.take(fukang, "resident_services", yesterday)
    today = queue.take(fukang, "wholesale_retail", MORNING)
    assert queue.close_past_days(date(2026, 3, 2)) == 2
    states = dict(QueueTicket.objects.values_list("pk", "state"))
    assert (states[done.pk], states[called.pk], states[waiting.pk], states[today.pk]) == (
        DONE, NO_SHOW, NO_SHOW, WAITING)
    assert queue.close_past_days(date(2026, 3, 2)) == 0  # idempotent


def test_the_daily_job_closes_yesterdays_tickets(hall, fukang):
    from changji.core.jobs import Runner

    ticket = queue.take(fukang, "consultation", MORNING - timedelta(days=1))
    outcomes = Runner(names=["services.queue.close_day"]).run_due(MORNING)
    assert [(o.job, o.result) for o in outcomes] == [("services.queue.close_day", {"closed": 1})]
    ticket.refresh_from_db()
    assert ticket.state == NO_SHOW


def test_live_figures_count_who_waits_now_and_the_longest_wait(hall, fukang):
    one, _, clerk1, _ = hall
    queue.take(fukang, "wholesale_retail", MORNING)
    queue.take(fukang, "consultation", MORNING + timedelta(minutes=10))
    queue.take(fukang, "consultation", MORNING + timedelta(minutes=20))
    queue.call_next(one, clerk1, MORNING + timedelta(minutes=21))
    live = queue.hall_now(["652302"], MORNING + timedelta(minutes=30))
    assert (live.waiting, live.waiting_by_type, live.longest_wait_minutes) == (2, {"consultation": 2}, 20)
    assert queue.hall_now(["652301"], MORNING).longest_wait_minutes is None


# --- the ticket table, walked through the service functions -------------------------------------------------------


def _ticket_in(state, hall, fukang):
    """A ticket of today in ``state``, reached through the service functions."""
    one, _, clerk1, _ = hall
    ticket = queue.take(fukang, "wholesale_retail", MORNING)
    if state == WAITING:
        return ticket
    ticket = queue.call_next(one, clerk1, MORNING)
    if state == SERVING or state == DONE:
        queue.start(ticket, clerk1)
    if state == DONE:
        queue.finish(ticket, clerk1)
    if state == NO_SHOW:
        queue.no_show(ticket, clerk1)
    ticket.refresh_from_db()
    assert ticket.state == state
    return ticket


def _attempt(ticket, target, hall):
    """Try to move ``ticket`` to ``target`` the only way the platform offers."""
    one, _, clerk1, _ = hall
    if target == CALLED:
        if ticket.state == WAITING:
            return queue.call_next(one, clerk1, MORNING)
        return queue.recall(ticket, clerk1)
    if target == SERVING:
        return queue.start(ticket, clerk1)
    if target == DONE:
        return queue.finish(ticket, clerk1)
    if target == NO_SHOW:
        if ticket.state == WAITING:  # only the day's end closes a waiting ticket
            return queue.close_past_days(MORNING.date() + timedelta(days=2))
        return queue.no_show(ticket, clerk1)
    raise AssertionError(f"nothing moves a ticket back to {target}")


@pytest.mark.parametrize(("current", "target"), list(itertools.product(TICKET_TABLE.states, TICKET_TABLE.states)))
def test_every_move_of_the_ticket_table_and_no_other(hall, fukang, current, target):
    ticket = _ticket_in(current, hall, fukang)
    if target == WAITING:
        assert not any(TICKET_TABLE.allows(state, WAITING) for state in TICKET_TABLE.states)
        return
    if TICKET_TABLE.allows(current, target):
        _attempt(ticket, target, hall)
        ticket.refresh_from_db()
        assert ticket.state == target
    else:
        with pytest.raises(TicketError) as refused:
            _attempt(ticket, target, hall)
        assert refused.value.field in ("state", "window")
        assert QueueTicket.objects.get(pk=ticket.pk).state == current


def test_a_waiting_ticket_is_not_marked_missed_by_a_clerk(hall, fukang):
    ticket = queue.take(fukang, "wholesale_retail", MORNING)
    one, _, clerk1, _ = hall
    ticket.window = one
    with pytest.raises(TicketError, match="只能对已叫号的号码"):
        queue.no_show(ticket, clerk1)
