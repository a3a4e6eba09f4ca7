"""The water admin is region scoped, keeps evidence read-only, and registers quarantined terminals."""

from datetime import UTC, datetime

import pytest

from changji.core.models import Role
from changji.water.models import QuarantinedTerminal, Terminal
from changji.water.registry.service import region_for_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    def make(name, region):
        user = make_user(name, region, role=Role.PREFECTURE_ADMIN, is_staff=True, is_superuser=True)
        return user
    return make


def test_county_admin_lists_only_their_county(client, staff, make_terminal):
    make_terminal("6523230001", county="652323")
    make_terminal("6523250001", county="652325")
    client.force_login(staff("hutubi-admin", "652323"))
    page = client.get("/admin/water/terminal/").content.decode()
    assert "6523230001" in page and "6523250001" not in page
    other = Terminal.objects.get(address="6523250001")
    assert client.get(f"/admin/water/terminal/{other.pk}/change/").status_code == 302  # not found → redirect


def test_frames_are_read_only(client, staff):
    client.force_login(staff("zhou", "652300"))
    assert client.get("/admin/water/frame/add/").status_code == 403


def test_register_action_registers_the_quarantined_terminal(client, staff):
    now = datetime.now(UTC)
    q = QuarantinedTerminal.objects.create(protocol="szy206", address="6523280009", first_seen_at=now,
                                           last_seen_at=now, last_peer="p", frame_count=2,
                                           region=region_for_address("6523280009"))
    client.force_login(staff("zhou", "652300"))
    response = client.post("/admin/water/quarantinedterminal/", {"action": "register", "_selected_action": [q.pk]})
    assert response.status_code == 302
    assert Terminal.objects.get(address="6523280009").region_id == "652328"
