"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture
def run():
    """Run a coroutine to completion within 60 s (the suite does not depend on an asyncio plugin)."""
    return lambda coroutine: asyncio.run(asyncio.wait_for(coroutine, 60))


@pytest.fixture
def changji(db):
    """Return the seeded Changji prefecture region."""
    from changji.core.models import Region

    return Region.objects.get(code="652300")


@pytest.fixture
def make_user(db):
    """Return a factory for accounts with a role and a region code."""
    from changji.core.models import Region, Role, User

    def make(username: str, region_code: str | None, role: str = Role.COUNTY_OPERATOR, **extra):
        region = Region.objects.get(code=region_code) if region_code else None
        return User.objects.create_user(username=username, password="x-Secret-2026", role=role,
                                        region=region, **extra)

    return make
