"""The SQLite database in a backup: an online copy with the SQLite Online Backup API, and its restore.

``sqlite3.Connection.backup`` (https://docs.python.org/3/library/sqlite3.html#sqlite3.Connection.backup) runs the
Online Backup API (https://www.sqlite.org/backup.html). With ``pages=-1`` the whole database is copied in one
step inside one read transaction, so a writer cannot make it restart; in WAL mode (settings.py) the gateway keeps
writing meanwhile and the copy is the database as of the step's start. The copy is switched to the rollback
journal (one self-contained file) and checked with ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from changji.core.backups.errors import BackupError
from changji.core.backups.manifest import latest_migrations

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: The database's file in a backup folder.
FILE_NAME = "database.sqlite3"


def table_names(connection: sqlite3.Connection) -> list[str]:
    """Return the database's tables (SQLite's own excluded), sorted."""
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(name for (name,) in rows)


def row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Return the row count of every table."""
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in table_names(connection)}


def applied_migrations(connection: sqlite3.Connection) -> dict[str, str]:
    """Return the latest applied migration per app (empty without Django's table)."""
    if "django_migrations" not in table_names(connection):
        return {}
    return latest_migrations(list(connection.execute("SELECT app, name FROM django_migrations")))


def copy_database(source: Path, target: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
                  ) -> datetime:
    """Copy the live database ``source`` to ``target`` consistently; return the snapshot point (UTC).

    The snapshot point is read just before the copy's read transaction begins: every transaction committed
    before it is in the copy.
    """
    if not source.is_file():
        raise BackupError(f"数据库文件不存在：{source}")
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        snapshot_point = clock()
        live.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")
        verdict = copy.execute("PRAGMA integrity_check").fetchall()
    finally:
        live.close()
        copy.close()
    if verdict != [("ok",)]:
        raise BackupError(f"数据库副本完整性检查未通过：{verdict[:5]}")
    return snapshot_point


def describe(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Return the row counts and the latest migrations of the database file at ``path``."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return row_counts(connection), applied_migrations(connection)
    finally:
        connection.close()


def tables_with_rows(path: Path) -> dict[str, int]:
    """Return the tables of the database at ``path`` that hold rows (none when the file does not exist)."""
    if not path.exists() or path.stat().st_size == 0:
        return {}
    return {name: count for name, count in describe(path)[0].items() if count}


def restore_database(backup_file: Path, target: Path) -> None:
    """Write the backup's database at ``target`` (which holds no rows) in WAL mode, as the platform runs it.

    The copy goes through the Online Backup API too (not a file copy), then the old WAL and shared-memory files of
    an empty database at ``target`` are gone with it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    restored = sqlite3.connect(target)
    try:
        source.backup(restored, pages=-1)
        restored.execute("PRAGMA journal_mode=WAL")
    finally:
        source.close()
        restored.close()
