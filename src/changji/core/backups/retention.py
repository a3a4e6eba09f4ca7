"""Backup folder names and retention: which complete backups ``--keep N`` deletes.

A backup folder is named by its UTC creation time, ``changji-20261206T031500Z`` (ISO 8601 basic format), so the
names sort by age. A folder being written carries a leading dot and a ``.partial`` suffix and is renamed only when
complete; any other name (an operator's own folder, a half-written backup) is never a backup and never deleted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__pure__ = True  # no Django: tests/test_architecture.py checks it

PREFIX = "changji-"
_NAME = re.compile(r"^changji-\d{8}T\d{6}Z$")
#: Backups kept by default (``changji backup --keep``).
DEFAULT_KEEP = 7


def folder_name(moment: datetime) -> str:
    """Return the name of the backup made at ``moment`` (aware), in UTC to the second."""
    return f"{PREFIX}{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def partial_name(name: str) -> str:
    """Return the temporary name a backup is written under before it is complete."""
    return f".{name}.partial"


def is_backup_name(name: str) -> bool:
    """Return whether ``name`` is the name of a complete backup folder."""
    return bool(_NAME.match(name))


def expired(names: list[str], keep: int, new: str) -> list[str]:
    """Return the backups among ``names`` to delete so that ``keep`` remain, oldest first; never ``new``.

    Names that are not backups are ignored; ``keep`` counts the new backup, and is at least 1.
    """
    if keep < 1:
        raise ValueError("keep at least one backup")
    backups = sorted(name for name in set(names) if is_backup_name(name))
    excess = len(backups) - keep
    return [name for name in backups[:max(excess, 0)] if name != new]
