"""The errors of backups and restores.

Hierarchy::

    Refusal (core.errors)
    └── BackupError          a backup or restore that cannot go on; ``message`` says why and which file or table
"""

from __future__ import annotations

from changji.core.errors import Refusal

__pure__ = True  # no Django: tests/test_architecture.py checks it


class BackupError(Refusal):
    """A backup or restore refused or failed; nothing was changed (a restore) or published (a backup)."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)
