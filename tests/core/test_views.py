"""The shared shell's pages answer."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_lists_the_counties_in_scope(client, make_user):
    response = client.get("/")
    assert response.status_code == 200
    assert "井电双控" in response.content.decode()
    client.force_login(make_user("jimsar", "652327"))
    page = client.get("/").content.decode()
    assert "吉木萨尔县" in page and "奇台县" not in page


def test_healthz_and_readyz_answer(client):
    """/healthz says the process runs; /readyz reports the database among its checks (tests/core/test_health.py)."""
    assert client.get("/healthz").json() == {"ok": True}
    database = client.get("/readyz").json()["checks"]["database"]
    assert database["ok"] is True and database["detail"] == "reachable"


def test_login_page_renders(client):
    assert client.get("/accounts/login/").status_code == 200
