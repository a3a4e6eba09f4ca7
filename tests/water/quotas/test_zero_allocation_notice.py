"""The quota warning notice of an allocation of 0 m³ (e.g. zeroed when its licence ended)."""
from datetime import date

import pytest

from changji.core.models import AuditEntry
from changji.water.models import Allocation
from changji.water.notices import render_warning
from changji.water.quotas.sweep import sweep_quotas
from tests.water.quotas.test_sweep import make_user_holder, make_well, use

pytestmark = pytest.mark.django_db


def test_warning_of_a_zero_allocation_does_not_say_zero_percent():
    well = make_well(user=make_user_holder("U-Z1"))
    Allocation.objects.create(year=2025, well=well, allocation_m3=0)
    use(well, date(2025, 7, 1), 500)
    sweep_quotas(date(2025, 7, 1))
    entry = AuditEntry.objects.filter(action="water.quota.warning").order_by("at").last()
    message = render_warning(entry)
    assert "0%" not in message.body, message.body  # FAILS: "…占年度指标0立方米的0%，已达100%预警线…"
