"""Notifications leave after the commit (``services/notify.py``): a rolled-back move tells the applicant nothing.

Real transactions (``transaction=True``): the test's own moves commit or roll back as they would in a request.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction

from changji.services import cases
from changji.services.cases import Applicant
from changji.services.models import Case, Notification

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

USCC = "91350100M000100Y43"
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ANSWERS = {"business_name": "老王面馆", "address": "阜康市天池街 1 号", "legal_person": "王某",
           "registered_capital": 10, "food_category": "热食类", "outdoor_sign": False}
MATERIALS = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in
             ("id", "lease", "articles", "layout", "food_safety")}

#: What the recording backend was handed: (receipt number, text, whether a transaction was open).
SENT: list[tuple[str, str, bool]] = []


def record(case, text: str) -> None:
    SENT.append((case.receipt_number, text, transaction.get_connection().in_atomic_block))


def broken(case, text: str) -> None:
    raise ConnectionError("SMS gateway down")


class Refused(Exception):
    pass


@pytest.fixture
def backends(settings):
    SENT.clear()
    settings.SERVICES_NOTIFICATION_BACKENDS = ["tests.services.test_notify.broken",
                                               "changji.services.notify.database_backend",
                                               "tests.services.test_notify.record"]
    return SENT


def submit(bundle):
    return cases.submit(bundle, Applicant("enterprise", "某公司", USCC, "13800000000"), "online", ANSWERS,
                        MATERIALS, by="applicant", now=MONDAY)


def test_a_rolled_back_transaction_sends_nothing_and_a_committed_one_sends_after_it(restaurant, backends):
    with pytest.raises(Refused), transaction.atomic():
        submit(restaurant)  # notify.send is called in here
        raise Refused  # ... and the request fails afterwards
    assert (Case.objects.count(), Notification.objects.count(), SENT) == (0, 0, [])

    case = submit(restaurant)
    assert [(receipt, in_transaction) for receipt, _, in_transaction in SENT] == [(case.receipt_number, False)]
    assert "已提交" in SENT[0][1]
    assert Notification.objects.get().case == case  # the broken SMS backend did not stop the others

    with pytest.raises(Refused), transaction.atomic():
        cases.accept(case, "window")  # accepted and notified in here, then rolled back
        raise Refused
    assert len(SENT) == 1 and Notification.objects.count() == 1
    case.refresh_from_db()
    assert case.state == "submitted"
