"""The ``changji`` command: Django management commands and the settings it runs with."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHANGJI = str(Path(sys.executable).with_name("changji"))

#: Each `changji` process here runs on a SQLite file of its own (or only reads its settings), whatever the suite's
#: database: the PostgreSQL pass of `.ci/run` leaves them out (tests/conftest.py).
pytestmark = pytest.mark.database_independent


def _run(*args, env=None, **kwargs):
    return subprocess.run(
        [CHANGJI, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
        **kwargs,
    )


@pytest.mark.slow
def test_runs_django_management_commands(tmp_path):
    result = _run("check", env={"CHANGJI_DATA_DIR": str(tmp_path), "DATABASE_URL": ""})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_migrate_then_showmigrations_on_a_fresh_sqlite_file(migrated_sqlite, tmp_path):
    # The session's `changji migrate` ran on a fresh directory (tests/conftest.py); this is its file.
    assert (migrated_sqlite.template / "changji.sqlite3").exists()
    migrated_sqlite(tmp_path)
    env = {"CHANGJI_DATA_DIR": str(tmp_path)}
    env_clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    listed = subprocess.run([CHANGJI, "showmigrations", "core"], capture_output=True, text=True,
                            env={**env_clean, **env}, timeout=120)
    assert "[X] 0002_seed_regions" in listed.stdout


def test_database_url_selects_postgresql():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    env = {"DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "DJANGO_SETTINGS_MODULE": "changji.settings"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=60)
    assert out.stdout.strip() == "django.db.backends.postgresql"


@pytest.mark.slow
def test_default_database_is_sqlite_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor();"
        "c.execute('PRAGMA journal_mode'); print(connection.vendor, c.fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CHANGJI_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="changji.settings")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.split() == ["sqlite", "wal"], out.stderr
