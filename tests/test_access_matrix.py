"""Every route × every role × each method against the one access policy (``core.access``).

The routes are found from the URL conf: pages, the JSON API, Open311, the admin and Django's account views.
Each must declare what it needs (``core.guards``; the admin through ``core.admin_scope.PolicyAdmin``), and a
route that declares nothing fails ``test_every_route_declares_its_access``. The expected answer of each
request is derived from the policy table, not from the view:

* a method the route does not declare: 405;
* anonymous on a non-public route: the login page (pages) or 401 (API);
* a role without the permission: 403, and nothing is written;
* a role with it (and a superuser): never 401/403, never a login page, never a 5xx;
* a public route: the same refusal for everyone or none (Open311 refuses a POST without its API key to
  anonymous visitors and signed-in staff alike).

Every account is bound to the prefecture, so region scope (tested route by route in the ``*_url_scope*``
tests) never hides the objects and the outcome is the role's alone.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from changji.core import access
from changji.core.guards import PUBLIC, SIGNED_IN, SIGNED_REQUEST, declared
from changji.core.models import AuditEntry, Notification, Role
from changji.core.navigation import entries_for

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
METHODS = ("GET", "POST", "DELETE")
ANONYMOUS = "anonymous"
SUPERUSER = "superuser"


def walk() -> list[tuple[str, URLPattern]]:
    """Every (route template, pattern) of the URL conf."""
    found: list[tuple[str, URLPattern]] = []

    def visit(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                visit(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                found.append((route, entry))

    visit(get_resolver().url_patterns, "")
    return found


def platform_routes() -> list[tuple[str, URLPattern]]:
    """Every route but the admin's (the admin is walked model by model below)."""
    return [(route, pattern) for route, pattern in walk() if not route.startswith("admin/")]


def fill(route: str, ids: dict[str, object]) -> str:
    """The URL of ``route`` with its parameters taken from ``ids`` (an unknown parameter fails the test)."""

    def value(match: re.Match) -> str:
        name = match["name"]
        assert name in ids, f"route {route!r} has the parameter {name!r}: add an object for it to the matrix"
        return str(ids[name])

    route = route.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + CONVERTER.sub(value, REGEX_GROUP.sub(value, route))


@pytest.fixture
def accounts(make_user):
    """One account per role, bound to the prefecture, plus a superuser and the anonymous visitor."""
    users = {ANONYMOUS: None}
    users.update({role.value: make_user(f"matrix-{role.value}", "652300", role=role) for role in Role})
    users[SUPERUSER] = make_user("matrix-root", None, is_superuser=True)
    return users


@pytest.fixture
def objects(community_world, make_user, settings, tmp_path, accounts):
    """One object of every kind a route names, so that allowed roles reach the real page."""
    from changji.community.models import (
        Activity,
        ActivityPhoto,
        CoBuildingUnit,
        IssueCategory,
        MicroWish,
        ResidentIssue,
        Room,
    )
    from changji.services import cases
    from changji.services.demo_catalogue import seed_demo_catalogue
    from changji.services.models import Bundle, Department
    from changji.water.models import (
        Alarm,
        Allocation,
        AllocationChange,
        Command,
        Licence,
        QuarantinedTerminal,
        Terminal,
        WaterUser,
        Well,
    )
    from changji.water.registry.service import region_for_address

    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    well = Well.objects.create(code="652323-00001", name="矩阵井", region_id="652323", latitude=44.3, longitude=86.9,
                               pump_rated_power_kw=30, pump_rated_flow_m3h=55)
    terminal = Terminal.objects.create(protocol="szy206", address="6523230001", well=well, region_id="652323")
    alarm = Alarm.objects.create(terminal=terminal, well=well, kind="door_open", severity="warning", state="open",
                                 raised_at=now - timedelta(hours=1))
    command = Command.objects.create(terminal=terminal, kind="pump_stop", reason="矩阵", requested_by_name="x",
                                     expires_at=now + timedelta(hours=1))
    quarantined = QuarantinedTerminal.objects.create(protocol="szy206", address="6523239999", first_seen_at=now,
                                                     last_seen_at=now, last_peer="p",
                                                     region=region_for_address("6523239999"))
    licence = Licence.objects.create(number="矩阵证", water_user=WaterUser.objects.create(
        code="MATRIX-U", name="矩阵取水户", kind="cooperative", region_id="652323"), permitted_m3_per_year=1,
        valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31), issuing_authority="矩阵水利局")
    allocation = Allocation.objects.create(year=timezone.localdate().year, well=well, allocation_m3=1000)
    change = AllocationChange.objects.create(allocation=allocation, amount_m3=100, reason="矩阵", by_name="x")
    seed_demo_catalogue()
    bundle = Bundle.objects.get(code="YJS-CY")
    from changji.services.models import CatalogueMaterial

    CatalogueMaterial.objects.create(code="MATRIX-M", name="营业执照", region_id="652302",
                                     template=ContentFile(b"%PDF-1.4 matrix", name="matrix.pdf"))
    from tests.services.web.conftest import ANSWERS, MATERIALS, USCC

    materials = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in MATERIALS}
    case = cases.submit(bundle, cases.Applicant("enterprise", "矩阵公司", USCC), "online", dict(ANSWERS), materials,
                        by="applicant")
    sub = cases.accept(case, "matrix-setup")[0]
    Department.objects.get(pk=sub.department_id).reviewers.add(accounts[Role.DEPARTMENT_REVIEWER])
    w = community_world
    category = IssueCategory.objects.create(code="matrix", name="矩阵类别", responsible="grid")
    issue = ResidentIssue.objects.create(
        request_id="SQMATRIX00001", category=category, region=w.grid_a.region, description="矩阵", lon=90.285,
        lat=43.835, channel="web", reported_at=now, response_due_at=now + timedelta(hours=24), level_started_at=now,
        due_at=now + timedelta(days=3), open311_token="matrix0open311token")
    wish = MicroWish.objects.create(region=w.grid_a.region, resident=w.zhang, title="矩阵心愿", posted_at=now,
                                    state="published", published_at=now)
    activity = Activity.objects.create(region=w.east, kind="market", title="矩阵活动", held_on=date.today())
    photo = ActivityPhoto.objects.create(activity=activity, photo=ContentFile(b"\x89PNG", name="a.png"))
    unit = CoBuildingUnit.objects.create(region=w.east, name="矩阵单位", registered_on=date.today())
    room = Room.objects.create(region=w.east, name="矩阵室", kind="service", function="多功能厅", area_m2=Decimal(50))
    from tests.urlwalk import seed_organisations

    liaison, organisation = seed_organisations(w, unit, accounts[Role.PREFECTURE_ADMIN], date.today())
    from changji.water.models import QuotaNorm, WaterUser

    water_user = WaterUser.objects.create(code="652323-U00001", name="矩阵合作社", kind="cooperative",
                                          region_id="652323")
    norm = QuotaNorm.objects.create(year=date.today().year, kind="crop", category="小麦", method="drip", value=300,
                                    unit="m³/亩")
    notice = Notification.objects.create(event="water.quota.stop", channel="in_app", title="已关泵", body="矩阵",
                                         user=accounts[Role.COUNTY_OPERATOR], region_id="652323", state="sent")
    from tests.urlwalk import _picture, seed_exchange, seed_kpi_targets, seed_tax

    tax = {name: values[0] for name, values in seed_tax(well, date.today()).items()}
    from tests.urlwalk import seed_groundwater, seed_hall, seed_meeting, seed_profiles, seed_visits

    tax.update({name: values[0] for name, values in seed_groundwater(well).items()})
    tax |= {name: values[0] for name, values in seed_profiles(terminal).items()}
    return {**tax,
        "well_id": well.pk, "terminal_id": terminal.pk, "alarm_id": alarm.pk, "command_id": command.pk,
        "quarantined_id": quarantined.pk, "allocation_id": allocation.pk, "change_id": change.pk,
        "bundle_id": bundle.pk, "case_id": case.pk,
        "department_code": bundle.lead_department.code, "item_code": "SCJG-001", "material_code": "MATRIX-M",
        "material_id": case.materials.first().pk, "sub_case_id": sub.pk, "issue_id": issue.pk, "wish_id": wish.pk,
        "activity_id": activity.pk, "photo_id": photo.pk, "unit_id": unit.pk, "pk": room.pk,
        "service_code": category.code, "service_request_id": issue.request_id, "fmt": "json", "rest": "nothing",
        "path": "Things", "token": "matrix0open311token",
        "water_user_id": water_user.pk, "norm_id": norm.pk,
        "licence_id": licence.pk, "liaison_id": liaison.pk, "organisation_id": organisation.pk,
        "notification_id": notice.pk,
        "picture_id": _picture(terminal, now).pk, "region_code": "652323",
        **_order_and_photo(well),
        **{name: values[0] for name, values in seed_kpi_targets(well, date.today()).items()},
        **{name: values[0] for name, values in seed_exchange(well).items()},
        **{name: values[0] for name, values in seed_hall("652302").items()},
        **{name: values[0] for name, values in seed_visits(w).items()},
        **{name: values[0] for name, values in seed_meeting(w.east, now, issue=issue).items()},
    }


def _order_and_photo(well) -> dict:
    """A work order and a photo of it (the work-order pages' path values, issue 15)."""
    from changji.water.models import WorkOrder
    from tests.urlwalk import seed_work_order_photo

    order = WorkOrder.objects.create(kind="repair", well=well, due_on=date.today())
    return {"order_id": order.pk, "order_photo_id": seed_work_order_photo(str(order.pk))}


def _send(client, method: str, url: str, api: bool):
    if method == "GET":
        return client.get(url)
    if api:
        return client.generic(method, url, "{}", content_type="application/json")
    return client.generic(method, url, "", content_type="application/x-www-form-urlencoded")


def _to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def expected(requirement, who: str) -> str:
    """What the policy says ``who`` gets for a route method that needs ``requirement``: refused, login or allowed."""
    if requirement is None:
        return "405"
    if requirement is PUBLIC:
        return "allowed"
    if requirement is SIGNED_REQUEST:  # the exchange API: a request signature, never a session
        return "unsigned"
    if who == ANONYMOUS:
        return "login"
    if requirement is SIGNED_IN or who == SUPERUSER:
        return "allowed"
    return "allowed" if requirement in access.ROLE_PERMISSIONS[who] else "refused"


def test_every_route_declares_its_access():
    """A route whose view declares nothing fails here, so no route escapes the policy."""
    undeclared = [route for route, pattern in platform_routes() if declared(pattern.callback) is None]
    assert undeclared == []
    assert len(platform_routes()) >= 80


def test_every_declared_permission_is_in_the_policy():
    """Routes name only permissions the policy knows, and every permission is taken by some route or admin."""
    used: set[str] = set()
    for _, pattern in platform_routes():
        used |= {str(need) for need in declared(pattern.callback).methods.values()
                 if need is not PUBLIC and need is not SIGNED_IN and need is not SIGNED_REQUEST}
    for model_admin in admin.site._registry.values():
        used |= {str(p) for p in (model_admin.read_permission, model_admin.edit_permission) if p}
    used.add(access.P.ADMIN_USE)
    assert used <= {p.value for p in access.Permission}
    assert {p.value for p in access.Permission} - used == set()


@pytest.mark.slow
def test_every_route_role_and_method_meets_the_policy(client, accounts, objects):
    outcomes = {"allowed": 0, "refused": 0, "login": 0, "405": 0, "unsigned": 0}
    reached = 0
    anonymous: dict[tuple[str, str], int] = {}
    for route, pattern in platform_routes():
        access_of = declared(pattern.callback)
        url = fill(route, objects)
        api = route.startswith("api/")
        for who, user in accounts.items():
            for method in METHODS:
                if user is None:
                    client.logout()
                else:
                    client.force_login(user)
                want = expected(access_of.requirement(method), who)
                before = AuditEntry.objects.count()
                response = _send(client, method, url, api)
                where = f"{method} {url} as {who}: {response.status_code}"
                # /readyz answers 503 on purpose while the instance is not ready (no job run in the test database).
                assert response.status_code < 500 or (url == "/readyz" and response.status_code == 503), where
                if user is None:
                    anonymous[method, url] = response.status_code
                if want == "405":
                    assert response.status_code == 405, where
                elif want == "login":
                    assert (response.status_code == 401) if api else _to_login(response), where
                elif want == "unsigned":
                    assert response.status_code == 401, where
                    assert AuditEntry.objects.count() == before, f"{where} wrote to the audit log"
                elif want == "refused":
                    assert response.status_code == 403, where
                    assert AuditEntry.objects.count() == before, f"{where} wrote to the audit log"
                elif access_of.requirement(method) is PUBLIC:
                    assert response.status_code != 401 and not _to_login(response), where
                    assert response.status_code != 403 or anonymous[method, url] == 403, where
                else:
                    assert response.status_code not in (401, 403) and not _to_login(response), where
                    reached += response.status_code == 200
                outcomes[want] += 1
    assert all(outcomes.values()), outcomes
    assert reached >= 300, f"only {reached} allowed requests reached a page: the matrix objects are wrong"


def _admin_expected(model_admin, who: str, user, action: str) -> str:
    """What the policy says ``who`` gets on an admin's list (``view``) or add page (``add``)."""
    if who == ANONYMOUS:
        return "login"
    if not access.allows(user, access.P.ADMIN_USE):
        return "refused"
    editable = model_admin.edit_permission is not None and access.allows(user, model_admin.edit_permission)
    if action == "view":
        readable = model_admin.read_permission is not None and access.allows(user, model_admin.read_permission)
        return "allowed" if readable or editable else "refused"
    return "allowed" if editable and model_admin.addable else "refused"


@pytest.mark.slow
def test_every_admin_page_meets_the_policy(client, accounts):
    """Each admin's list and add pages, for every role.

    The site needs ``core.admin.use``, the list the admin's read (or edit) permission, the add page its edit
    permission.
    """
    checked = 0
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        for who, user in accounts.items():
            if user is None:
                client.logout()
            else:
                client.force_login(user)
            for action, url in (("view", base), ("add", base + "add/")):
                want = _admin_expected(model_admin, who, user, action)
                response = client.get(url)
                where = f"GET {url} as {who}: {response.status_code}"
                assert response.status_code < 500, where
                if want == "login":
                    assert response.status_code == 302 and "login" in response["Location"], where
                elif want == "refused":
                    assert response.status_code == 403, where
                else:
                    assert response.status_code == 200, where
                checked += 1
    assert len(admin.site._registry) >= 25 and checked == len(admin.site._registry) * len(accounts) * 2


@pytest.mark.parametrize("role", [Role.WINDOW_CLERK, Role.DEPARTMENT_REVIEWER, Role.GRID_WORKER])
def test_staff_outside_water_see_no_water_menu_and_cannot_open_water_pages(client, accounts, role):
    user = accounts[role]
    labels = [entry.label for entry in entries_for(user)]
    assert not {"一屏看水", "一图懂水", "告警中心", "统计报表"} & set(labels)
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "一屏看水" not in page and "/water/" not in page
    assert client.get("/water/").status_code == 403


def test_the_menu_is_what_the_policy_allows(accounts):
    """Each role's header lists exactly the entries whose permission the policy grants."""
    from django.apps import apps

    for role in Role:
        user = accounts[role.value]
        granted = access.ROLE_PERMISSIONS[role]
        want = [label for config in apps.get_app_configs() for label, _, permission in getattr(config, "menu", ())
                if permission in granted]
        assert [entry.label for entry in entries_for(user)] == want, role


def test_a_township_viewer_gets_read_only_pages(client, accounts, objects):
    """The 乡镇查看员 opens the alarm and the well but is offered no action and may not post one."""
    from changji.water.models import Alarm

    viewer = accounts[Role.TOWNSHIP_VIEWER]
    client.force_login(viewer)
    page = client.get(f"/water/alarms/{objects['alarm_id']}/").content.decode()
    assert 'name="action"' not in page
    well = client.get(f"/water/wells/{objects['well_id']}/").content.decode()
    assert "pump-form" not in well
    for action in ("acknowledge", "dismiss"):
        response = client.post(f"/water/alarms/{objects['alarm_id']}/", {"action": action, "dismiss-reason": "x"})
        assert response.status_code == 403
    assert Alarm.objects.get(pk=objects["alarm_id"]).state == "open"


def test_unknown_uuid_and_ids_are_not_an_error(client, accounts):
    client.force_login(accounts[SUPERUSER])
    assert client.get(f"/water/alarms/{uuid.uuid4()}/").status_code == 404
