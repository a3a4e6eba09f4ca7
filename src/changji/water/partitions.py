"""Monthly partitions of readings and raw frames on PostgreSQL: created ahead, listed, detached for archive.

``water/0027`` makes ``water_reading`` (key ``observed_at``) and ``water_frame`` (key ``received_at``) range
partitioned by Asia/Shanghai month, with a DEFAULT partition for every row outside the created months. This
module keeps them: ``ensure`` (the daily job ``water.partitions.ensure``) creates the coming months and any month
the default partition holds rows of, moving those rows into it; ``detach`` takes a closed, sealed month out of
both tables for archive, leaving plain tables (``water_reading_2024_01``, ``water_frame_2024_01``) that an
operator dumps and drops; ``attach`` puts such a table (e.g. restored from its dump) back.

Detaching is ``ALTER TABLE … DETACH PARTITION`` without CONCURRENTLY: PostgreSQL refuses the concurrent form
while the table has a default partition. The plain form is a catalogue change that holds the parent's ACCESS
EXCLUSIVE lock for a moment (it waits for running queries of the table and holds up the gateway's inserts
meanwhile), so the page and the command do it one month at a time.

Integrity without foreign keys to these tables (``Reading.frame``, ``Alarm.reading`` have no database
constraint): frames and readings leave the live tables only by this detach. A month is detached from both
tables together, oldest first, only when its derived figures are sealed (``SealedMonth``) and it is not open
(the current month and the two before it still take back-fill). A live reading is then observed after every
archived month, and its frame, received at or after the observation, is live too; only a reading whose terminal
clock ran ahead (``future_dated``) can point at an archived frame, and the archive keeps that frame's id.
``Alarm.reading`` is set to NULL for the archived readings, as ``on_delete=SET_NULL`` would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction

from changji.core import audit, localtime
from changji.core.errors import Refusal
from changji.water.models import SealedMonth

#: Partitioned table -> partition key (water/0027).
TABLES = {"water_reading": "observed_at", "water_frame": "received_at"}
#: Months created ahead of the current one by ``ensure``.
MONTHS_AHEAD = 3
#: The current month and this many before it are open: back-fill still arrives, so they are never detached.
OPEN_MONTHS = 3
#: Months older than this are left in the default partition by ``ensure`` (no partition per implausible month).
MONTHS_BACK = 120
_NAME = re.compile(r"^(water_reading|water_frame)_(\d{4})_(\d{2})$")


class PartitionError(Refusal):
    """A partition request the state of the tables forbids (an open or unsealed month, a missing table)."""

    def __init__(self, message: str) -> None:
        super().__init__("month", message)


@dataclass(frozen=True)
class Partition:
    """One month's table of a partitioned table (or its default partition, ``month`` None)."""

    table: str
    name: str
    month: date | None
    attached: bool
    rows_estimate: int
    size_bytes: int


def supported() -> bool:
    """Return whether readings are partitioned here (PostgreSQL after water/0027)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass('water_reading')")
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def add_months(month: date, count: int) -> date:
    """Return the first day of the month ``count`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def parse_month(text: str) -> date:
    """Return the first day of a ``YYYY-MM`` month, or refuse."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise PartitionError(f"月份格式应为 YYYY-MM：{text}")
    return date(int(match[1]), int(match[2]), 1)


def partition_name(table: str, month: date) -> str:
    """Return the name of ``table``'s partition (or archive table) of ``month``."""
    return f"{table}_{month:%Y_%m}"


def _bound(month: date) -> str:
    return f"{month:%Y-%m-%d} 00:00:00+08"


def list_partitions() -> list[Partition]:
    """Every month table of both tables, attached or detached, and the default partitions, newest first."""
    if not supported():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), i.inhparent IS NOT NULL"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_inherits i ON i.inhrelid = c.oid"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            " AND c.relname ~ '^water_(reading|frame)_([0-9]{4}_[0-9]{2}|default)$'"
        )
        rows = cursor.fetchall()
    found = []
    for name, tuples, size, attached in rows:
        match = _NAME.match(name)
        table = match[1] if match else name.removesuffix("_default")
        month = date(int(match[2]), int(match[3]), 1) if match else None
        found.append(Partition(table, name, month, attached, max(tuples, 0), size))
    return sorted(found, key=lambda p: (p.month or date.max, p.table), reverse=True)


def _existing(cursor: Any, table: str) -> set[str]:
    cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s", [f"{table}\\_%"])
    return {row[0] for row in cursor.fetchall()}


def _default_months(cursor: Any, table: str, key: str) -> list[date]:
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', {key} AT TIME ZONE 'Asia/Shanghai')::date FROM {table}_default"
    )
    return [row[0] for row in cursor.fetchall()]


def _settle(cursor: Any) -> None:
    """Check deferred foreign keys now: PostgreSQL alters no table with trigger events pending in the transaction."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def create_month(table: str, month: date) -> int:
    """Create ``table``'s partition of ``month``, moving the default partition's rows of it; return rows moved.

    The rows are moved and the table attached in one transaction, with the default partition locked so no
    insert of that month lands there in between (ATTACH would refuse the whole month then); the lock also
    serialises two ``ensure`` runs, the second of which finds the table made and moves nothing.
    """
    key, name = TABLES[table], partition_name(table, month)
    lower, upper = _bound(month), _bound(add_months(month, 1))
    with transaction.atomic(), connection.cursor() as cursor:
        _settle(cursor)
        cursor.execute(f"LOCK TABLE {table}_default IN ACCESS EXCLUSIVE MODE")
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:  # made meanwhile by another ensure (the job and the page's button)
            return 0
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {table}_default WHERE {key} >= %s AND {key} < %s RETURNING *)"
            f" INSERT INTO {name} SELECT * FROM moved", [lower, upper],
        )
        moved = cursor.rowcount
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{lower}') TO ('{upper}')")
    return max(moved, 0)


def ensure(months_ahead: int = MONTHS_AHEAD, today: date | None = None, actor: Any = None) -> dict[str, int]:
    """Create the partitions of the current month and ``months_ahead`` more, and of the months the default holds.

    Idempotent: a month whose table exists (attached, or detached for archive) is left alone, so rows of an
    archived month that arrive late stay in the default partition. Returns the counts created and moved.
    """
    if not supported():
        return {"created": 0, "moved": 0}
    current = localtime.month_of(today or localtime.today())
    wanted = [add_months(current, n) for n in range(months_ahead + 1)]
    counts = {"created": 0, "moved": 0}
    for table, key in TABLES.items():
        with connection.cursor() as cursor:
            existing = _existing(cursor, table)
            held = [m for m in _default_months(cursor, table, key)
                    if add_months(current, -MONTHS_BACK) <= m <= wanted[-1]]
        for month in sorted(set(wanted) | set(held)):
            if partition_name(table, month) not in existing:
                counts["moved"] += create_month(table, month)
                counts["created"] += 1
    if counts["created"]:
        audit.record("water.partitions.ensure", actor=actor, months_ahead=months_ahead, counts=counts)
    return counts


def _attached_months(cursor: Any, table: str) -> set[date]:
    cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                   " WHERE i.inhparent = %s::regclass", [table])
    return {date(int(m[2]), int(m[3]), 1) for (name,) in cursor.fetchall() if (m := _NAME.match(name))}


def check_detachable(month: date, today: date | None = None) -> list[str]:
    """Return the tables ``month`` is attached to; refuse it when open, not sealed, or not the oldest attached.

    A month may be attached to one table only: readings back-filled or seeded for months before the first
    frame, frames rejected before any reading.
    """
    current = localtime.month_of(today or localtime.today())
    if month > add_months(current, -OPEN_MONTHS):
        raise PartitionError(f"{month:%Y-%m} 仍在开放期（本月及前 {OPEN_MONTHS - 1} 个月仍可能补报），不能归档")
    if not SealedMonth.objects.filter(month=month).exists():
        raise PartitionError(f"{month:%Y-%m} 的月度汇总尚未封存，不能归档其原始数据")
    with connection.cursor() as cursor:
        attached = {table: _attached_months(cursor, table) for table in TABLES}
    if not any(month in months for months in attached.values()):
        raise PartitionError(f"{month:%Y-%m} 没有已挂载的分区")
    older = sorted(m for months in attached.values() for m in months if m < month)
    if older:
        raise PartitionError(f"请先归档更早的月份（{older[0]:%Y-%m}），按月份先后归档")
    return [table for table, months in attached.items() if month in months]


def detach(month: date, actor: Any = None, today: date | None = None) -> dict[str, int]:
    """Detach ``month`` from the tables for archive; return the rows archived per table and alarms unlinked.

    The detached tables keep their rows and indexes and lose their foreign keys, so an operator can
    ``pg_dump -t`` and drop them on their own. Audited.
    """
    if not supported():
        raise PartitionError("分区是 PostgreSQL 的功能，当前数据库不支持")
    tables = check_detachable(month, today)
    result = {"alarms_unlinked": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        _settle(cursor)
        if "water_reading" in tables:
            cursor.execute(f"UPDATE water_alarm SET reading_id = NULL WHERE reading_id IN"
                           f" (SELECT id FROM {partition_name('water_reading', month)})")
            result["alarms_unlinked"] = cursor.rowcount
        for table in tables:
            name = partition_name(table, month)
            cursor.execute(f"SELECT COUNT(*) FROM {name}")
            result[table] = cursor.fetchone()[0]
            cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {name}")
            cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [name])
            for (constraint,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {name} DROP CONSTRAINT "{constraint}"')
        audit.record("water.partitions.detach", actor=actor, month=f"{month:%Y-%m}", counts=result)
    return result


def attach(month: date, actor: Any = None) -> dict[str, int]:
    """Attach the archive tables of ``month`` again (after a restore); the default's rows of it join them.

    A reading the default holds for the month and the archive holds too keeps the archive's row.
    """
    if not supported():
        raise PartitionError("分区是 PostgreSQL 的功能，当前数据库不支持")
    result = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _settle(cursor)
        archived = [t for t in TABLES if partition_name(t, month) in _existing(cursor, t)
                    and month not in _attached_months(cursor, t)]
        if not archived:
            raise PartitionError(f"没有 {month:%Y-%m} 的归档表可挂载")
        for table in archived:
            key, name = TABLES[table], partition_name(table, month)
            lower, upper = _bound(month), _bound(add_months(month, 1))
            cursor.execute(f"LOCK TABLE {table}_default IN ACCESS EXCLUSIVE MODE")
            conflict = " ON CONFLICT DO NOTHING" if table == "water_reading" else ""
            cursor.execute(
                f"WITH moved AS (DELETE FROM {table}_default WHERE {key} >= %s AND {key} < %s RETURNING *)"
                f" INSERT INTO {name} SELECT * FROM moved{conflict}", [lower, upper],
            )
            result[f"{table}_moved"] = max(cursor.rowcount, 0)
            cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{lower}') TO ('{upper}')")
        audit.record("water.partitions.attach", actor=actor, month=f"{month:%Y-%m}", counts=result)
    return result
