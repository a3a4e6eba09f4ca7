"""包联 and party organisation pages: scope, bad input, post/redirect/get."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from changji.community.models import GridPartyOrganisation, Liaison, PartyMember

pytestmark = pytest.mark.django_db


def test_a_community_worker_records_a_liaison_to_a_compound_and_ends_it(client, community_world):
    w = community_world
    client.force_login(w.users.east)
    response = client.post(reverse("community:liaison_new"), {
        "compound": w.happy.pk, "kind": "cadre", "name": "张干部", "title": "县住建局干部", "starts_on": "2026-03-01",
        "duties_needs": "加装电梯\n停车位"})
    liaison = Liaison.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("community:liaison_detail",
                                                                           args=[liaison.pk])
    assert (liaison.region_id, liaison.compound_id, liaison.duties.count()) == (w.grid_a.region_id, w.happy.pk, 2)
    page = client.get(response["Location"])
    assert "加装电梯" in page.content.decode() and set(page.context["forms"]) == {"duty_done", "duty", "end"}
    ended = client.post(response["Location"], {"action": "end", "end-ends_on": "2026-02-01"})
    assert ended.status_code == 400 and "结束日期不能早于包联开始日期" in ended.content.decode()
    assert client.post(response["Location"], {"action": "end", "end-ends_on": "2026-06-01"}).status_code == 302
    liaison.refresh_from_db()
    assert liaison.ends_on == date(2026, 6, 1)


def test_lists_filter_and_refuse_bad_parameters(client, community_world):
    w = community_world
    Liaison.objects.create(region=w.east, kind="leader", name="李副县长", starts_on=date(2026, 1, 1))
    Liaison.objects.create(region=w.grid_a.region, kind="cadre", name="张干部", starts_on=date(2026, 1, 1))
    client.force_login(w.users.street)
    listed = client.get(reverse("community:liaisons"), {"kind": "cadre"})
    assert [liaison.name for liaison in listed.context["page"].object_list] == ["张干部"]
    assert client.get(reverse("community:liaisons"), {"kind": "boss"}).status_code == 400
    assert client.get(reverse("community:liaisons"), {"community": "x" * 40}).status_code == 400
    assert client.get(reverse("community:party_organisations"), {"complete": "maybe"}).status_code == 400
    assert client.get(reverse("community:liaisons"), {"page": "²"}).status_code == 400


def test_another_communitys_rows_are_not_found(client, community_world):
    w = community_world
    foreign = Liaison.objects.create(region=w.grid_c.region, kind="cadre", name="西城干部", starts_on=date(2026, 1, 1))
    organisation = GridPartyOrganisation.objects.get(name="西城社区第一网格党支部")
    client.force_login(w.users.east)
    assert client.get(reverse("community:liaison_detail", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("community:party_organisation_detail", args=[organisation.pk])).status_code == 404
    assert client.get(reverse("community:liaisons"), {"community": w.west.code}).status_code == 404
    assert "西城干部" not in client.get(reverse("community:liaisons")).content.decode()
    assert "西城社区第一网格党支部" not in client.get(reverse("community:party_organisations")).content.decode()


def test_a_grid_worker_reads_but_does_not_manage(client, community_world):
    client.force_login(community_world.users.grid_a)
    assert client.get(reverse("community:liaisons")).status_code == 200
    assert client.get(reverse("community:liaison_new")).status_code == 403
    assert client.post(reverse("community:party_organisation_new"), {}).status_code == 403


def test_an_organisation_is_set_up_and_edited_with_its_grids_and_members(client, community_world):
    w = community_world
    members = [PartyMember.objects.create(region=w.east, name=f"党员{i}", registered_on=date(2026, 1, 1))
               for i in range(3)]
    client.force_login(w.users.east)
    response = client.post(reverse("community:party_organisation_new"), {
        "community": w.east.code, "name": "东城联合党支部", "kind": "joint_branch", "secretary": members[0].pk,
        "venue": "社区党群服务中心", "rules_posted": "on", "founded_on": "2025-01-01",
        "last_activity_on": date.today().isoformat(), "grids": [w.grid_a.pk, w.grid_b.pk],
        "members": [m.pk for m in members]})
    assert response.status_code == 302
    organisation = GridPartyOrganisation.objects.get(name="东城联合党支部")
    page = client.get(response["Location"])
    assert page.context["missing"] == [] and "全要素" in page.content.decode()
    refused = client.post(response["Location"], {
        "name": "东城联合党支部", "kind": "joint_branch", "founded_on": "2025-01-01",
        "last_activity_on": "2024-01-01", "grids": [w.grid_a.pk]})
    assert refused.status_code == 400 and "不能早于成立日期" in refused.content.decode()
    assert organisation.grids.count() == 2


def test_the_import_page_lists_problems_and_the_export_downloads(client, community_world):
    client.force_login(community_world.users.east)
    bad = client.post(reverse("community:liaisons_import"),
                      {"workbook": SimpleUploadedFile("x.xlsx", b"not a workbook")})
    assert bad.status_code == 400 and "XLSX" in bad.content.decode()
    export = client.get(reverse("community:liaisons_export"))
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_the_api_lists_creates_and_refuses(client, community_world):
    from changji.core.models import ApiToken

    w = community_world
    _, secret = ApiToken.issue(w.users.east, "test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    created = client.post("/api/community/liaisons", {
        "region": w.grid_a.region_id, "kind": "leader", "name": "李副县长", "starts_on": "2026-03-01",
        "duties": [{"list_kind": "needs", "text": "协调路灯"}]}, content_type="application/json", **headers)
    assert created.status_code == 201 and created.json()["duties"][0]["text"] == "协调路灯"
    listed = client.get("/api/community/liaisons", {"community": w.east.code}, **headers).json()
    assert [item["name"] for item in listed["items"]] == ["李副县长"]
    assert client.get("/api/community/liaisons", {"community": "²"}, **headers).status_code == 422
    refused = client.post("/api/community/liaisons", {"region": w.west.code, "kind": "leader", "name": "越权",
                                                      "starts_on": "2026-03-01"},
                          content_type="application/json", **headers)
    assert refused.status_code == 400
    organisation = client.post("/api/community/party-organisations", {
        "community": w.east.code, "name": "东城联合党支部", "founded_on": "2025-01-01",
        "grids": [w.grid_a.region_id, w.grid_c.region_id]}, content_type="application/json", **headers)
    assert organisation.status_code == 400  # grid C is outside the community worker's scope
    assert not GridPartyOrganisation.objects.filter(name="东城联合党支部").exists()
