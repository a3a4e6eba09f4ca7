"""The ``id`` path converter: ids of 1 to 2**63 - 1 reach the view; 0, 2**63, 30 digits and odd digits are a 404."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve, reverse

from changji.core.converters import IdConverter


@pytest.mark.parametrize("value", ["0", "00", str(2**63), "1" + "0" * 30, "²", "١", "-1", "1.0"])
def test_no_row_id_no_route(value):
    with pytest.raises(Resolver404):
        resolve(f"/water/wells/{value}/")


def test_row_ids_reach_the_view_as_int():
    assert resolve(f"/water/wells/{2**63 - 1}/").kwargs == {"well_id": 2**63 - 1}
    assert resolve("/community/issues/007/").kwargs == {"issue_id": 7}
    assert reverse("water:well", args=[0]) == "/water/wells/0/"  # a placeholder for scripts, never resolved
    with pytest.raises(ValueError):
        IdConverter().to_python("0")


@pytest.mark.django_db
def test_a_huge_id_in_any_page_path_is_a_404(client, make_user):
    client.force_login(make_user("root-ids", None, is_superuser=True, is_staff=True))
    for url in ("/water/wells/{}/", "/services/window/{}/", "/community/issues/{}/", "/community/venues/rooms/{}/"):
        assert client.get(url.format("1" + "0" * 30)).status_code == 404
