"""The demo's quota policies: the prefecture default, two counties' own, domestic warn-only; seeded twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from changji.core.models import Region
from changji.water.models import QuotaPolicy
from changji.water.quotas.demo import seed_quota_policies
from changji.water.quotas.sweep import policy_for

pytestmark = pytest.mark.django_db


def test_the_demo_policies_resolve_per_county_and_use():
    assert len(seed_quota_policies()) == 4
    seed_quota_policies()
    assert QuotaPolicy.objects.count() == 4
    hutubi, manas, changji_city = (Region.objects.get(code=c) for c in ("652323", "652324", "652301"))
    assert policy_for(hutubi, "agricultural").thresholds == (0.7, 0.85, 1.0)
    assert policy_for(hutubi, "agricultural").notice == timedelta(hours=72)
    assert policy_for(manas, "agricultural").notice == timedelta(hours=24)
    assert policy_for(manas, "industrial").notice == timedelta(hours=48)  # the prefecture's default
    assert not policy_for(changji_city, "domestic").auto_stop and policy_for(changji_city, "").auto_stop
