"""``/healthz`` answers without the database; ``/readyz`` runs the readiness checks (``core.health``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from changji.core.health import readiness
from changji.core.models import JobRun, JobRunState


def claim(started_ago_s: float, job: str = "water.alarms.evaluate") -> JobRun:
    """Store a job run whose claim started ``started_ago_s`` seconds ago."""
    started = datetime.now(UTC) - timedelta(seconds=started_ago_s)
    return JobRun.objects.create(job=job, period="minutely", period_start=started.replace(second=0, microsecond=0),
                                 state=JobRunState.SUCCEEDED, started_at=started, runner="host:1:ab")


def register_terminal():
    from changji.water.models import Terminal, Well

    well = Well.objects.create(code="652323-00001", name="机井", region_id="652323", latitude=44.3, longitude=86.9,
                               pump_rated_power_kw=30, pump_rated_flow_m3h=55)
    return Terminal.objects.create(protocol="szy206", address="6523230001", well=well, region_id="652323")


def store_frame(received_ago_s: float, outcome: str = "stored") -> None:
    from changji.water.models import Frame

    Frame.objects.create(received_at=datetime.now(UTC) - timedelta(seconds=received_ago_s), peer="p",
                         protocol="szy206", raw=b"\x68", outcome=outcome)


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response["Cache-Control"] == "no-store"


def test_water_registers_its_frame_check_with_core():
    assert readiness.names()[:3] == ["database", "migrations", "jobs"]
    assert "water.frames" in readiness.names()


@pytest.mark.django_db
def test_readyz_is_200_on_a_ready_instance_with_one_entry_per_check(client):
    claim(30)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ok"] is True
    assert set(body["checks"]) == {"database", "migrations", "jobs", "water.frames"}
    assert all(set(entry) >= {"ok", "detail"} for entry in body["checks"].values())
    assert body["checks"]["jobs"]["last_run_age_s"] == pytest.approx(30, abs=5)
    assert body["checks"]["jobs"]["max_age_s"] == 300
    assert body["checks"]["water.frames"] == {"ok": True, "detail": "no terminal registered", "max_age_s": 900}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_503_with_an_unapplied_migration(client):
    claim(30)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'core' AND name = '0001_initial'")
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["migrations"]
    assert check["ok"] is False and check["unapplied"] == 1 and "core.0001_initial" in check["detail"]


@pytest.mark.django_db
def test_readyz_is_503_when_the_job_runner_is_stale_or_never_ran(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["jobs"] == {"ok": False, "detail": "the job runner has never run",
                                                 "max_age_s": 300}
    claim(400)
    check = client.get("/readyz").json()["checks"]["jobs"]
    assert check["ok"] is False and check["last_run_age_s"] == pytest.approx(400, abs=5)
    settings.CHANGJI_READY_JOBS_MAX_AGE_S = 600
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_with_terminals_needs_a_recent_stored_frame(client):
    claim(10)
    register_terminal()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["water.frames"]["detail"] == "no frame stored in the last 900 s"
    store_frame(60, outcome="quarantined")  # received, but not stored
    store_frame(1000)  # stored, too long ago
    assert client.get("/readyz").status_code == 503
    store_frame(120)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["water.frames"]["last_stored_frame_age_s"] == pytest.approx(120, abs=5)


@pytest.mark.django_db
def test_a_failing_check_reports_its_exception_class_only(client):
    def broken():
        raise RuntimeError("postgres://postgres:secret@db/changji")

    claim(10)
    readiness.register("test.broken", broken)
    try:
        response = client.get("/readyz")
    finally:
        readiness._checks.pop("test.broken")
    assert response.status_code == 503
    assert response.json()["checks"]["test.broken"] == {"ok": False, "detail": "check failed: RuntimeError"}
    assert b"secret" not in response.content


def test_readyz_is_503_when_the_database_is_down(client, django_db_blocker):
    """A database that does not answer: 503 naming the error class, never the DSN or its password."""
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    database = connections["default"]
    down = DatabaseWrapper({**database.settings_dict, "ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1",
                            "PORT": "1", "NAME": "nowhere", "USER": "nobody", "PASSWORD": "hunter2",
                            "OPTIONS": {"connect_timeout": 2}}, "default")
    with django_db_blocker.unblock():
        connections["default"] = down
        try:
            response = client.get("/readyz")
        finally:
            connections["default"] = database
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["detail"] == "unreachable: OperationalError"
    assert body["checks"]["migrations"] == {"ok": False, "detail": "skipped: the database is not reachable"}
    assert b"hunter2" not in response.content and b"nowhere" not in response.content
