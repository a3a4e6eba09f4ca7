"""The licence pages: each role's access (200/403), region scope (404), the forms and the import."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from changji.core.access import P, allows
from changji.core.models import AuditEntry
from changji.water.models import Licence
from tests.water.licences.test_xlsx import book, row


def _pages(licence):
    return {
        "list": reverse("water:licences"), "export": reverse("water:licence_export"),
        "detail": reverse("water:licence", args=[licence.pk]), "new": reverse("water:licence_new"),
        "edit": reverse("water:licence_edit", args=[licence.pk]),
        "state": reverse("water:licence_state", args=[licence.pk]), "import": reverse("water:licence_import"),
        "template": reverse("water:licence_template"),
    }


@pytest.mark.parametrize("who", ["operator", "admin", "viewer", "maintenance"])
def test_each_role_gets_what_the_policy_gives(client, world, licence, who):
    user = getattr(world, who)
    readable, editable = allows(user, P.WATER_ALLOCATION_READ), allows(user, P.WATER_ALLOCATION_EDIT)
    assert (who, readable, editable) in {("operator", True, True), ("admin", True, True), ("viewer", True, False),
                                         ("maintenance", False, False)}
    client.force_login(user)
    for name, url in _pages(licence).items():
        needs_edit = name in ("new", "edit", "state", "import", "template")
        expected = 200 if (editable if needs_edit else readable) else 403
        assert client.get(url).status_code == expected, (name, url)


def test_another_county_sees_nothing_of_it(client, world, licence):
    client.force_login(world.other_operator)
    pages = _pages(licence)
    for name in ("detail", "edit", "state"):
        assert client.get(pages[name]).status_code == 404
    assert client.post(pages["state"], {"to": "suspended", "reason": "越权"}).status_code == 404
    assert licence.number not in client.get(pages["list"]).content.decode()
    assert client.get(pages["new"], {"water_user": world.user.pk}).status_code == 404


def test_list_filters_and_highlights_the_expiring(client, world, licence):
    from datetime import timedelta

    from changji.core.localtime import today
    from changji.water.licences.service import save_licence
    from tests.water.licences.conftest import licence_data

    soon = save_licence(licence_data(world.user, [], number="即将到期证", valid_to=today() + timedelta(days=20)),
                        world.operator)
    client.force_login(world.operator)
    page = client.get(reverse("water:licences")).content.decode()
    assert f'data-licence="{soon.pk}" class="expiring"' in page and "20 天后到期" in page
    page = client.get(reverse("water:licences"), {"expiring": "1"}).content.decode()
    assert "即将到期证" in page and licence.number not in page
    assert licence.number in client.get(reverse("water:licences"), {"q": "第001号"}).content.decode()
    assert client.get(reverse("water:licences"), {"state": "bogus"}).status_code == 400
    exported = client.get(reverse("water:licence_export"), {"expiring": "1"})
    rows = list(load_workbook(io.BytesIO(exported.content))["取水许可证"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["即将到期证"]


def test_register_edit_and_state_through_the_forms(client, world):
    client.force_login(world.operator)
    url = reverse("water:licence_new") + f"?water_user={world.user.pk}"
    form = {"number": "表单证", "source": "groundwater", "purpose": "agricultural", "permitted_m3_per_year": "5000",
            "valid_from": "2026-01-01", "valid_to": "2028-12-31", "issuing_authority": "呼图壁县水利局",
            "wells": [world.wells[0].pk]}
    bad = client.post(url, {**form, "valid_to": "2025-01-01"})
    assert bad.status_code == 400 and "有效期止不能早于有效期起" in bad.content.decode()
    assert client.post(url, {**form, "wells": [world.other_wells[0].pk]}).status_code == 400
    created = client.post(url, form)
    licence = Licence.objects.get(number="表单证")
    assert created.status_code == 302 and created["Location"] == reverse("water:licence", args=[licence.pk])
    edit = reverse("water:licence_edit", args=[licence.pk])
    assert client.post(edit, {**form, "permitted_m3_per_year": "6000"}).status_code == 302
    assert Licence.objects.get().permitted_m3_per_year == 6000
    state = reverse("water:licence_state", args=[licence.pk])
    assert client.post(state, {"to": "suspended", "reason": ""}).status_code == 400
    assert client.post(state, {"to": "suspended", "reason": "限期整改"}).status_code == 302
    confirm = client.post(state, {"to": "revoked", "reason": "拒不整改"})
    assert confirm.status_code == 200 and "确认吊销" in confirm.content.decode()
    assert Licence.objects.get().state == "suspended"  # not before the confirmation
    assert client.post(state, {"to": "revoked", "reason": "拒不整改", "confirm": "1"}).status_code == 302
    assert Licence.objects.get().state == "revoked"
    detail = client.get(reverse("water:licence", args=[licence.pk])).content.decode()
    for action in ("water.licence.create", "water.licence.update", "water.licence.suspended", "water.licence.revoked"):
        assert action in detail


def test_import_page_lists_the_problems_or_redirects(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.operator)
    url = reverse("water:licence_import")
    upload = SimpleUploadedFile("l.xlsx", book(row(), row("二号", user="NOPE")))
    refused = client.post(url, {"workbook": upload})
    assert refused.status_code == 400 and "取水许可证 第 3 行 取水权人编号" in refused.content.decode()
    assert not Licence.objects.exists()
    done = client.post(url, {"workbook": SimpleUploadedFile("l.xlsx", book(row()))})
    assert done.status_code == 302 and Licence.objects.count() == 1
    assert AuditEntry.objects.filter(action="water.licence.import", actor=world.operator).exists()
    broken = client.post(url, {"workbook": SimpleUploadedFile("l.xlsx", b"junk")})
    assert broken.status_code == 400


def test_the_menu_shows_the_entry(client, world):
    client.force_login(world.viewer)
    assert "取水许可" in client.get(reverse("water:licences")).content.decode()
