"""Upgrading a database of the previous release to HEAD loses nothing.

A scratch database (``release.ScratchDatabase``: never the suite's test database) is migrated to the release's
migration leaves, loaded with the release fixture (every table of the release's schema with representative rows),
and migrated to HEAD with ``changji migrate``; then every table holds what it held, compared by primary key, column
by column, through raw SQL. A known data migration that changes rows on purpose is listed in ``KNOWN_CHANGES``.
Migrations are append-only: the release's migration files are byte-identical at HEAD. See README "Upgrades".
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.upgrade.release import RELEASE_COMMIT, ScratchDatabase, canonical, fixture

ROOT = Path(__file__).resolve().parents[2]

#: Tables whose rows a migration after the release changes on purpose: table -> what it does. Rows may be added
#: to these; every row of the fixture must still be there, unchanged.
KNOWN_CHANGES = {
    "django_migrations": "every migration after the release adds its row",
    "django_content_type": "post_migrate adds the content type of each model added after the release",
    "auth_permission": "post_migrate adds the permissions of each model added after the release",
}


def test_fixture_is_of_the_release_and_has_rows_in_every_table():
    release = fixture()
    assert release["release"].startswith(RELEASE_COMMIT)
    empty = {name for name, table in release["tables"].items() if not table["rows"]}
    assert empty == set(release["empty_on_purpose"]), "tables with no row in the fixture and no reason given"
    assert {"water_reading", "water_frame", "water_dailyusage", "core_user"} <= set(release["tables"])


def test_release_migration_files_are_unchanged_at_head():
    """Migrations are append-only: a migration of the release edited since would make the fixture's schema a lie."""
    hashes = fixture()["migration_sha256"]
    assert hashes, "the fixture records the release's migration files"
    changed = {path for path, digest in hashes.items()
               if not (ROOT / path).exists() or hashlib.sha256((ROOT / path).read_bytes()).hexdigest() != digest}
    assert not changed, f"migration files of release {RELEASE_COMMIT} edited or removed since: {sorted(changed)}"


def _foreign_keys_not_deferred(scratch: ScratchDatabase) -> list[str]:
    """Foreign keys that are not DEFERRABLE INITIALLY DEFERRED (the loader relies on them being deferred)."""
    with scratch.connect() as connection:
        if scratch.vendor == "postgresql":
            found = connection.execute(
                "SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint"
                " WHERE contype = 'f' AND NOT (condeferrable AND condeferred)").fetchall()
            return [row[0] for row in found]
        tables = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    return [name for name, sql in tables
            if (sql or "").upper().count(" REFERENCES ") != (sql or "").upper().count("DEFERRABLE INITIALLY DEFERRED")]


def _differences(scratch: ScratchDatabase, name: str, table: dict[str, Any]) -> list[str]:
    columns, key = table["columns"], table["primary_key"]
    index = [column for column, _ in columns].index(key) if key else None
    expected = {}
    for row in table["rows"]:
        values = tuple(canonical(kind, value) for (_, kind), value in zip(columns, row, strict=True))
        expected[values[index] if index is not None else values] = values
    found = scratch.rows(name, columns, key)
    problems = []
    missing = expected.keys() - found.keys()
    if missing:
        problems.append(f"{name}: {len(missing)} row(s) lost, e.g. {sorted(map(str, missing))[:3]}")
    for pk in expected.keys() & found.keys():
        if expected[pk] != found[pk]:
            changed = [column for (column, _), a, b in zip(columns, expected[pk], found[pk], strict=True) if a != b]
            problems.append(f"{name} {pk}: changed {changed}: {expected[pk]} -> {found[pk]}")
            break
    if len(found) != len(expected) and name not in KNOWN_CHANGES:
        problems.append(f"{name}: {len(expected)} rows at the release, {len(found)} at HEAD")
    return problems


@pytest.mark.slow
def test_foreign_keys_are_deferred_at_the_release(release_database):
    """The loader relies on it: the fixture's tables load in any order, checked at commit."""
    assert not _foreign_keys_not_deferred(release_database)


def _sequences_behind(scratch: ScratchDatabase) -> list[str]:
    """PostgreSQL tables whose ``id`` sequence would hand out an id already taken."""
    with scratch.connect() as connection:
        found = connection.execute(
            "SELECT c.relname, pg_get_serial_sequence(quote_ident(c.relname), 'id') FROM pg_class c"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id'"
            " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
            " AND c.relnamespace = current_schema()::regnamespace"
        ).fetchall()
        behind = []
        for table, sequence in found:
            if sequence is None:
                continue
            largest = connection.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0]
            last, called = connection.execute(f"SELECT last_value, is_called FROM {sequence}").fetchone()
            if largest >= last + (1 if called else 0):
                behind.append(table)
    return behind


@pytest.mark.slow
def test_upgrade_from_the_release_to_head_loses_nothing(release_database, tmp_path):
    scratch = release_database.copy(tmp_path, "upgrade")
    try:
        scratch.changji("migrate", "-v0")
        problems = [problem for name, table in fixture()["tables"].items()
                    for problem in _differences(scratch, name, table)]
        assert not problems, "\n".join(problems[:20])
        if scratch.vendor == "postgresql":
            assert not _sequences_behind(scratch), "sequences restarted after the loaded ids"
        with scratch.connect() as connection:  # the comparison can fail: a changed value and a lost row are seen
            connection.execute("UPDATE core_region SET name = 'x' WHERE code = '652301'")
            connection.execute("DELETE FROM water_opendatasetting")
        seen = _differences(scratch, "core_region", fixture()["tables"]["core_region"])
        seen += _differences(scratch, "water_opendatasetting", fixture()["tables"]["water_opendatasetting"])
        assert len(seen) == 3 and "changed ['name']" in seen[0] and "lost" in seen[1], seen
    finally:
        scratch.drop()
