"""The manifest of a backup (``manifest.json``): what it holds and the checksums that prove it whole.

The manifest is JSON (RFC 8259), UTF-8, keys sorted and indented, so two backups of the same data differ only in
their times and a person can read it. It records the format version, the platform version, when the backup was
made and its snapshot point (every reading the gateway acknowledged before it is in the backup: the gateway
acknowledges only after its commit), the database vendor, the applied migrations (the latest per app), the row
count of every table, the archive tables (PostgreSQL months detached by ``water.partitions``), and the sha256
(FIPS 180-4) and size of every file of the backup with their total.

``verify`` checks a backup folder against its manifest before a restore touches anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Raised when the layout or meaning of manifest.json changes.
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    """One file of a backup: its sha256 (hex) and size."""

    sha256: str
    size_bytes: int


@dataclass
class Manifest:
    """What one backup holds (``manifest.json``)."""

    platform_version: str
    created_at: str  # UTC, ISO 8601
    snapshot_point: str  # UTC, ISO 8601: taken just before the database snapshot began
    database_vendor: str  # "sqlite" or "postgresql"
    database_file: str  # the database's file in the backup folder
    migrations: dict[str, str]  # app label -> latest applied migration
    row_counts: dict[str, int]  # table -> rows
    archive_tables: list[str] = field(default_factory=list)
    files: dict[str, FileEntry] = field(default_factory=dict)  # path in the backup (POSIX) -> entry
    format_version: int = FORMAT_VERSION

    @property
    def total_bytes(self) -> int:
        """The size of every file of the backup together (the manifest excluded)."""
        return sum(entry.size_bytes for entry in self.files.values())


def file_entry(path: Path) -> FileEntry:
    """Return the sha256 and size of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return FileEntry(digest.hexdigest(), size)


def serialise(manifest: Manifest) -> str:
    """Return the manifest as stable, human-readable JSON (sorted keys, two-space indent, UTF-8 text)."""
    data = asdict(manifest)
    data["total_bytes"] = manifest.total_bytes
    data["file_count"] = len(manifest.files)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def parse(text: str) -> Manifest:
    """Read a manifest from its JSON; raise ValueError when it is not one this version reads."""
    data: dict[str, Any] = json.loads(text)
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"not a manifest of format version {FORMAT_VERSION}")
    data.pop("total_bytes", None)
    data.pop("file_count", None)
    try:
        files = {name: FileEntry(**entry) for name, entry in data.pop("files").items()}
        return Manifest(**data, files=files)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"manifest incomplete: {exc}") from exc


def verify(folder: Path, manifest: Manifest) -> list[str]:
    """Return the problems of the backup in ``folder``: each missing, resized or changed file (empty: whole)."""
    problems = []
    for name, expected in sorted(manifest.files.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        actual = file_entry(path)
        if actual.size_bytes != expected.size_bytes:
            problems.append(f"{name}: {actual.size_bytes} bytes, the manifest says {expected.size_bytes}")
        elif actual.sha256 != expected.sha256:
            problems.append(f"{name}: sha256 {actual.sha256[:12]}…, the manifest says {expected.sha256[:12]}…")
    return problems


def latest_migrations(applied: list[tuple[str, str]]) -> dict[str, str]:
    """Return the latest applied migration per app from (app, name) pairs (names start with their number)."""
    latest: dict[str, str] = {}
    for app, name in applied:
        if app not in latest or name > latest[app]:
            latest[app] = name
    return dict(sorted(latest.items()))
