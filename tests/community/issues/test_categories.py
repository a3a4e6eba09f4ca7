"""Issue categories: seeding keeps local edits, and each category names who the issue is routed to."""

from __future__ import annotations

import pytest

from changji.community.issues import categories
from changji.community.models import IssueCategory
from tests.community.issues.test_intake import IN_C, file

pytestmark = pytest.mark.django_db


def test_seed_categories_is_idempotent_and_keeps_local_edits(community_world):
    first = categories.seed_categories()
    IssueCategory.objects.filter(code="noise").update(response_hours=6)
    second = categories.seed_categories()
    assert len(first) == len(second) == len(categories.DEFAULT_CATEGORIES) == IssueCategory.objects.count()
    assert IssueCategory.objects.get(code="noise").response_hours == 6
    assert IssueCategory.objects.get(code="noise").department == "公安派出所"
    assert categories.responsible_label(IssueCategory.objects.get(code="property")) == "物业企业"


def test_each_category_names_its_responsible_party_for_the_issue(cats, community_world):
    from changji.community.models import PropertyCompany

    w = community_world
    w.happy.property_company = PropertyCompany.objects.create(name="天山物业")
    w.happy.save()
    assert categories.responsible_party(file(cats, "property")) == "天山物业（幸福小区）"
    assert categories.responsible_party(file(cats, "neighbour")) == "东城社区第一网格网格员"
    assert categories.responsible_party(file(cats, "sanitation")) == "东城社区"
    noise = file(cats, "noise")
    assert categories.responsible_party(noise) == noise.category.department != ""
    # No managed compound in 西城社区: the property category's label stands.
    assert categories.responsible_party(file(cats, "property", where=IN_C)) == "物业企业"
