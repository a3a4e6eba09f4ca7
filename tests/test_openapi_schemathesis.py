"""Property test of the JSON API: schemathesis drives every operation of /api/openapi.json and no call may 5xx.

Every operation of the document: water, services, community, the index and app roots, and Open311 GeoReport v2
(described in the same document, served at /open311/v2/). Runs in-process through the WSGI application against
the pytest-django test database, as a superuser bound to the prefecture with a token (every permission, so
every operation is exercised past 403), on seeded wells, terminals, alarms and commands of two counties, the
services demo catalogue with an accepted case, and the community test town with an issue and a wish. Half the
generated calls put a seeded id in the path and a valid Open311 ``api_key`` in place of the generated one, so
detail and action endpoints are exercised past 404 and 403. Both valid (positive) and schema-violating
(negative) inputs are generated: the latter must be 4xx. An operation whose inputs accept any string (or that has
none) has no negative case; the rest must.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

#: Examples per operation and generation mode; raise it locally to search harder.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def _seed(county: str) -> dict[str, object]:
    """Seed one county: a well with a terminal, readings, usage, an alarm and a command; return the path ids."""
    from changji.water.models import (
        Alarm,
        Allocation,
        AllocationChange,
        Command,
        DailyUsage,
        Frame,
        Licence,
        Reading,
        Terminal,
        WaterUser,
        Well,
    )

    well = Well.objects.create(code=f"{county}-00001", name=f"机井{county}", region_id=county, latitude=44.3,
                               longitude=86.9)
    terminal = Terminal.objects.create(protocol="szy206", address=f"{county}0001", well=well, region_id=county)
    frame = Frame.objects.create(received_at=T0, peer="t", protocol="szy206", raw=b"\x68", outcome="stored")
    Reading.objects.create(terminal=terminal, observed_at=T0, received_at=T0, volume_m3=1.0, frame=frame)
    DailyUsage.objects.create(well=well, day=T0.date(), usage_m3=1.0, source="metered")
    alarm = Alarm.objects.create(terminal=terminal, well=well, kind="door_open", severity="warning", state="open",
                                 raised_at=T0)
    command = Command.objects.create(terminal=terminal, kind="pump_stop", reason="seed", requested_by_name="seed",
                                     expires_at=T0 + timedelta(days=3650))
    holder = WaterUser.objects.create(code=f"{county}-U1", name="模糊测试合作社", kind="cooperative", region_id=county)
    licence = Licence.objects.create(number=f"{county}-L1", water_user=holder, permitted_m3_per_year=1.0,
                                     valid_from=T0.date(), valid_to=T0.date() + timedelta(days=365),
                                     issuing_authority="模糊测试水利局")
    allocation = Allocation.objects.create(year=T0.year, well=well, allocation_m3=1000)
    change = AllocationChange.objects.create(allocation=allocation, amount_m3=100, reason="seed", by_name="seed")
    return {"well_id": well.pk, "terminal_id": terminal.pk, "alarm_id": str(alarm.pk), "command_id": str(command.pk),
            "allocation_id": allocation.pk, "change_id": change.pk, "licence_id": licence.pk,
            "picture_id": _seed_picture(terminal).pk, "region_code": county}


def _seed_picture(terminal):
    """A picture of the terminal (the 现场图片 operations, issue 15)."""
    from changji.water.models import Snapshot

    return Snapshot.objects.create(terminal=terminal, observed_at=T0, received_at=T0, image="snapshots/fuzz.jpg",
                                   size_bytes=4, sha256="0" * 64)


def _seed_services() -> dict[str, object]:
    """The demo catalogue and one accepted case of 阜康市; return the path ids."""
    from changji.services import cases
    from changji.services.demo_catalogue import seed_demo_catalogue
    from changji.services.models import Bundle
    from tests.services.web.conftest import ANSWERS, MATERIALS, USCC

    seed_demo_catalogue()
    bundle = Bundle.objects.get(code="YJS-CY")
    materials = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in MATERIALS}
    case = cases.submit(bundle, cases.Applicant("enterprise", "模糊测试公司", USCC), "online", dict(ANSWERS),
                        materials, by="applicant")
    sub = cases.accept(case, "schemathesis")[0]
    return {"bundle_id": bundle.pk, "case_id": case.pk, "sub_case_id": sub.pk}


def _seed_community(world) -> dict[str, object]:
    """An issue category, an issue and a published wish in the test town, and an Open311 client of it."""
    from django.utils import timezone

    from changji.community import open311
    from changji.community.issues import categories, intake
    from changji.community.models import MicroWish

    category = categories.seed_categories()[0]
    now = timezone.now()
    issue = intake.report(category, "路灯不亮", lon=90.285, lat=43.835, channel="web", now=now)
    wish = MicroWish.objects.create(region=world.grid_a.region, resident=world.zhang, title="读报", posted_at=now,
                                    state="published", published_at=now)
    _, key = open311.create_client("模糊测试", world.town)
    return {"issue_id": issue.pk, "wish_id": wish.pk, "service_code": category.code,
            "service_request_id": issue.request_id, "api_key": key}


@pytest.fixture
def keep_test_connection():
    """Keep the test's database connection open across WSGI calls, as Django's test client does.

    Every request ends with ``close_old_connections``; inside the test's transaction that would
    close the connection under it (PostgreSQL refuses the next query).
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def media_root(settings, tmp_path):
    """The seeded case's materials go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.slow
@pytest.mark.django_db
def test_no_operation_answers_with_a_server_error(make_user, community_world, media_root, keep_test_connection):
    from changji.core.models import ApiToken
    from changji.wsgi import application

    ids = {**_seed("652323"), **_seed_services(), **_seed_community(community_world)}
    _seed("652324")
    _, raw = ApiToken.issue(make_user("root-schemathesis", "652300", is_superuser=True), "schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert len(operations) >= 36
    assert {"/api/", "/api/services/bundles", "/api/community/issues", "/open311/v2/requests.json"} <= paths

    negated = set()
    for operation, mode in [(op, mode) for op in operations for mode in GenerationMode]:

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), seeded=st.booleans())
        def check(case, seeded: bool) -> None:
            if seeded:
                if case.path_parameters:
                    case.path_parameters = {name: ids.get(name, value)
                                            for name, value in case.path_parameters.items()}
                if isinstance(case.query, dict) and "api_key" in case.query:
                    case.query = {**case.query, "api_key": ids["api_key"]}
                if isinstance(case.body, dict) and "api_key" in case.body:
                    case.body = {**case.body, "api_key": ids["api_key"]}
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            check()
        except Unsatisfiable:
            # No input to violate: no parameters, or only strings of any content (Open311's codes and keys).
            assert mode is GenerationMode.NEGATIVE, operation.label
        else:
            if mode is GenerationMode.NEGATIVE:
                negated.add(operation.label)
    assert len(negated) >= 20, "the negative cases reach too few operations"
