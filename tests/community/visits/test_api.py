"""The visits API (``/api/community/visits/``): visits, care households with overdue days, residents' meetings.

Another grid's household is a 404; bad input a 400; a meeting files its issues.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from changji.community.issues.categories import seed_categories
from changji.community.models import CareHousehold, ResidentIssue, Visit
from changji.core.models import ApiToken

pytestmark = pytest.mark.django_db


def _bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'test')[1]}"}


def test_visits_are_recorded_and_listed_in_scope(client, community_world):
    w = community_world
    headers = _bearer(w.users.grid_a)
    body = {"household_id": w.household.pk, "kind": "care", "visited_at": timezone.now().isoformat(),
            "topic": "看望独居老人", "follow_up": "代买药品", "follow_up_due_on": str(timezone.localdate())}
    created = client.post("/api/community/visits/", body, content_type="application/json", **headers)
    assert created.status_code == 201 and created.json()["topic"] == "看望独居老人"
    listed = client.get("/api/community/visits/", {"open_follow_up": "true"}, **headers).json()
    assert [v["id"] for v in listed["items"]] == [created.json()["id"]]
    assert client.get("/api/community/visits/", **_bearer(w.users.grid_c)).json()["items"] == []
    foreign = client.post("/api/community/visits/", body, content_type="application/json",
                          **_bearer(w.users.grid_c))
    assert foreign.status_code == 404
    late = client.post("/api/community/visits/", {**body, "visited_at": (timezone.now() + timedelta(days=1))
                                                  .isoformat()}, content_type="application/json", **headers)
    assert late.status_code == 400 and "visited_at" in late.json()["detail"]
    assert Visit.objects.count() == 1


def test_care_households_are_tagged_and_listed_with_their_overdue_days(client, community_world):
    w = community_world
    headers = _bearer(w.users.east)
    tagged = client.post("/api/community/visits/care", {"household_id": w.household.pk, "tags": ["disabled"],
                                                        "worker": "grid-a"}, content_type="application/json",
                         **headers)
    assert tagged.status_code == 201 and tagged.json()["visit_every_days"] == 14
    CareHousehold.objects.update(since=timezone.localdate() - timedelta(days=20))
    (row,) = client.get("/api/community/visits/care", {"overdue": "true"}, **headers).json()["items"]
    assert row["overdue_days"] == 6 and row["worker"] == "grid-a" and row["last_visit_on"] is None
    bad = client.post("/api/community/visits/care", {"household_id": w.household.pk, "tags": ["rich"]},
                      content_type="application/json", **headers)
    assert bad.status_code in (400, 422)
    assert client.get("/api/community/visits/care", {"tag": "rich"}, **headers).status_code in (400, 422)


def test_a_residents_meeting_files_its_issues(client, community_world):
    w = community_world
    seed_categories()
    body = {"region": w.grid_a.region_id, "kind": "pavilion", "held_at": timezone.now().isoformat(),
            "place": "凉亭", "host": "网格长", "attendee_count": 12, "topics": "楼道卫生",
            "raised": [{"category": "sanitation", "description": "垃圾桶不够"},
                       {"category": "property", "description": "单元门坏了"}]}
    created = client.post("/api/community/visits/residents-meetings", body, content_type="application/json",
                          **_bearer(w.users.grid_a))
    assert created.status_code == 201
    assert len(created.json()["issues"]) == 2
    assert set(ResidentIssue.objects.values_list("channel", flat=True)) == {"meeting"}
    foreign = client.post("/api/community/visits/residents-meetings", body, content_type="application/json",
                          **_bearer(w.users.grid_c))
    assert foreign.status_code == 404 and ResidentIssue.objects.count() == 2
