"""Fixtures of the services page tests: the demo catalogue, staff of 阜康市 (652302) and a submitted case."""

from __future__ import annotations

import pytest

USCC = "91350100M000100Y43"
ANSWERS = {"business_name": "老王面馆", "address": "阜康市天池街 1 号", "legal_person": "王某",
           "registered_capital": 10, "food_category": "热食类", "outdoor_sign": True, "sign_size": "3×1"}
MATERIALS = ("id", "lease", "articles", "layout", "food_safety", "sign_design")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded materials go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clerk(make_user):
    return make_user("fk-clerk", "652302", role="window_clerk")


@pytest.fixture
def reviewers(make_user, restaurant):
    """One reviewer per department of the restaurant bundle, listed on their department."""
    from changji.services.models import Department

    out = {}
    for code in ("SCJG", "CGJ"):
        out[code] = make_user(f"fk-reviewer-{code.lower()}", "652302", role="department_reviewer")
        Department.objects.get(code=f"652302-{code}").reviewers.add(out[code])
    return out


@pytest.fixture
def submitted(restaurant):
    """A restaurant case filed online with every answer and material."""
    from changji.services import cases

    materials = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in MATERIALS}
    return cases.submit(restaurant, cases.Applicant("enterprise", "阜康市老王餐饮有限公司", USCC, "13800000000"),
                        "online", dict(ANSWERS), materials, by="applicant")


@pytest.fixture
def issued(submitted, clerk, reviewers):
    """The case accepted, every item approved and the results issued."""
    from changji.services import cases

    for sub in cases.accept(submitted, clerk):
        reviewer = reviewers[sub.department.code.split("-")[1]]
        cases.claim(sub, reviewer)
        cases.decide(sub, reviewer, True, "符合条件", f"LIC-{sub.item.code}")
    submitted.refresh_from_db()
    cases.issue(submitted, clerk, "王某")
    submitted.refresh_from_db()
    return submitted
