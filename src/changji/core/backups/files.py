"""The data folder's files in a backup: every file under MEDIA_ROOT, copied after the database snapshot.

What lives in ``CHANGJI_DATA_DIR`` (settings.py): ``changji.sqlite3`` (the default database: taken by
``sqlite``, never copied as a file, which could be torn mid-write), ``media/`` (MEDIA_ROOT: camera snapshots under
``snapshots/``, generated reports under ``reports/``, work-order photos, services' materials, templates and
examples, community wish and activity photos: all backed up here), ``static/`` (rebuilt by ``changji
collectstatic``, not backed up) and ``run/`` (the web's Prometheus files, process state, not backed up).

Why after the snapshot: the gateway writes and fsyncs a picture's file before it inserts its row
(``water.gateway.storage.store_snapshot``), and other uploads save the file before the row too, so every row in
the snapshot finds its file in a copy made after it. A file written after the snapshot may be in the backup
without its row, which is harmless; a file deleted after the snapshot is missing from the backup though its row
(deleted after the snapshot too) is in it.
"""

from __future__ import annotations

import os
from pathlib import Path

from changji.core.backups.manifest import FileEntry, file_entry

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: The folder of the data folder's media files inside a backup.
MEDIA_FOLDER = "media"


def fsync_file(path: Path) -> None:
    """Flush ``path`` (a file or a folder) to disk, so a rename or a copy survives a power cut."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def copy_file(source: Path, target: Path) -> FileEntry:
    """Copy ``source`` to ``target`` (fsynced) and return the copy's sha256 and size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reading, target.open("wb") as writing:
        while chunk := reading.read(1 << 20):
            writing.write(chunk)
        writing.flush()
        os.fsync(writing.fileno())
    return file_entry(target)


def media_files(root: Path) -> list[Path]:
    """Return every regular file under ``root`` (relative, sorted); symbolic links are not followed."""
    if not root.is_dir():
        return []
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root))
    return sorted(found)


def copy_media(root: Path, backup: Path) -> dict[str, FileEntry]:
    """Copy every file under ``root`` into ``backup/media``; return the entries by their path in the backup."""
    entries = {}
    for relative in media_files(root):
        try:
            entry = copy_file(root / relative, backup / MEDIA_FOLDER / relative)
        except FileNotFoundError:
            continue  # deleted since the walk
        entries[f"{MEDIA_FOLDER}/{relative.as_posix()}"] = entry
    return entries


def first_file(root: Path) -> Path | None:
    """Return one file under ``root`` (None when there is none): a restore refuses a data folder with files."""
    files = media_files(root)
    return root / files[0] if files else None


def restore_media(backup: Path, names: list[str], root: Path) -> int:
    """Copy the backup's media files ``names`` (paths in the backup) into ``root``; return how many."""
    count = 0
    for name in names:
        relative = Path(name).relative_to(MEDIA_FOLDER)
        if ".." in relative.parts or relative.is_absolute():
            raise ValueError(f"{name}: a path outside the data folder")
        copy_file(backup / name, root / relative)
        count += 1
    return count
