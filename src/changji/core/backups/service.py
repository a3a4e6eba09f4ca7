"""Make a backup of this instance, and restore one into an empty instance: the entry points of the commands.

A backup is written under a temporary name (``retention.partial_name``) in DEST and renamed to
``changji-YYYYMMDDTHHMMSSZ`` only once its database, media files and manifest are on disk (fsynced), so a
half-written backup is never taken for one; ``--keep N`` then deletes the oldest complete backups beyond N.
Order: the database snapshot first (its snapshot point goes in the manifest), the data folder's files after it
(``files``). A restore verifies every checksum before it touches anything, restores only into an empty database
and an empty data folder, and checks the restored row counts against the manifest.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from changji.core.backups import files, postgresql, retention, sqlite
from changji.core.backups.errors import BackupError
from changji.core.backups.manifest import MANIFEST_NAME, Manifest, file_entry, parse, serialise, verify


@dataclass(frozen=True)
class BackupResult:
    """A backup made: its folder, its manifest and the old backups deleted by the retention."""

    path: Path
    manifest: Manifest
    deleted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RestoreResult:
    """A restore done: the manifest restored and what was written."""

    manifest: Manifest
    database: str
    media_files: int


def _database() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def database_vendor() -> str:
    """Return "sqlite" or "postgresql", the vendor of the configured database."""
    engine = _database()["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"不支持备份此数据库引擎：{engine}")


def platform_version() -> str:
    """Return the installed version of the platform (the ``changji`` distribution)."""
    try:
        return importlib.metadata.version("changji")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _snapshot_database(folder: Path, clock: Callable[[], datetime]) -> Manifest:
    """Take the database into ``folder``; return a manifest with its description (no files yet but the database)."""
    vendor = database_vendor()
    if vendor == "sqlite":
        target = folder / sqlite.FILE_NAME
        snapshot_point = sqlite.copy_database(Path(_database()["NAME"]), target, clock)
        counts, migrations = sqlite.describe(target)
        archive: list[str] = []
    else:
        target = folder / postgresql.FILE_NAME
        dump = postgresql.dump_database(_database(), target, clock)
        snapshot_point, counts, migrations, archive = (dump.snapshot_point, dump.row_counts, dump.migrations,
                                                       dump.archive_tables)
    return Manifest(
        platform_version=platform_version(), created_at="", snapshot_point=snapshot_point.isoformat(),
        database_vendor=vendor, database_file=target.name, migrations=migrations, row_counts=counts,
        archive_tables=archive, files={target.name: file_entry(target)},
    )


def create_backup(destination: Path, keep: int = retention.DEFAULT_KEEP,
                  clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> BackupResult:
    """Back up the database and the data folder's files into a new folder under ``destination``."""
    if keep < 1:
        raise BackupError("--keep 至少为 1")
    created = clock()
    name = retention.folder_name(created)
    destination.mkdir(parents=True, exist_ok=True)
    final = destination / name
    if final.exists():
        raise BackupError(f"备份目录已存在：{final}")
    partial = destination / retention.partial_name(name)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        manifest = _snapshot_database(partial, clock)
        manifest.created_at = created.isoformat()
        manifest.files.update(files.copy_media(Path(settings.MEDIA_ROOT), partial))
        manifest_path = partial / MANIFEST_NAME
        manifest_path.write_text(serialise(manifest), encoding="utf-8")
        files.fsync_file(manifest_path)
        files.fsync_file(partial)
        os.rename(partial, final)
        files.fsync_file(destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    deleted = retention.expired(os.listdir(destination), keep, name)
    for old in deleted:
        shutil.rmtree(destination / old)
    return BackupResult(final, manifest, deleted)


def read_manifest(source: Path) -> Manifest:
    """Return the manifest of the backup folder ``source``; refuse a folder that is not a complete backup."""
    path = source / MANIFEST_NAME
    if not path.is_file():
        raise BackupError(f"{source} 不是完整的备份：缺少 {MANIFEST_NAME}")
    try:
        return parse(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path}：无法读取清单（{exc}）") from exc


def _refuse_a_newer_release(manifest: Manifest) -> None:
    """Refuse a backup taken by a newer release: its schema holds migrations this installation does not know.

    A backup of an older release restores and is then brought up to date by ``changji migrate``; the other way
    round the code would run on tables it does not expect.
    """
    from django.db.migrations.loader import MigrationLoader  # deferred: the graph is read only for a restore

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(f"{app}.{name}" for app, name in manifest.migrations.items() if (app, name) not in known)
    if unknown:
        raise BackupError(f"备份来自比当前安装更新的版本（本版本没有迁移 {'、'.join(unknown)}），未做任何更改；"
                          "请先安装该版本或更新的版本再恢复")


def _refuse_unless_empty(vendor: str) -> None:
    """Refuse a restore into a database with rows (naming a table) or a data folder with files (naming one)."""
    if vendor == "sqlite":
        target = Path(_database()["NAME"])
        full = sqlite.tables_with_rows(target)
        if full:
            table, count = next(iter(full.items()))
            raise BackupError(f"数据库 {target} 不是空的：表 {table} 有 {count} 行（共 {len(full)} 个表有数据）；"
                              "只能恢复到空数据库")
    else:
        tables = postgresql.database_tables(_database())
        full = {table: count for table, count in tables.items() if count}
        if full:
            table, count = next(iter(full.items()))
            raise BackupError(f"数据库 {_database()['NAME']} 不是空的：表 {table} 有 {count} 行"
                              f"（共 {len(full)} 个表有数据）；只能恢复到空数据库")
        if tables:
            raise BackupError(f"数据库 {_database()['NAME']} 已有表（如 {next(iter(tables))}）；"
                              "请恢复到 createdb 新建的空数据库（恢复之前不要运行 migrate）")
    media = Path(settings.MEDIA_ROOT)
    found = files.first_file(media)
    if found is not None:
        raise BackupError(f"数据目录 {media} 不是空的：其中有文件（如 {found.relative_to(media)}）；"
                          "只能恢复到空数据目录")


def _restored_counts(vendor: str) -> dict[str, int]:
    if vendor == "sqlite":
        return sqlite.describe(Path(_database()["NAME"]))[0]
    return postgresql.database_tables(_database())


def restore_backup(source: Path) -> RestoreResult:
    """Restore the backup folder ``source`` into this instance's empty database and empty data folder."""
    manifest = read_manifest(source)
    problems = verify(source, manifest)
    if problems:
        raise BackupError(f"备份 {source} 已损坏或不完整，未做任何更改：" + "；".join(problems))
    vendor = database_vendor()
    if manifest.database_vendor != vendor:
        raise BackupError(f"备份来自 {manifest.database_vendor} 数据库，当前配置的是 {vendor}")
    _refuse_a_newer_release(manifest)
    _refuse_unless_empty(vendor)
    if vendor == "sqlite":
        sqlite.restore_database(source / manifest.database_file, Path(_database()["NAME"]))
    else:
        postgresql.restore_database(_database(), source / manifest.database_file)
    media_names = sorted(name for name in manifest.files if name.startswith(files.MEDIA_FOLDER + "/"))
    copied = files.restore_media(source, media_names, Path(settings.MEDIA_ROOT))
    restored = _restored_counts(vendor)
    differing = {table: (restored.get(table), count) for table, count in manifest.row_counts.items()
                 if restored.get(table) != count}
    if differing:
        table, (found, expected) = next(iter(differing.items()))
        raise BackupError(f"恢复后的行数与清单不符：表 {table} 有 {found} 行，清单为 {expected} 行"
                          f"（共 {len(differing)} 个表不符）")
    return RestoreResult(manifest, str(_database()["NAME"]), copied)
