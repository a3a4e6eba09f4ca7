"""Region scope on every water page and water API endpoint, generated from the URL conf.

A county operator of 呼图壁县 (652323) asks every water page and every water API route for objects of
玛纳斯县 (652324): routes with an object in the path must answer 403 or 404 (and change nothing);
routes without one must not show the other county's wells, even when asked for its region. A new
route with a path parameter this test does not know fails the test until it is added to
``FOREIGN``, so no endpoint can be forgotten. The services and community API routes have their own scope
tests (tests/services/test_api.py, tests/community/test_api.py).
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from changji.core.models import AuditEntry
from changji.water.models import Alarm, AlarmEvent, Allocation, AllocationChange, Command, QuarantinedTerminal

pytestmark = pytest.mark.django_db

SCOPED_PREFIXES = ("water/", "api/water/")
CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(prefixes: tuple[str, ...] = SCOPED_PREFIXES) -> list[tuple[str, str]]:
    """Every (route, name) under ``prefixes``, as a path template with <converter:name> parts."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(prefixes):
                found.append((route.lstrip("^").rstrip("$"), entry.name or ""))

    walk(get_resolver().url_patterns, "")
    return found


@pytest.fixture
def world(make_user, make_terminal):
    """An operator of 652323, and in 652324 a well with a terminal, an open alarm and a command."""
    operator = make_user("hutubi", "652323", role="county_operator")
    own = make_terminal("6523230001", county="652323")
    foreign = make_terminal("6523240001", county="652324")
    alarm = Alarm.objects.create(terminal=foreign, well=foreign.well, kind="door_open", severity="warning",
                                 state="open", raised_at=timezone.now() - timedelta(hours=1))
    command = Command.objects.create(terminal=foreign, kind="pump_stop", reason="测试", requested_by_name="x",
                                     expires_at=timezone.now() + timedelta(hours=1))
    quarantined = QuarantinedTerminal.objects.create(protocol="szy206", address="6523249999",
                                                     first_seen_at=timezone.now(), last_seen_at=timezone.now())
    allocation = Allocation.objects.create(year=timezone.localdate().year, well=foreign.well, allocation_m3=10)
    change = AllocationChange.objects.create(allocation=allocation, amount_m3=5, reason="测试", by_name="x")
    foreign_ids = {"well_id": foreign.well_id, "terminal_id": foreign.pk, "alarm_id": alarm.pk,
                   "command_id": command.pk, "quarantined_id": quarantined.pk, "allocation_id": allocation.pk,
                   "change_id": change.pk, **foreign_tax(foreign.well), **foreign_bureau_entries(foreign.well),
                   "picture_id": foreign_picture(foreign).pk, "region_code": "652324",
                   **foreign_groundwater(foreign.well),
                   "order_id": foreign_work_order(foreign.well),
                   **foreign_work_order_photo(),
                   **foreign_profiles(foreign),
                   **foreign_kpi_targets(foreign.well),
                   **foreign_exchange(foreign.well)}
    return operator, own, foreign, foreign_ids


def foreign_tax(well) -> dict:
    """The tax routes' path values: 玛纳斯县's water user and overdraft area, and a rate (edited by admins only)."""
    from tests.urlwalk import seed_tax

    return {name: values[0] for name, values in seed_tax(well, timezone.localdate()).items()}


def foreign_groundwater(well) -> dict:
    """玛纳斯县's monitoring well (with a red line) and 超采区 zone."""
    from tests.urlwalk import seed_groundwater

    return {name: values[0] for name, values in seed_groundwater(well).items()}
def foreign_exchange(well) -> dict:
    """A credential issued to 玛纳斯县's downstream instance."""
    from tests.urlwalk import seed_exchange

    return {name: values[0] for name, values in seed_exchange(well).items()}


def foreign_kpi_targets(well) -> dict:
    """玛纳斯县's KPI target and deployment plan (issue 15)."""
    from tests.urlwalk import seed_kpi_targets

    return {name: values[0] for name, values in seed_kpi_targets(well, timezone.localdate()).items()}


def foreign_bureau_entries(well) -> dict:
    """玛纳斯县's licence of the well's water user, a 定额 row of the county's zone, and that water user (issue 14)."""
    from changji.water.models import Licence, QuotaNorm

    user = well.water_user
    licence = Licence.objects.create(number="玛纳斯越权证", water_user=user, permitted_m3_per_year=1000,
                                     valid_from=timezone.localdate(), valid_to=timezone.localdate() + timedelta(days=9),
                                     issuing_authority="玛纳斯县水利局")
    licence.wells.add(well)
    norm = QuotaNorm.objects.create(year=timezone.localdate().year, kind="crop", category="棉花", method="drip",
                                    value=340, unit="m³/亩", region_id=well.region_id)
    return {"licence_id": licence.pk, "norm_id": norm.pk, "water_user_id": user.pk}


def foreign_picture(terminal):
    """A picture of 玛纳斯县's terminal (the 现场图片 pages, issue 15)."""
    from tests.urlwalk import _picture

    return _picture(terminal, timezone.now())


def foreign_work_order(well) -> int:
    """玛纳斯县's work order, dispatched to a worker of 玛纳斯县 (issue 15)."""
    from changji.core.models import Region, User
    from changji.water.models import WorkOrder

    worker = User.objects.create_user(username="mns-walk-worker", password="x-Secret-2026", role="maintenance_worker",
                                      region=Region.objects.get(code=well.region_id))
    return WorkOrder.objects.create(kind="repair", well=well, due_on=timezone.localdate(), state="assigned",
                                    assignee=worker).pk
def foreign_work_order_photo() -> dict:
    """A photo of 玛纳斯县's work order (issue 15)."""
    from changji.water.models import WorkOrder
    from tests.urlwalk import seed_work_order_photo

    order = WorkOrder.objects.get(assignee__username="mns-walk-worker")
    return {"order_photo_id": seed_work_order_photo(str(order.pk))}


def foreign_profiles(terminal) -> dict:
    """A profile and batch (prefecture-wide, ``UNSCOPED``) and 玛纳斯县's terminal's 规约不符 suggestion."""
    from tests.urlwalk import seed_profiles

    return {name: values[0] for name, values in seed_profiles(terminal).items()}


#: Path parameters of prefecture-wide reference data: protocol profiles and device batches (issue 15) belong to
#: no county; every registry reader reads them and only ``water.profile.edit`` changes them
#: (tests/water/profiles/test_pages_and_api.py), so a route named by them alone is not region-scoped.
UNSCOPED = {"profile_id", "batch_id"}


def fill(route: str, ids: dict) -> str:
    def value(match: re.Match) -> str:
        name = match["name"]
        if name not in ids:
            raise AssertionError(f"route {route!r} has the parameter {name!r}: add it to the scope test's objects")
        return str(ids[name])

    return "/" + CONVERTER.sub(value, route)


def state():
    return (AuditEntry.objects.count(), AlarmEvent.objects.count(), Command.objects.count(),
            list(Alarm.objects.values_list("state", flat=True)), QuarantinedTerminal.objects.count(),
            AllocationChange.objects.count(), list(Allocation.objects.values_list("override_until", flat=True)))


BODY = {"to": "acknowledged", "note": "越权测试", "reason": "越权测试", "kind": "pump_stop", "result": "x",
        "confirm": "1", "well_id": 0, "amount_m3": 1, "until": "2099-01-01T00:00:00+08:00"}


def shows(response, code: str) -> bool:
    """Whether the response body mentions ``code`` (XLSX bodies are opened and searched cell by cell)."""
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return any(code in str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                   for cell in row if cell is not None)
    body = b"".join(response) if response.streaming else response.content
    return code.encode() in body


def test_every_route_is_known():
    assert len(routes()) >= 20  # the water pages and the API are mounted


def test_objects_of_another_county_are_404_or_403_everywhere(client, world):
    operator, _, _, ids = world
    client.force_login(operator)
    checked = 0
    for route, name in routes():
        if "<" not in route:
            continue
        if {m["name"] for m in CONVERTER.finditer(route)} <= UNSCOPED:
            continue
        url = fill(route, ids)
        before = state()
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url, BODY)
            if response.status_code in (415, 422) or response["Content-Type"].startswith("application/json"):
                response = client.post(url, BODY, content_type="application/json")
        if response.status_code == 405:  # an API object answering PATCH / DELETE only
            response = client.patch(url, {}, content_type="application/json")
            if response.status_code == 405:
                response = client.delete(url)
        assert response.status_code in (403, 404), f"{name or route}: {url} answered {response.status_code}"
        assert state() == before, f"{name or route}: {url} changed something"
        checked += 1
    assert checked >= 8


def test_lists_and_exports_never_show_another_county(client, world):
    operator, own, foreign, _ = world
    client.force_login(operator)
    for route, name in routes():
        if "<" in route or route.endswith(("openapi.json", "docs")):
            continue
        for query in ("", "?region=652324", "?county=652324"):
            response = client.get("/" + route + query)
            assert response.status_code < 500, f"{name or route}{query}: {response.status_code}"
            if response.status_code == 200:
                assert not shows(response, foreign.well.code), f"{name or route}{query} shows {foreign.well.code}"
