"""Region scope on every community route, generated from the URL conf (as tests/water/test_url_scope.py does).

The grid worker of grid A and the community worker of 东城社区 ask every non-public community route for
objects of 西城社区 (grid C): an issue, a wish, an activity with a photo, a co-building unit and a room.
Routes with an object in the path answer 403 or 404 to GET and POST and change nothing; lists and
exports never show the foreign objects. A new route with a path parameter this test does not know
fails it until it is added to the fixture's ids.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from changji.community.models import (
    Activity,
    ActivityPhoto,
    Building,
    CoBuildingUnit,
    GridPartyOrganisation,
    Household,
    IssueCategory,
    IssueEvent,
    Liaison,
    MicroWish,
    Resident,
    ResidentIssue,
    Room,
    WishEvent,
)
from changji.core.models import AuditEntry
from tests.urlwalk import seed_meeting
from tests.water.test_url_scope import fill, routes

pytestmark = pytest.mark.django_db

#: Pages for residents without an account: report an issue, follow it by its number, the published wishes and the
#: service circle of every community (public by design; tests/community/web/test_public_pages.py).
PUBLIC = {"community:issue_report_public", "community:issue_status", "community:public_wishes",
          "community:public_service_circle"}
MARK = "西城外区标记"


@pytest.fixture
def foreign(community_world, settings, tmp_path):
    """Objects of 西城社区 (grid C), each carrying MARK in a visible field."""
    settings.MEDIA_ROOT = tmp_path
    w = community_world
    now = timezone.now()
    building = Building.objects.create(compound=w.harmony, region=w.grid_c.region, name="2号楼", lon=90.275,
                                       lat=43.835)
    household = Household.objects.create(building=building, region=w.grid_c.region, door="2-202")
    resident = Resident.objects.create(household=household, region=w.grid_c.region, name=f"王{MARK}",
                                       id_number="652328198805051236")
    category = IssueCategory.objects.create(code="scope-test", name="测试类别", responsible="grid")
    issue = ResidentIssue.objects.create(
        request_id="SQSCOPE000001", category=category, region=w.grid_c.region, description=MARK, lon=90.275,
        lat=43.835, channel="web", reported_at=now, response_due_at=now + timedelta(hours=24),
        level_started_at=now, due_at=now + timedelta(days=3))
    wish = MicroWish.objects.create(region=w.grid_c.region, resident=resident, title=MARK, posted_at=now,
                                    state="published", published_at=now)
    activity = Activity.objects.create(region=w.west, kind="market", title=MARK, held_on=date.today())
    photo = ActivityPhoto.objects.create(activity=activity, photo=ContentFile(b"\x89PNG", name="a.png"))
    unit = CoBuildingUnit.objects.create(region=w.west, name=MARK, registered_on=date.today())
    room = Room.objects.create(region=w.west, name=MARK, kind="service", function="多功能厅", area_m2=Decimal(50))
    meeting = seed_meeting(w.west, now, place=MARK, issue=issue)
    liaison = Liaison.objects.create(region=w.grid_c.region, kind="cadre", name=MARK, starts_on=date.today())
    organisation = GridPartyOrganisation.objects.create(region=w.west, name=MARK, founded_on=date.today())
    return {"issue_id": issue.pk, "wish_id": wish.pk, "activity_id": activity.pk, "photo_id": photo.pk,
            "unit_id": unit.pk, "pk": room.pk, "liaison_id": liaison.pk, "organisation_id": organisation.pk,
            **_foreign_visits(w, household, now), "meeting_id": meeting["meeting_id"][0],
            "decision_id": meeting["decision_id"][0]}


def _foreign_visits(w, household, now):
    """A visit, a care household and a residents' meeting of grid C, carrying MARK."""
    from changji.community.models import ResidentsMeeting
    from changji.community.visits import service

    visit = service.record_visit(None, household=household, visited_at=now, topic=MARK, now=now,
                                 visitor_name=MARK, follow_up=service.FollowUp(MARK))
    care = service.tag_for_care(household, ["disabled"], None, today=timezone.localdate(), note=MARK)
    meeting = ResidentsMeeting.objects.create(region=w.grid_c.region, kind="pavilion", held_at=now, place=MARK,
                                              host=MARK, attendee_count=5, topics=MARK)
    return {"visit_id": visit.pk, "care_id": care.pk, "residents_meeting_id": meeting.pk}


def test_community_routes_refuse_another_communitys_objects(client, community_world, foreign):
    outsiders = [community_world.users.grid_a, community_world.users.east]
    checked = 0
    for route, name in routes(prefixes=("community/",)):
        if f"community:{name}" in PUBLIC:
            continue
        for user in outsiders:
            client.force_login(user)
            before = (AuditEntry.objects.count(), IssueEvent.objects.count(), WishEvent.objects.count())
            if "<" in route:
                url = fill(route, foreign)
                for response in (client.get(url), client.post(url, {"action": "claim", "note": "x"})):
                    assert response.status_code in (403, 404, 405), \
                        f"{name}: {url} answered {response.status_code} to {user}"
            else:
                response = client.get("/" + route)
                assert response.status_code < 500, f"{name} answered {response.status_code}"
                if response.status_code == 200:
                    assert MARK.encode() not in response.content, f"{name} shows 西城's objects to {user}"
            assert (AuditEntry.objects.count(), IssueEvent.objects.count(), WishEvent.objects.count()) == before
            checked += 1
    assert checked >= 20


def test_open311_lists_no_personal_data(client, community_world, foreign):
    ResidentIssue.objects.filter(pk=foreign["issue_id"]).update(reporter_name="赵某某", reporter_phone="13900001111",
                                                                reporter_email="zhao@example.com")
    body = client.get("/open311/v2/requests.json").content.decode()
    assert "SQSCOPE000001" in body
    for secret in ("赵某某", "13900001111", "zhao@example.com"):
        assert secret not in body
