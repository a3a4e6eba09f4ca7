"""Partition readings and raw frames by local month on PostgreSQL (declarative range partitioning).

``water_reading`` is partitioned on ``observed_at`` and ``water_frame`` on ``received_at``, one partition per
Asia/Shanghai month (``water_reading_2024_01`` holds 2024-01-01 00:00+08 up to 2024-02-01 00:00+08), because
every month the platform seals, reports and archives is a local month: with UTC bounds the first eight hours of
each local month would sit in the previous partition, and detaching "January" would take part of February.
A DEFAULT partition (``water_reading_default``) takes every row outside the created months (a two-digit-year
frame that says 2059, a back-fill for a month already archived); ``water.partitions`` moves its rows into a
month's partition when that month is created.

The swap keeps the data and the ids: the partitioned table is made ``LIKE`` the old one (columns, defaults,
identity, checks), partitions cover every month of the existing rows (at most ten years back; older rows go to
the default) up to three months ahead, the rows are copied, the identity sequence restarts where the old one
stopped, the old table is dropped and the new one takes its name, and the old table's indexes and constraints
are recreated from the catalogue (so columns or constraints other migrations added before this one are kept).
The primary key becomes (id, partition key) in the database, since a unique index of a partitioned table must
contain the key; Django keeps ``id`` as the primary key, and ids stay unique because one sequence hands them out.

Foreign keys to these tables cannot reference ``id`` alone any more, so Reading.frame and Alarm.reading become
``db_constraint=False`` (state only here; the constraints go with the old tables). Their ``on_delete`` stays
enforced by Django's collector, and no code deletes frames or readings in bulk SQL: the one other way rows leave
is the archive detach of a sealed month, which takes a whole month of both tables (``water.partitions``).

On SQLite this is a no-op apart from the model state. Reversible: backwards merges the attached partitions into
a plain table again (detached archive tables stay as they are) and restores the primary key on ``id`` and the
two foreign keys.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import django.db.models.deletion
from django.db import migrations, models

#: Table -> partition key.
TABLES = {"water_frame": "received_at", "water_reading": "observed_at"}
#: Foreign keys restored when going backwards: (table, column, referenced table).
FOREIGN_KEYS = [("water_reading", "frame_id", "water_frame"), ("water_alarm", "reading_id", "water_reading")]
LOCAL = timezone(timedelta(hours=8))
MONTHS_AHEAD = 3
MONTHS_BACK = 120


def _month(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date().replace(day=1)


def _add(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _next(month: date) -> date:
    return _add(month, 1)


def _bound(month: date) -> str:
    return f"{month:%Y-%m-%d} 00:00:00+08"


def _catalogue(cursor, table: str) -> tuple[list[str], list[str]]:
    """The old table's index definitions (not the primary key's) and its unique, check-free constraints."""
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass"
        " AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [table],
    )
    indexes = [row[0].replace(" ON ONLY ", " ON ", 1) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', %s::text, conname, pg_get_constraintdef(oid))"
        " FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'x') ORDER BY contype DESC",
        [table, table],
    )
    return indexes, [row[0] for row in cursor.fetchall()]


def _drop_references(cursor, table: str) -> None:
    """Drop the foreign keys of other tables to ``table`` (they cannot reference a partitioned id)."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f'"
        " AND conrelid <> %s::regclass",
        [table, table],
    )
    for owner, name in cursor.fetchall():
        cursor.execute(f'ALTER TABLE "{owner}" DROP CONSTRAINT "{name}"')


def _months(cursor, table: str, key: str) -> list[date]:
    current = _month(datetime.now(UTC))
    cursor.execute(f"SELECT MIN({key}) FROM {table}")
    oldest = cursor.fetchone()[0]
    first = min(max(_month(oldest), _add(current, -MONTHS_BACK)), current) if oldest else current
    months = [first]
    while months[-1] < _add(current, MONTHS_AHEAD):
        months.append(_next(months[-1]))
    return months


def _swap(cursor, table: str, *, partition_by: str | None) -> None:
    """Rebuild ``table`` as a partitioned table (``partition_by`` its key) or, when None, as a plain one."""
    staging = f"{table}__swap"
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no table is altered with deferred checks pending
    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    indexes, constraints = _catalogue(cursor, table)
    _drop_references(cursor, table)
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    old_sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {old_sequence}")
    last_value, is_called = cursor.fetchone()
    like = f"LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE"
    tail = f" PARTITION BY RANGE ({partition_by})" if partition_by else ""
    cursor.execute(f"CREATE TABLE {staging} ({like}){tail}")
    if partition_by:
        for month in _months(cursor, table, partition_by):
            cursor.execute(
                f"CREATE TABLE {table}_{month:%Y_%m} PARTITION OF {staging}"
                f" FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(_next(month))}')"
            )
        cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {staging} DEFAULT")
    cursor.execute(f"INSERT INTO {staging} SELECT * FROM {table}")
    cursor.execute(f"DROP TABLE {table}")  # a partitioned one takes its attached partitions with it
    cursor.execute(f"ALTER TABLE {staging} RENAME TO {table}")
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    cursor.execute(f"ALTER SEQUENCE {cursor.fetchone()[0]} RENAME TO {old_sequence.split('.')[-1]}")
    cursor.execute("SELECT setval(%s, %s, %s)", [old_sequence, last_value, is_called])
    primary = f"id, {partition_by}" if partition_by else "id"
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({primary})")
    for statement in indexes + constraints:
        cursor.execute(statement)


def partition(apps, schema_editor) -> None:
    """Turn both tables into monthly partitioned tables (PostgreSQL only)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, key in TABLES.items():
            _swap(cursor, table, partition_by=key)


def merge(apps, schema_editor) -> None:
    """Merge the attached partitions into plain tables again and restore the foreign keys (PostgreSQL only)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            _swap(cursor, table, partition_by=None)
        for table, column, target in FOREIGN_KEYS:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fk_{target}_id FOREIGN KEY ({column})"
                f" REFERENCES {target} (id) DEFERRABLE INITIALLY DEFERRED"
            )


class Migration(migrations.Migration):

    dependencies = [
        ('water', '0026_frame_stream_seq'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='reading',
                    name='frame',
                    field=models.ForeignKey(db_constraint=False, db_index=False,
                                            on_delete=django.db.models.deletion.PROTECT, related_name='+',
                                            to='water.frame', verbose_name='原始报文'),
                ),
                migrations.AlterField(
                    model_name='alarm',
                    name='reading',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL, related_name='+',
                                            to='water.reading'),
                ),
            ],
            database_operations=[migrations.RunPython(partition, merge, elidable=False)],
        ),
    ]
