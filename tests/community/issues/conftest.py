"""Fixtures of the issue tests: the default categories seeded in the community test world."""

from __future__ import annotations

import pytest

from changji.community.issues import categories
from changji.community.models import IssueCategory


@pytest.fixture
def cats(community_world):
    categories.seed_categories()
    return {c.code: c for c in IssueCategory.objects.all()}
