"""The Open311 GeoReport v2 endpoint, exercised by a plain HTTP client (urllib) over real TCP.

Against the live server, step by step as the GeoReport v2 document describes it: discovery, service list,
service definition, POST a service request with an api_key, GET it back, GET the list with filters, and the
error format; in JSON and, as an XML client does it, in XML (parsed with ElementTree).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta
from io import StringIO
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from changji.community.issues import categories, handling
from changji.community.models import Open311Client, ResidentIssue
from changji.community.open311 import create_client
from changji.core.models.token import digest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
REQUEST_KEYS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
#: What anyone sees without an api_key.
PUBLIC_KEYS = {"service_request_id", "status", "service_name", "service_code", "agency_responsible",
               "requested_datetime", "updated_datetime", "expected_datetime", "lat", "long"}


class Api:
    """A GeoReport v2 client speaking HTTP to the live server with the standard library only."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/") + "/open311/v2/"

    def call(self, method: str, path: str, params: dict | None = None, body: bytes | None = None,
             content_type: str = "application/x-www-form-urlencoded"):
        url = self.base + path
        data = None
        if method == "GET" and params:
            url += "?" + urllib.parse.urlencode(params)
        elif params is not None:
            data = urllib.parse.urlencode(params).encode()
        if body is not None:
            data = body
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, error.headers, error.read()
        self.headers = headers
        if path.lower().endswith(".xml"):
            assert headers.get("Content-Type") == "text/xml; charset=utf-8", (path, status, raw[:200])
            return status, ElementTree.fromstring(raw)
        assert headers.get("Content-Type", "").startswith("application/json"), (path, status, raw[:200])
        return status, json.loads(raw.decode())

    def get(self, path: str, **params):
        return self.call("GET", path, params)

    def post(self, path: str, **params):
        return self.call("POST", path, params)


@pytest.fixture
def api(live_server, community_world):
    categories.seed_categories()
    return Api(live_server.url)


@pytest.fixture
def key(community_world):
    """An api_key for the whole town (both communities)."""
    return create_client("12345 市民热线", community_world.town)[1]


def assert_error(answer, status: int, *words: str) -> None:
    code, body = answer
    assert code == status, body
    assert isinstance(body, list) and len(body) == 1 and body[0]["code"] == status, body
    for word in words:
        assert word in body[0]["description"], body


def request_params(key: str, **extra) -> dict:
    return {"api_key": key, "service_code": "property", "lat": "43.835", "long": "90.285",
            "address_string": "幸福小区1号楼", "description": "电梯停运三天", "email": "zhang@example.cn",
            "first_name": "三", "last_name": "张", "phone": "13912345678",
            "media_url": "https://example.cn/photo.jpg", **extra}


def test_discovery_services_and_definitions(api):
    status, discovery = api.get("discovery.json")
    assert status == 200
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert discovery["endpoints"][0]["formats"] == ["text/xml", "application/json"]

    status, services = api.get("services.json")
    assert status == 200
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {spec.code for spec in categories.DEFAULT_CATEGORIES}
    noise = by_code["noise"]
    assert noise["service_name"] == "噪音扰民" and noise["metadata"] is False and noise["type"] == "realtime"
    assert noise["group"] == "平安和谐" and "公安派出所" in noise["keywords"] and noise["description"]

    assert api.get("services/noise.json") == (200, {"service_code": "noise", "attributes": []})
    assert_error(api.get("services/no-such-service.json"), 404, "no-such-service")
    status, root = api.get("services.xml")
    assert status == 200 and root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == set(by_code)
    assert api.get("services/noise.xml")[1].findtext("service_code") == "noise"
    assert_error(api.get("services.html"), 400, "format")
    assert_error(api.get("no-such-thing"), 404)


def test_post_a_request_then_get_it_back_and_find_it_in_the_list(api, key, community_world):
    status, body = api.post("requests.json", **request_params(key))
    assert status == 201, body
    assert len(body) == 1 and body[0]["account_id"] is None and body[0]["service_notice"]
    request_id = body[0]["service_request_id"]
    issue = ResidentIssue.objects.get(request_id=request_id)
    assert (issue.channel, issue.region_id, issue.reporter_name) == ("open311", community_world.grid_a.region_id,
                                                                     "张三")
    assert issue.reporter_email == "zhang@example.cn" and issue.media_url == "https://example.cn/photo.jpg"

    status, found = api.get(f"requests/{request_id}.json", api_key=key)
    assert status == 200 and len(found) == 1
    row = found[0]
    assert set(row) == REQUEST_KEYS
    assert (row["service_request_id"], row["status"], row["service_code"], row["service_name"]) == (
        request_id, "open", "property", "物业服务")
    assert (row["lat"], row["long"], row["address"], row["media_url"]) == (43.835, 90.285, "幸福小区1号楼",
                                                                           "https://example.cn/photo.jpg")
    assert row["address_id"] is None and row["zipcode"] is None
    assert row["requested_datetime"].endswith("+08:00") and row["expected_datetime"].endswith("+08:00")
    requested = datetime.fromisoformat(row["requested_datetime"])
    assert datetime.fromisoformat(row["expected_datetime"]) - requested == timedelta(days=5)
    assert "东城社区第一网格" in row["agency_responsible"] and "物业企业" in row["agency_responsible"]
    text = json.dumps(found, ensure_ascii=False)
    for personal in ("13912345678", "zhang@example.cn", "张三"):  # never the reporter's personal data
        assert personal not in text

    # A multipart POST (as some clients send) is accepted too, and lands in grid C.
    boundary = uuid.uuid4().hex
    fields = request_params(key, service_code="sanitation", lat="43.835", long="90.275", description="垃圾未清运")
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in fields.items()) + f"--{boundary}--\r\n"
    status, created = api.call("POST", "requests.json", body=body.encode(),
                               content_type=f"multipart/form-data; boundary={boundary}")
    assert status == 201, created
    other = created[0]["service_request_id"]
    assert ResidentIssue.objects.get(request_id=other).region_id == community_world.grid_c.region_id

    status, both = api.get("requests.json", service_request_id=f"{request_id},{other},SQ00000000000000")
    assert status == 200 and {r["service_request_id"] for r in both} == {request_id, other}

    # Filters: status, service_code, dates (w3 datetimes).
    issue = handling.accept(issue, community_world.users.grid_a, issue.reported_at, "")
    handling.resolve(issue, community_world.users.grid_a, issue.reported_at, "已维修")
    ids = lambda answer: (answer[0], [r["service_request_id"] for r in answer[1]])  # noqa: E731
    assert ids(api.get("requests.json", status="closed")) == (200, [request_id])
    assert ids(api.get("requests.json", status="open")) == (200, [other])
    assert sorted(ids(api.get("requests.json", status="open,closed"))[1]) == sorted([request_id, other])
    assert ids(api.get("requests.json", service_code="sanitation")) == (200, [other])
    assert ids(api.get("requests.json", service_code="noise")) == (200, [])
    now = datetime.now(SHANGHAI)
    day = timedelta(days=1)
    window = {"start_date": (now - day).isoformat(timespec="seconds"), "end_date": (now + day).isoformat()}
    assert sorted(ids(api.get("requests.json", **window))[1]) == sorted([request_id, other])
    assert ids(api.get("requests.json", start_date=(now + day).isoformat(timespec="seconds"))) == (200, [])
    assert ids(api.get("requests.json", end_date=(now - day).strftime("%Y-%m-%dT%H:%M:%SZ"))) == (200, [])
    status, closed = api.get(f"requests/{request_id}.json")
    assert closed[0]["status"] == "closed" and closed[0]["expected_datetime"] is None


def test_errors_follow_the_spec_and_store_nothing(api, key, community_world):
    cases = [
        (request_params(""), 403, ("api_key",)),
        ({k: v for k, v in request_params(key).items() if k != "api_key"}, 403, ("api_key",)),
        (request_params("wrong-key"), 403, ("api_key",)),
        (request_params(key, service_code="no-such"), 400, ("service_code",)),
        (request_params(key, service_code=""), 400, ("service_code",)),
        (request_params(key, lat="", long="", address_string=""), 400, ("location", "lat")),  # no location
        (request_params(key, lat="", long="", address_string="阳光小区"), 400, ("address_string",)),
        (request_params(key, lat="43.8x"), 400, ("lat",)),
        (request_params(key, long="nan"), 400, ("long",)),
        (request_params(key, lat="95"), 400, ("lat",)),
        (request_params(key, lat="43.90"), 400, ("outside",)),  # no grid there
        (request_params(key, email="not-an-email"), 400, ("email",)),
        (request_params(key, description="x" * 4001), 400, ("description",)),
        (request_params(key, media_url="ftp://x"), 400, ("media_url",)),
    ]
    for params, status, words in cases:
        assert_error(api.post("requests.json", **params), status, *words)
    west_key = create_client("西城社区小程序", community_world.west)[1]
    assert_error(api.post("requests.json", **request_params(west_key)), 400, "api_key may report")  # grid A
    assert_error(api.post("requests.htm", **request_params(key)), 400, "format")
    assert ResidentIssue.objects.count() == 0

    assert_error(api.get("requests/SQ20990101000001.json"), 404, "SQ20990101000001")
    assert_error(api.get("requests.txt"), 400, "format")
    assert_error(api.get("requests.json", status="pending"), 400, "status")
    assert_error(api.get("requests.json", start_date="yesterday"), 400, "start_date")
    assert_error(api.get("requests.json", start_date="2026-02-01T00:00:00Z", end_date="2026-01-01T00:00:00Z"), 400,
                 "start_date")
    assert_error(api.get("requests.json", service_code="no-such"), 400, "service_code")
    assert_error(api.get("requests.json", start_date="9999-12-31T00:00:00Z"), 400, "range")
    assert_error(api.get("requests.json", end_date="2026-13-01T00:00:00Z"), 400, "end_date")
    assert_error(api.call("POST", "requests.json", body=b"--x\r\nbroken",
                          content_type="multipart/form-data; boundary=x"), 403, "api_key")
    assert_error(api.call("POST", "requests.json", body=b"api_key=x", content_type="multipart/form-data"), 400,
                 "unreadable")
    assert_error(api.call("DELETE", "requests.json"), 405)
    Open311Client.objects.update(active=False)
    assert_error(api.post("requests.json", **request_params(key)), 403, "api_key")


@pytest.mark.django_db
def test_the_command_issues_a_key_kept_only_as_a_digest(community_world):
    out = StringIO()
    call_command("open311_client", "市民App", region=community_world.east.code, stdout=out)
    raw = out.getvalue().strip().splitlines()[-1].split("：", 1)[1]
    client = Open311Client.objects.get(name="市民App")
    assert client.region == community_world.east and client.key_digest == digest(raw) != raw


def test_get_without_a_key_shows_public_fields_and_a_key_shows_its_region_only(api, key, community_world):
    params = request_params(key, lat="43.83512", long="90.28467")
    status, body = api.post("requests.json", **params)
    assert status == 201, body
    in_a = body[0]["service_request_id"]
    status, body = api.post("requests.json", **request_params(key, service_code="sanitation", lat="43.835",
                                                              long="90.275"))
    in_c = body[0]["service_request_id"]

    # Anyone: every request, public fields only, the location rounded to about 100 m.
    for status, rows in (api.get(f"requests/{in_a}.json"), api.get("requests.json", service_request_id=in_a),
                         api.get("requests.json", service_code="property")):
        assert status == 200 and len(rows) == 1
        assert set(rows[0]) == PUBLIC_KEYS and (rows[0]["lat"], rows[0]["long"]) == (43.835, 90.285)
        text = json.dumps(rows, ensure_ascii=False)
        for private in ("电梯停运三天", "幸福小区1号楼", "example.cn/photo.jpg", "43.83512", "90.28467"):
            assert private not in text
    assert {r["service_request_id"] for r in api.get("requests.json")[1]} == {in_a, in_c}

    # A client of 东城 (grid A): full rows, but only of its own region.
    east_key = create_client("东城社区小程序", community_world.east)[1]
    status, rows = api.get(f"requests/{in_a}.json", api_key=east_key)
    assert status == 200 and set(rows[0]) == REQUEST_KEYS
    assert (rows[0]["description"], rows[0]["lat"], rows[0]["long"]) == ("电梯停运三天", 43.83512, 90.28467)
    assert_error(api.get(f"requests/{in_c}.json", api_key=east_key), 404, in_c)
    assert [r["service_request_id"] for r in api.get("requests.json", api_key=east_key)[1]] == [in_a]
    status, rows = api.get("requests.json", api_key=east_key, service_request_id=f"{in_a},{in_c}")
    assert status == 200 and [r["service_request_id"] for r in rows] == [in_a]

    # A wrong or inactive key is refused, not treated as the public view.
    assert_error(api.get("requests.json", api_key="wrong-key"), 403, "api_key")
    assert_error(api.get(f"requests/{in_a}.json", api_key="wrong-key"), 403, "api_key")
    Open311Client.objects.filter(name="东城社区小程序").update(active=False)
    assert_error(api.get("requests.json", api_key=east_key), 403, "api_key")


def test_dates_outside_1970_to_2100_are_refused_naming_the_parameter(api):
    for name, value in (("start_date", "0001-01-01"), ("start_date", "1969-12-31T23:00:00Z"),
                        ("end_date", "2101-01-01"), ("end_date", "0001-01-01T00:00:00+08:00")):
        assert_error(api.get("requests.json", **{name: value}), 400, name, "range")
    assert api.get("requests.json", start_date="1970-01-02", end_date="1970-03-01")[0] == 200
    assert api.get("requests.json", start_date="2100-10-02", end_date="2100-12-31")[0] == 200
    assert_error(api.get("requests.json", start_date="1970-01-02", end_date="2100-12-31"), 400, "90")


def test_an_xml_client_files_by_address_and_follows_its_token(api, key, community_world):
    """The flow of a GeoReport v2 client in XML mode (the spec's default), with a browser's Origin on the GETs."""
    status, root = api.post("requests.xml", api_key=key, service_code="property", address_string="幸福小区 1号楼")
    assert status == 201 and root.tag == "service_requests" and [r.tag for r in root] == ["request"]
    assert [e.tag for e in root[0]] == ["service_request_id", "token", "service_notice", "account_id"]
    assert api.headers.get("Access-Control-Allow-Origin") is None
    request_id, token = root.findtext("request/service_request_id"), root.findtext("request/token")
    issue = ResidentIssue.objects.get(request_id=request_id)
    assert (issue.region_id, issue.description, issue.address) == (community_world.grid_a.region_id, "",
                                                                   "幸福小区 1号楼")

    status, found = api.get(f"tokens/{token}.xml")
    assert status == 200 and found.findtext("request/service_request_id") == request_id
    assert found.findtext("request/token") == token
    assert api.headers.get("Access-Control-Allow-Origin") == "*"
    status, rows = api.get(f"requests/{request_id}.Xml", api_key=key)
    assert status == 200 and rows.findtext("request/address") == "幸福小区 1号楼"
    assert rows.find("request/description").text is None  # an empty description is an empty element
    status, errors = api.get("requests/SQ0.xml")
    assert status == 404 and errors.tag == "errors" and errors.findtext("error/code") == "404"
