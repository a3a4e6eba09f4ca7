"""The PostgreSQL database in a backup: ``pg_dump`` of an exported snapshot, counted in the same snapshot.

Consistency (PostgreSQL 15 docs, "pg_dump" ``--snapshot`` and "Snapshot Synchronization Functions"): a REPEATABLE
READ, READ ONLY transaction calls ``pg_export_snapshot()`` and stays open while ``pg_dump --format=custom
--snapshot=<id>`` dumps exactly that snapshot; the row counts and the applied migrations are read in the same
transaction, so the manifest describes the dump. The gateway keeps inserting meanwhile (MVCC). Detached archive
months (``water_frame_YYYY_MM``, ``water_reading_YYYY_MM``: ``water.partitions``) are plain tables of the same
database: the dump holds them and the manifest lists them.

Restore (``pg_restore --no-owner --exit-on-error --single-transaction``) goes into the existing, empty database of
DATABASE_URL: all or nothing.

The password never reaches a command line or a log: the tools get the connection as PGHOST, PGPORT, PGUSER,
PGDATABASE and PGPASSWORD in their own environment (libpq "Environment Variables"), and the argv names no server.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from changji.core.backups.errors import BackupError
from changji.core.backups.manifest import latest_migrations

log = logging.getLogger("changji.backups")

#: The database's file in a backup folder.
FILE_NAME = "database.pgdump"
_ARCHIVE_TABLE = re.compile(r"^water_(reading|frame)_\d{4}_\d{2}$")
_TABLES = """
    SELECT c.relname, c.relkind = 'r' AND NOT c.relispartition FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""


@dataclass(frozen=True)
class DumpResult:
    """What the dump's snapshot held."""

    snapshot_point: datetime
    row_counts: dict[str, int]
    migrations: dict[str, str]
    archive_tables: list[str]


def find_tool(name: str) -> str:
    """Return the path of the PostgreSQL client program ``name`` on PATH; refuse clearly when absent."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian：apt install postgresql-client），"
                          "并确认它在 PATH 中")
    return path


def child_environment(database: Mapping[str, Any], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment of a PostgreSQL client program for ``database`` (Django's DATABASES entry).

    Inherited PG* variables are dropped so that only this database is reached; the password goes in PGPASSWORD.
    """
    env = {key: value for key, value in (os.environ if base is None else base).items() if not key.startswith("PG")}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGDATABASE", "NAME"),
                          ("PGPASSWORD", "PASSWORD")):
        if database.get(key):
            env[variable] = str(database[key])
    sslmode = (database.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def dump_command(tool: str, snapshot: str, target: Path) -> list[str]:
    """Return the argv of ``pg_dump`` for the exported ``snapshot`` into ``target`` (no server, no password)."""
    return [tool, "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={target}"]


def restore_command(tool: str, database_name: str, source: Path) -> list[str]:
    """Return the argv of ``pg_restore`` of ``source`` into the database named ``database_name``."""
    return [tool, "--no-owner", "--exit-on-error", "--single-transaction", "--no-password",
            f"--dbname={database_name}", str(source)]


def connect(database: Mapping[str, Any]) -> psycopg.Connection[Any]:
    """Open a connection to ``database`` with keyword parameters (no URL, so no password in a message)."""
    options = {key: value for key, value in (database.get("OPTIONS") or {}).items() if key in ("sslmode",)}
    return psycopg.connect(host=database.get("HOST") or None, port=database.get("PORT") or None,
                           user=database.get("USER") or None, password=database.get("PASSWORD") or None,
                           dbname=database["NAME"], **options)


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    log.info("%s: %s", what, " ".join(argv))
    finished = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise BackupError(f"{what} 失败（退出码 {finished.returncode}）：{finished.stderr.strip()[-2000:]}")


def _describe(cursor: psycopg.Cursor[Any]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    tables = cursor.execute(_TABLES).fetchall()
    counts = {name: cursor.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # type: ignore[index]
              for name, _ in tables}
    names = {name for name, _ in tables}
    applied = list(cursor.execute("SELECT app, name FROM django_migrations")) if "django_migrations" in names else []
    archive = [name for name, plain in tables if plain and _ARCHIVE_TABLE.match(name)]
    return counts, latest_migrations(applied), archive


def dump_database(database: Mapping[str, Any], target: Path,
                  clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> DumpResult:
    """Dump ``database`` into ``target`` (custom format) and describe the same snapshot.

    The snapshot point is read just before the transaction's first statement, which takes its snapshot.
    """
    tool = find_tool("pg_dump")
    with connect(database) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        with connection.cursor() as cursor:
            snapshot_point = clock()
            snapshot = cursor.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
            _run(dump_command(tool, snapshot, target), child_environment(database), "pg_dump")
            counts, migrations, archive = _describe(cursor)
        connection.rollback()
    return DumpResult(snapshot_point, counts, migrations, archive)


def database_tables(database: Mapping[str, Any]) -> dict[str, int]:
    """Return every table of ``database`` with its row count (empty for a database as createdb makes it)."""
    with connect(database) as connection, connection.cursor() as cursor:
        return _describe(cursor)[0]


def restore_database(database: Mapping[str, Any], source: Path) -> None:
    """Restore the dump ``source`` into ``database`` (existing and empty) in one transaction."""
    tool = find_tool("pg_restore")
    _run(restore_command(tool, str(database["NAME"]), source), child_environment(database), "pg_restore")
