"""Backups and restore of a Changji instance: the database and the data folder's files, with a manifest.

``changji backup DEST`` and ``changji restore SRC`` (``core/management/commands``) call ``service``. A backup is one
folder ``changji-YYYYMMDDTHHMMSSZ/`` under DEST holding the database (a SQLite copy or a ``pg_dump`` custom-format
archive), ``media/`` (every file of MEDIA_ROOT) and ``manifest.json`` (``manifest``). The modules:

* ``manifest`` (pure) — build, serialise, parse and verify the manifest (sha256 and size of every file);
* ``retention`` (pure) — backup folder names and which old backups ``--keep N`` deletes;
* ``sqlite`` — the SQLite Online Backup API copy (https://www.sqlite.org/backup.html), counts, restore;
* ``postgresql`` — ``pg_dump --snapshot`` inside a REPEATABLE READ transaction that also counts the rows;
  ``pg_restore``;
* ``files`` — the data folder's files (MEDIA_ROOT), copied after the database snapshot;
* ``service`` — ``create_backup`` and ``restore_backup``, the only entry points.
"""
