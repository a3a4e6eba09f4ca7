"""``/open311/v2/`` through Django's test client: both formats, errors, tokens, the 90-day window, CORS, privacy."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from changji.community.issues import categories, changes, intake
from changji.community.models import IssueCategory, ResidentIssue
from changji.community.open311 import create_client

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"


@pytest.fixture
def key(community_world):
    categories.seed_categories()
    return create_client("市民热线", community_world.town)[1]


def xml(response, status: int = 200) -> ElementTree.Element:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ElementTree.fromstring(response.content)


def xml_error(response, status: int, *words: str) -> None:
    root = xml(response, status)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"]
    assert root.findtext("error/code") == str(status)
    for word in words:
        assert word in root.findtext("error/description"), root.findtext("error/description")


def report(days_ago: float, description: str = "路灯不亮") -> ResidentIssue:
    category = IssueCategory.objects.get(code="property")
    return intake.report(category, description, lon=90.285, lat=43.835, channel="web",
                         now=timezone.now() - timedelta(days=days_ago))


def test_every_get_resource_answers_in_xml(client, key):
    discovery = xml(client.get(BASE + "discovery.xml"))
    assert [f.text for f in discovery.findall("endpoints/endpoint/formats/format")] == ["text/xml",
                                                                                       "application/json"]
    assert "address_id" in discovery.findtext("key_service") and "与标准不同" in discovery.findtext("key_service")
    services = xml(client.get(BASE + "services.xml"))
    assert {s.findtext("service_code") for s in services} == {c.code for c in categories.DEFAULT_CATEGORIES}
    assert services.find("service/metadata").text == "false"
    definition = xml(client.get(BASE + "services/noise.xml"))
    assert definition.findtext("service_code") == "noise" and len(definition.find("attributes")) == 0


@pytest.mark.parametrize("suffix", ["JSON", "Json", "XML", "Xml"])
def test_the_suffix_is_case_insensitive(client, key, suffix):
    response = client.get(f"{BASE}services.{suffix}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml" if suffix.lower() == "xml" else "application/json")


@pytest.mark.parametrize("path", ["services.html", "requests.csv", "discovery.xmll", "services/noise.yaml"])
def test_another_suffix_is_a_json_400(client, key, path):
    response = client.get(BASE + path)
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert "format" in response.json()[0]["description"]


def test_errors_come_in_the_requested_format_with_their_status(client, key):
    xml_error(client.get(BASE + "services/nothing.xml"), 404, "nothing")
    xml_error(client.get(BASE + "requests.XML", {"api_key": "wrong"}), 403, "api_key")
    xml_error(client.get(BASE + "requests.xml", {"status": "pending"}), 400, "status")
    xml_error(client.post(BASE + "requests.xml", {"service_code": "noise"}), 403, "api_key")
    xml_error(client.post(BASE + "requests.xml", {"api_key": key, "service_code": "noise"}), 400, "location")
    xml_error(client.post(BASE + "services.xml"), 405)
    xml_error(client.get(BASE + "tokens/nothing.xml"), 404, "token")
    xml_error(client.get(BASE + "no/such/thing.xml"), 404)
    assert client.get(BASE + "no/such/thing.json").json()[0]["code"] == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_returns_a_token_that_finds_the_request(client, key, fmt):
    response = client.post(f"{BASE}requests.{fmt}", {"api_key": key, "service_code": "property", "lat": "43.835",
                                                     "long": "90.285"})
    assert response.status_code == 201, response.content
    if fmt == "xml":
        root = xml(response, 201)
        request_id, token = root.findtext("request/service_request_id"), root.findtext("request/token")
        assert root.find("request/account_id").text is None
    else:
        request_id, token = response.json()[0]["service_request_id"], response.json()[0]["token"]
    issue = ResidentIssue.objects.get(request_id=request_id)
    assert issue.open311_token == token and len(token) == 32 and issue.description == ""
    found = client.get(f"{BASE}tokens/{token}.json")
    assert found.status_code == 200 and found.json() == [{"service_request_id": request_id, "token": token}]
    assert xml(client.get(f"{BASE}tokens/{token}.xml")).findtext("request/service_request_id") == request_id
    assert client.get(f"{BASE}tokens/{token[:-1]}x.json").status_code == 404


def test_two_posts_get_different_tokens(client, key):
    tokens = {client.post(BASE + "requests.json", {"api_key": key, "service_code": "property", "lat": "43.835",
                                                   "long": "90.285"}).json()[0]["token"] for _ in range(2)}
    assert len(tokens) == 2


def test_the_staff_rule_keeps_the_description_required(community_world):
    categories.seed_categories()
    with pytest.raises(changes.IssueError, match="诉求内容"):
        intake.report(IssueCategory.objects.get(code="property"), " ", lon=90.285, lat=43.835, now=timezone.now())


def test_without_dates_the_last_90_days_and_a_longer_span_is_refused(client, key):
    recent, old = report(89), report(91)
    ids = lambda response: {r["service_request_id"] for r in response.json()}  # noqa: E731
    assert ids(client.get(BASE + "requests.json")) == {recent.request_id}
    now = timezone.localtime()
    span = {"start_date": (now - timedelta(days=95)).isoformat(), "end_date": (now - timedelta(days=5)).isoformat()}
    assert ids(client.get(BASE + "requests.json", span)) == {recent.request_id, old.request_id}
    longer = {**span, "start_date": (now - timedelta(days=95, seconds=1)).isoformat()}
    response = client.get(BASE + "requests.json", longer)
    assert response.status_code == 400 and "90 天" in response.json()[0]["description"]
    xml_error(client.get(BASE + "requests.xml", longer), 400, "start_date/end_date", "90")
    only_start = {"start_date": (now - timedelta(days=200)).isoformat()}
    assert ids(client.get(BASE + "requests.json", only_start)) == set()
    # With service_request_id the dates are ignored, as the spec says.
    assert ids(client.get(BASE + "requests.json", {**longer, "service_request_id": old.request_id})) == {
        old.request_id}


def test_gets_are_open_to_other_origins_and_posts_are_not(client, key):
    for path in ("discovery.json", "services.xml", "requests.json", "services/nothing.json"):
        response = client.get(BASE + path, HTTP_ORIGIN="https://map.example.org")
        assert response["Access-Control-Allow-Origin"] == "*", path
        assert "Access-Control-Allow-Credentials" not in response
    assert client.head(BASE + "services.json")["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(BASE + "requests.json", HTTP_ORIGIN="https://map.example.org",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    posted = client.post(BASE + "requests.json", {"api_key": key, "service_code": "property", "lat": "43.835",
                                                  "long": "90.285"}, HTTP_ORIGIN="https://map.example.org")
    assert posted.status_code == 201 and "Access-Control-Allow-Origin" not in posted
    refused = client.post(BASE + "requests.xml", {"api_key": "x"}, HTTP_ORIGIN="https://map.example.org")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


def test_the_privacy_rule_holds_in_xml(client, key):
    issue = report(1, "张三家门口的井盖丢了")
    ResidentIssue.objects.filter(pk=issue.pk).update(address="幸福小区1号楼", reporter_phone="13912345678")
    public = xml(client.get(BASE + "requests.xml"))
    fields = [e.tag for e in public.find("request")]
    assert "description" not in fields and "address" not in fields and "status_notes" not in fields
    assert b"\xe4\xba\x95\xe7\x9b\x96" not in client.get(BASE + "requests.xml").content  # 井盖
    assert public.findtext("request/lat") == "43.835"
    full = xml(client.get(BASE + "requests.xml", {"api_key": key}))
    assert full.findtext("request/description") == "张三家门口的井盖丢了"
    assert full.findtext("request/address") == "幸福小区1号楼" and full.find("request/zipcode").text is None
    assert b"13912345678" not in client.get(BASE + "requests.xml", {"api_key": key}).content
