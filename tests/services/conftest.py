"""Fixtures of the services tests: the demo catalogue's restaurant bundle and a service centre's staff."""

from __future__ import annotations

import pytest


@pytest.fixture
def restaurant(db):
    """The demo catalogue seeded; its 开办餐馆一件事 bundle (阜康市, 652302)."""
    from changji.services.demo_catalogue import seed_demo_catalogue
    from changji.services.models import Bundle

    seed_demo_catalogue()
    return Bundle.objects.get(code="YJS-CY")


@pytest.fixture
def staff(make_user, restaurant):
    """A window clerk and the reviewers of 市场监管 (SCJG) and 城管 (CGJ), listed on their departments."""
    from changji.services.models import Department

    clerk = make_user("clerk", "652302", role="window_clerk")
    reviewers = {}
    for code in ("SCJG", "CGJ"):
        reviewers[code] = make_user(f"reviewer-{code}", "652302", role="department_reviewer")
        Department.objects.get(code=f"652302-{code}").reviewers.add(reviewers[code])
    return clerk, reviewers


@pytest.fixture
def repair_shop(db):
    """开办机动车维修店一件事 (YJS-WX): every item 即办, the 备案 item inspected (tests/services/repair_shop)."""
    from tests.services.repair_shop import repair_bundle

    return repair_bundle()


@pytest.fixture
def window_clerk(make_user, repair_shop):
    """A window clerk of 阜康市 at 3号窗口, a window delegate of the repair bundle's departments."""
    from changji.services.models import ServiceWindow
    from tests.services.repair_shop import delegate

    clerk = make_user("wx-clerk", "652302", role="window_clerk")
    window = ServiceWindow.objects.create(region_id="652302", number=3, name="综合受理", service_types=["transport"])
    window.clerks.add(clerk)
    delegate(clerk, repair_shop)
    return clerk
