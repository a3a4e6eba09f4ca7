"""Fixtures of the 定额 tests: a small norm table, two counties' water users and accounts of each level."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

YEAR = 2026


@pytest.fixture
def world(db, make_user):
    """Norms of 2025 and 2026 (prefecture-wide and 呼图壁县 652323), water users in 652323 and 652324, accounts.

    Accounts: ``pref`` (prefecture admin of 652300), ``hutubi`` (county operator of 652323), ``manas`` (county
    operator of 652324), ``viewer`` (township viewer bound to 652323).
    """
    from changji.core.models import Role
    from changji.water.models import QuotaNorm, WaterUser

    def norm(year, category, method, value, region=None, kind="crop", unit="m³/亩"):
        return QuotaNorm.objects.create(year=year, kind=kind, category=category, method=method, value=value,
                                        unit=unit, region_id=region, source="测试定额")

    norms = SimpleNamespace(
        cotton_2025=norm(2025, "棉花", "drip", 360),
        cotton_2026=norm(2026, "棉花", "drip", 340),
        cotton_surface_2026=norm(2026, "棉花", "surface", 520),
        wheat_2025=norm(2025, "小麦", "drip", 310),
        wheat_hutubi_2026=norm(2026, "小麦", "drip", 290, region="652323"),
        wheat_2026=norm(2026, "小麦", "drip", 300),
        maize_manas_2026=norm(2026, "玉米", "drip", 330, region="652324"),
        town=norm(2026, "城镇居民", "", 120, kind="domestic", unit="L/人·日"),
    )
    users = SimpleNamespace(
        hutubi=WaterUser.objects.create(code="652323-U1", name="呼图壁合作社", kind="cooperative", region_id="652323"),
        manas=WaterUser.objects.create(code="652324-U1", name="玛纳斯合作社", kind="cooperative", region_id="652324"),
    )
    accounts = SimpleNamespace(
        pref=make_user("pref-admin", "652300", Role.PREFECTURE_ADMIN),
        hutubi=make_user("hutubi-op", "652323", Role.COUNTY_OPERATOR),
        manas=make_user("manas-op", "652324", Role.COUNTY_OPERATOR),
        viewer=make_user("hutubi-viewer", "652323", Role.TOWNSHIP_VIEWER),
    )
    return SimpleNamespace(norms=norms, users=users, accounts=accounts)
