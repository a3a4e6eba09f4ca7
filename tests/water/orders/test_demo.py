"""The demo work orders: a contractor and a worker per county, every kind in every state, today's round; idempotent."""

from __future__ import annotations

import pytest

from changji.core import localtime
from changji.water.models import ContractorWorker, MaintenanceContractor, WorkOrder
from changji.water.orders.demo import seed_work_orders
from changji.water.orders.states import Kind, State

pytestmark = pytest.mark.django_db


def test_seed_work_orders_is_idempotent_and_covers_every_kind_and_state(client):
    from changji.water.sim.demo import seed_fleet

    seed_fleet(60)
    line = seed_work_orders("x-Secret-2026")
    counties = MaintenanceContractor.objects.count()
    assert counties >= 2 and ContractorWorker.objects.count() == counties
    assert {(o.kind, o.state) for o in WorkOrder.objects.all()} >= {(k.value, s.value) for k in Kind for s in State}
    first = ContractorWorker.objects.order_by("user__username").first().user
    assert f"{WorkOrder.objects.count()} work orders" in line
    today = WorkOrder.objects.filter(assignee=first, due_on=localtime.today(), state__in=["assigned", "on_site"])
    assert today.count() >= 3
    assert seed_work_orders("x-Secret-2026").startswith("0 work orders")
    client.force_login(first)
    page = client.get("/water/my-orders/?lat=44.0&lon=87.0").content.decode()
    assert page.count('class="order-card') >= 3
