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


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_login_page_renders(client):
    assert client.get("/accounts/login/").status_code == 200
