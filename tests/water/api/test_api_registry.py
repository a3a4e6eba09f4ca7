"""Water API: wells, terminals, readings and daily usage, scoped to the user's region."""

import pytest

pytestmark = pytest.mark.django_db

BASE = "/api/water"


def test_unauthenticated_calls_are_401(client, hutubi):
    assert client.get(f"{BASE}/wells").status_code == 401
    assert client.get(f"{BASE}/wells/{hutubi.well.pk}").status_code == 401
    assert client.get(f"{BASE}/wells", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_wells_list_is_scoped_and_paged(api, hutubi, manas):
    response = api.get(f"{BASE}/wells")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [w["code"] for w in body["items"]] == [hutubi.well.code]
    assert body["items"][0]["region_id"] == "652323" and body["items"][0]["pump_rated_flow_m3h"] == 55


def test_session_login_works_like_a_token(session_client, operator, hutubi, manas):
    response = session_client(operator).get(f"{BASE}/wells")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_wells_filters(api, hutubi, make_terminal):
    other = make_terminal(address="6523230002").well
    other.use, other.name = "industrial", "工业井"
    other.save()
    assert api.get(f"{BASE}/wells", {"use": "industrial"}).json()["count"] == 1
    assert api.get(f"{BASE}/wells", {"kind": "extraction"}).json()["count"] == 2
    assert api.get(f"{BASE}/wells", {"q": "工业"}).json()["items"][0]["id"] == other.pk
    assert api.get(f"{BASE}/wells", {"region": "652323"}).json()["count"] == 2
    assert api.get(f"{BASE}/wells", {"region": "652324"}).json()["count"] == 0


def test_prefecture_admin_sees_every_county(make_user, token_client, hutubi, manas):
    admin = make_user("pref", "652300", role="prefecture_admin")
    assert token_client(admin).get(f"{BASE}/wells").json()["count"] == 2


def test_well_and_terminal_detail(api, hutubi):
    well = api.get(f"{BASE}/wells/{hutubi.well.pk}").json()
    assert well["code"] == hutubi.well.code
    terminal = api.get(f"{BASE}/terminals/{hutubi.terminal.pk}").json()
    assert terminal["address"] == "6523230001" and "password" not in terminal
    listed = api.get(f"{BASE}/terminals").json()
    assert [t["id"] for t in listed["items"]] == [hutubi.terminal.pk]


def test_other_county_objects_are_404(api, hutubi, manas):
    for path in (f"wells/{manas.well.pk}", f"terminals/{manas.terminal.pk}", f"wells/{manas.well.pk}/readings",
                 f"wells/{manas.well.pk}/daily-usage"):
        assert api.get(f"{BASE}/{path}").status_code == 404, path
    assert api.get(f"{BASE}/wells/999999").status_code == 404


def test_readings_are_time_ranged_in_utc(api, hutubi):
    url = f"{BASE}/wells/{hutubi.well.pk}/readings"
    body = api.get(url).json()
    assert body["count"] == 3
    assert [r["observed_at"] for r in body["items"]] == [
        "2026-07-01T02:00:00Z", "2026-07-01T03:00:00Z", "2026-07-01T04:00:00Z"]
    ranged = api.get(url, {"start": "2026-07-01T03:00:00Z", "end": "2026-07-01T04:00:00Z"}).json()
    assert [r["volume_m3"] for r in ranged["items"]] == [10.0]
    assert api.get(url, {"start": "2026-07-01T11:00:00+08:00"}).json()["count"] == 2
    page = api.get(url, {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3 and len(page["items"]) == 1


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"start": "2026-07-02T00:00:00Z", "end": "2026-07-01T00:00:00Z"}, 400, "end"),
        ({"start": "yesterday"}, 422, "start"),
        ({"end": "2026-13-01"}, 422, "end"),
        ({"start": "0001-01-01T00:00:00+14:00"}, 400, "start"),
        ({"limit": 501}, 422, "limit"),
        ({"limit": 0}, 422, "limit"),
        ({"offset": -1}, 422, "offset"),
    ],
)
def test_bad_reading_queries_name_the_field(api, hutubi, fields_named, params, status, field):
    response = api.get(f"{BASE}/wells/{hutubi.well.pk}/readings", params)
    assert response.status_code == status
    assert field in fields_named(response)


def test_bad_well_filters_name_the_field(api, fields_named):
    response = api.get(f"{BASE}/wells", {"kind": "lake"})
    assert response.status_code == 400 and fields_named(response) == {"kind"}
    response = api.get(f"{BASE}/wells", {"use": "x"})
    assert response.status_code == 400 and fields_named(response) == {"use"}
    assert api.get(f"{BASE}/wells/abc").status_code == 422


def test_daily_usage(api, hutubi, fields_named):
    url = f"{BASE}/wells/{hutubi.well.pk}/daily-usage"
    body = api.get(url).json()
    assert [(d["day"], d["usage_m3"]) for d in body["items"]] == [("2026-07-01", 12.5), ("2026-07-02", 7.5)]
    assert api.get(url, {"first": "2026-07-02", "last": "2026-07-02"}).json()["count"] == 1
    response = api.get(url, {"first": "2026-07-02", "last": "2026-07-01"})
    assert response.status_code == 400 and fields_named(response) == {"last"}
    response = api.get(url, {"first": "not-a-date"})
    assert response.status_code == 422 and "first" in fields_named(response)
