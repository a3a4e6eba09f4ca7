"""A database of the previous release, made from its fixture, in a scratch database of the suite's kind.

The fixture (``release-<commit>.json.gz``, made by ``scripts/make_upgrade_fixture.py``) holds every table of the
release's schema with its rows as SQLite stores them. ``ScratchDatabase`` is a database of its own beside the
suite's (a file under ``tmp_path`` on SQLite; on PostgreSQL ``<test database>_upgrade``, created and dropped
here), so migrating it to an old schema never touches the suite's test database. ``migrate_to_release`` runs
``migrate <app> <leaf>`` for every app in a ``changji`` process pointed at it, ``load`` replaces the rows the
migrations seeded (regions, content types, permissions) with the fixture's in one transaction, and ``rows`` reads
a table back, each value in a canonical Python form so the two databases compare equal.

Foreign keys are checked at commit: Django creates them ``DEFERRABLE INITIALLY DEFERRED`` on both databases
(PostgreSQL's ``CREATE TABLE``; SQLite's column constraint, with ``PRAGMA foreign_keys`` on), so the tables load in
any order. The identity sequences of PostgreSQL restart after the largest loaded id (``setval``). See README
"Upgrades".
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

HERE = Path(__file__).resolve().parent
#: The previous release (shared contract 6) and its fixture.
RELEASE_COMMIT = "ca3091f"
FIXTURE = HERE / f"release-{RELEASE_COMMIT}.json.gz"
CHANGJI = str(Path(sys.executable).with_name("changji"))
#: ``migrate <app> <leaf>`` for each app of the JSON object in argv[1], in one process.
MIGRATE_TO_LEAVES = (
    "import json, sys, django; django.setup(); from django.core.management import call_command\n"
    "for app, leaf in json.loads(sys.argv[1]).items(): call_command('migrate', app, leaf, verbosity=0)"
)


@cache
def fixture() -> dict[str, Any]:
    """The release's fixture: {release, made_at, leaves, empty_on_purpose, tables}."""
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def _utc(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


#: Column kind -> a stored value (either database's, or the fixture's) in canonical form.
CANONICAL = {
    "bool": bool,
    "datetime": _utc,
    "date": lambda v: date.fromisoformat(v) if isinstance(v, str) else v,
    "time": lambda v: time.fromisoformat(v) if isinstance(v, str) else v,
    "decimal": lambda v: Decimal(str(v)).normalize(),
    "json": lambda v: json.loads(v) if isinstance(v, str) else v,
    "bytes": lambda v: base64.b64decode(v) if isinstance(v, str) else bytes(v),
    "uuid": lambda v: uuid.UUID(str(v)),
    "duration": lambda v: v if isinstance(v, timedelta) else timedelta(microseconds=int(v)),
    "float": float,
    "int": int,
    "text": str,
}


def canonical(kind: str, value: Any) -> Any:
    """Return ``value`` of a column of ``kind`` in the form both databases' values compare in."""
    return None if value is None else CANONICAL[kind](value)


class ScratchDatabase:
    """A database of its own for an upgrade test: SQLite under ``directory`` or PostgreSQL ``name`` (re-created)."""

    def __init__(self, directory: Path, postgresql: dict[str, Any] | None = None, name: str = "",
                 template: ScratchDatabase | None = None) -> None:
        """Create the database (empty, or a copy of ``template``), dropping any left by an earlier run."""
        self.env = {**os.environ, "CHANGJI_DATA_DIR": str(directory), "CHANGJI_LOG_LEVEL": "WARNING"}
        self.env.pop("DATABASE_URL", None)
        self.postgresql, self.name = postgresql, name
        self.path = directory / "changji.sqlite3"
        if postgresql:
            copy = f' TEMPLATE "{template.name}"' if template else ""
            with self._server() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                server.execute(f'CREATE DATABASE "{name}"{copy}')
            self.env["DATABASE_URL"] = self.url
        elif template:
            for path in template.path.parent.glob("changji.sqlite3*"):  # the database and any WAL file
                shutil.copyfile(path, directory / path.name)

    def copy(self, directory: Path, suffix: str) -> ScratchDatabase:
        """A new database holding what this one holds (PostgreSQL: ``<name>_<suffix>``, made from it as template)."""
        return ScratchDatabase(directory, self.postgresql, f"{self.name}_{suffix}" if self.postgresql else "", self)

    @property
    def vendor(self) -> str:
        """``postgresql`` or ``sqlite``."""
        return "postgresql" if self.postgresql else "sqlite"

    @property
    def url(self) -> str:
        """The ``DATABASE_URL`` of the database (PostgreSQL)."""
        settings = self.postgresql or {}
        host, port = settings.get("HOST") or "localhost", settings.get("PORT") or 5432
        password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
        return f"postgres://{settings.get('USER') or 'postgres'}{password}@{host}:{port}/{self.name}"

    def _server(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + "/postgres",
                               autocommit=True)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A DB-API connection in one transaction, committed at the end of the block (foreign keys enforced)."""
        if self.postgresql:
            with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as connection:
                yield connection
            return
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN")
            yield connection
            connection.execute("COMMIT")

    def drop(self) -> None:
        """Drop the PostgreSQL database (the SQLite file goes with ``tmp_path``)."""
        if self.postgresql:
            with self._server() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def changji(self, *args: str, timeout: float = 300) -> None:
        """Run ``changji ARGS`` on this database."""
        subprocess.run([CHANGJI, *args], env=self.env, check=True, timeout=timeout)

    def migrate_to_release(self) -> None:
        """Migrate every app to the release's leaf (the fixture's ``leaves``), in one process."""
        subprocess.run([sys.executable, "-c", MIGRATE_TO_LEAVES, json.dumps(fixture()["leaves"])],
                       env={**self.env, "DJANGO_SETTINGS_MODULE": "changji.settings"}, check=True, timeout=300)

    def load(self) -> None:
        """Replace every table's rows with the fixture's in one transaction; restart PostgreSQL's sequences."""
        tables = fixture()["tables"]
        mark = "%s" if self.postgresql else "?"
        with self.connect() as connection:
            cursor = connection.cursor()
            if self.postgresql:
                cursor.execute("TRUNCATE " + ", ".join(f'"{name}"' for name in tables))
            else:  # the foreign keys are deferred (test_upgrade checks): any order works
                for name in tables:
                    cursor.execute(f'DELETE FROM "{name}"')
            for name, table in tables.items():
                columns = table["columns"]
                if not table["rows"]:
                    continue
                quoted = ", ".join(f'"{column}"' for column, _ in columns)
                statement = f'INSERT INTO "{name}" ({quoted}) VALUES ({", ".join([mark] * len(columns))})'
                cursor.executemany(statement, [[self._stored(kind, value) for (_, kind), value
                                                in zip(columns, row, strict=True)] for row in table["rows"]])
            if self.postgresql:
                self._restart_sequences(cursor, tables)

    def _stored(self, kind: str, value: Any) -> Any:
        """The fixture's value as this database takes it."""
        if value is None:
            return None
        if kind == "bytes":
            return base64.b64decode(value)
        if not self.postgresql:
            return value  # the fixture holds SQLite's stored values
        if kind == "json":
            return Jsonb(json.loads(value))
        if kind in {"datetime", "date", "time", "decimal", "uuid", "duration", "bool"}:
            return canonical(kind, value)
        return value

    @staticmethod
    def _restart_sequences(cursor: Any, tables: dict[str, Any]) -> None:
        for name, table in tables.items():
            key = table["primary_key"]
            if not key or dict(table["columns"])[key] != "int":
                continue
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [f'"{name}"', key])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f'SELECT setval(%s, COALESCE(MAX("{key}"), 0) + 1, false) FROM "{name}"', [sequence])

    def rows(self, name: str, columns: list[list[str]], key: str | None) -> dict[Any, tuple[Any, ...]]:
        """The table's rows by primary key (the whole row when it has none), in canonical form."""
        quoted = ", ".join(f'"{column}"' for column, _ in columns)
        with self.connect() as connection:
            found = connection.execute(f'SELECT {quoted} FROM "{name}"').fetchall()
        index = [column for column, _ in columns].index(key) if key else None
        result = {}
        for row in found:
            values = tuple(canonical(kind, value) for (_, kind), value in zip(columns, row, strict=True))
            result[values[index] if index is not None else values] = values
        return result

    def count(self, name: str) -> int:
        """How many rows the table holds."""
        with self.connect() as connection:
            return int(connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])


def scratch_database(directory: Path, suffix: str) -> ScratchDatabase:
    """A new, empty scratch database of the suite's kind: on PostgreSQL the test database's name plus ``suffix``."""
    from django.db import connection

    if connection.vendor == "postgresql":  # the test database's name, whether or not it is made yet
        name = connection.creation._get_test_db_name()
        return ScratchDatabase(directory, connection.settings_dict, f"{name}_{suffix}")
    return ScratchDatabase(directory)
