"""Property test of the JSON API: schemathesis drives every operation of /api/openapi.json and no call may 5xx.

Runs in-process through the WSGI application against the pytest-django test database, as a county
operator (652323) with a token, on seeded wells, terminals, alarms and commands of two counties. Half
the generated calls put a seeded id in the path, so detail and action endpoints are exercised past 404.
Both valid (positive) and schema-violating (negative) inputs are generated: the latter must be 4xx.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

#: Examples per operation and generation mode; raise it locally to search harder.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def _seed(county: str) -> dict[str, object]:
    """Seed one county: a well with a terminal, readings, usage, an alarm and a command; return the path ids."""
    from changji.water.models import Alarm, Command, DailyUsage, Frame, Reading, Terminal, Well

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
    return {"well_id": well.pk, "terminal_id": terminal.pk, "alarm_id": str(alarm.pk), "command_id": str(command.pk)}


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


@pytest.mark.slow
@pytest.mark.django_db
def test_no_operation_answers_with_a_server_error(make_user, keep_test_connection):
    from changji.core.models import ApiToken
    from changji.wsgi import application

    ids = _seed("652323")
    _seed("652324")
    _, raw = ApiToken.issue(make_user("op-schemathesis", "652323"), "schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16

    for operation, mode in [(op, mode) for op in operations for mode in GenerationMode]:

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), seeded=st.booleans())
        def check(case, seeded: bool) -> None:
            if seeded and case.path_parameters:
                case.path_parameters = {name: ids.get(name, value) for name, value in case.path_parameters.items()}
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        check()
