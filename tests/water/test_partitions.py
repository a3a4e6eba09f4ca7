"""Monthly partitions of readings and raw frames (water/0027, ``water.partitions``) on PostgreSQL.

Rows are written through the gateway's own SQL (``storage.commit_frames``) and found by ``tableoid``, the
partition PostgreSQL put them in. The DDL runs inside each test's transaction and is rolled back with it.
"""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from changji.core.localtime import SHANGHAI, month_of, today
from changji.core.models import AuditEntry, Role
from changji.water import jobs, partitions
from changji.water.gateway import storage
from changji.water.gateway.records import InboundFrame
from changji.water.models import Alarm, Frame, Reading, SealedMonth
from changji.water.protocols.reading import Reading as CanonicalReading

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="declarative partitioning is a PostgreSQL feature; SQLite has one table"
)


def _store(terminal, observed_at: datetime, received_at: datetime | None = None) -> int:
    """Store one reading through the gateway's SQL; return its frame id."""
    reading = CanonicalReading("szy206", terminal.address, observed_at, volume_m3=1.0)
    item = InboundFrame(
        received_at=received_at or observed_at + timedelta(seconds=20), peer="127.0.0.1:5000", protocol="szy206",
        raw=b"\x68", outcome="stored", address=terminal.address, function="C0", terminal_id=terminal.id,
        observed_at=observed_at, reading=reading,
    )
    return storage.commit_frames([item])[0].frame_id


def _partition_of(model, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _local(month: date, hours: float = 0) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=SHANGHAI).astimezone(UTC) + timedelta(hours=hours)


def _relkind(name: str) -> tuple[str, bool] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relkind, EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = c.oid)"
                       " FROM pg_class c WHERE c.oid = to_regclass(%s)", [name])
        return cursor.fetchone()


@on_postgresql
def test_rows_land_in_their_local_months_partition(make_terminal):
    """A reading goes by its Asia/Shanghai observation month, its frame by its receipt month."""
    terminal = make_terminal()
    this = month_of(today())
    following = partitions.add_months(this, 1)
    before_midnight = _local(following, -0.5)  # 23:30 local on the month's last day, 15:30 UTC
    frame_id = _store(terminal, before_midnight, received_at=before_midnight + timedelta(hours=1))
    reading = Reading.objects.get(frame_id=frame_id)
    assert _partition_of(Reading, reading.pk) == partitions.partition_name("water_reading", this)
    assert _partition_of(Frame, frame_id) == partitions.partition_name("water_frame", following)
    after_midnight = _local(following, 0.5)
    reading = Reading.objects.get(frame_id=_store(terminal, after_midnight))
    assert _partition_of(Reading, reading.pk) == partitions.partition_name("water_reading", following)
    assert Reading.objects.filter(terminal=terminal).count() == 2  # the ORM sees one table


@on_postgresql
def test_the_job_creates_the_coming_months_once():
    this = month_of(today())
    first = partitions.ensure(months_ahead=6)
    assert first["created"] >= 2 * 3  # the migration made three months ahead; three more per table
    names = {p.name for p in partitions.list_partitions() if p.attached}
    for ahead in range(7):
        month = partitions.add_months(this, ahead)
        assert {partitions.partition_name(t, month) for t in partitions.TABLES} <= names
    assert partitions.ensure(months_ahead=6) == {"created": 0, "moved": 0}
    assert jobs.partitions(datetime.now(UTC)) == {"created": 0, "moved": 0}


@on_postgresql
def test_a_far_future_row_waits_in_the_default_partition_and_moves_into_its_month(make_terminal):
    """A two-digit-year clock saying 2059 is stored (the default takes it) and moves when 2059-03 is created."""
    terminal = make_terminal()
    frame = Frame.objects.create(received_at=datetime.now(UTC), peer="p", protocol="szy206", raw=b"\x68",
                                 outcome="stored", terminal=terminal)
    reading = Reading.objects.create(terminal=terminal, observed_at=datetime(2059, 3, 10, tzinfo=UTC),
                                     received_at=datetime.now(UTC), future_dated=True, frame=frame)
    assert _partition_of(Reading, reading.pk) == "water_reading_default"
    assert partitions.ensure()["moved"] == 0  # 2059 is beyond the months kept ahead: it stays
    counts = partitions.ensure(months_ahead=1, today=date(2059, 3, 2))
    assert counts["moved"] == 1
    assert _partition_of(Reading, reading.pk) == "water_reading_2059_03"
    assert Reading.objects.get(pk=reading.pk).observed_at == datetime(2059, 3, 10, tzinfo=UTC)


def _old_month_with_data(make_terminal, months_back: int) -> tuple[date, int]:
    """Store a reading in a closed month (it goes to the default partition, ensure gives it its month)."""
    month = partitions.add_months(month_of(today()), -months_back)
    terminal = make_terminal(address=f"65232300{months_back:02d}")
    frame_id = _store(terminal, _local(month, 24 * 9))
    partitions.ensure()
    reading = Reading.objects.get(frame_id=frame_id)
    assert _partition_of(Reading, reading.pk) == partitions.partition_name("water_reading", month)
    return month, reading.pk


@on_postgresql
def test_detach_refuses_an_open_or_unsealed_month_or_a_newer_one_first(make_terminal):
    old, _ = _old_month_with_data(make_terminal, 6)
    older, _ = _old_month_with_data(make_terminal, 7)
    with pytest.raises(partitions.PartitionError, match="开放期"):
        partitions.detach(month_of(today()))
    with pytest.raises(partitions.PartitionError, match="开放期"):
        partitions.detach(partitions.add_months(month_of(today()), -2))
    with pytest.raises(partitions.PartitionError, match="尚未封存"):
        partitions.detach(old)
    SealedMonth.objects.create(month=old)
    SealedMonth.objects.create(month=older)
    with pytest.raises(partitions.PartitionError, match=f"{older:%Y-%m}"):
        partitions.detach(old)  # the older month first
    assert _relkind(partitions.partition_name("water_reading", old)) == ("r", True)


@on_postgresql
def test_detach_of_a_sealed_old_month_leaves_plain_tables_and_unlinks_alarms(make_terminal):
    month, reading_id = _old_month_with_data(make_terminal, 5)
    reading = Reading.objects.get(pk=reading_id)
    alarm = Alarm.objects.create(terminal=reading.terminal, kind="offline", severity="warning", state="open",
                                 raised_at=reading.observed_at, reading=reading)
    SealedMonth.objects.create(month=month)
    result = partitions.detach(month, actor="test")
    assert result == {"alarms_unlinked": 1, "water_reading": 1, "water_frame": 1}
    for table in partitions.TABLES:
        assert _relkind(partitions.partition_name(table, month)) == ("r", False)
    assert not Reading.objects.filter(pk=reading_id).exists()
    alarm.refresh_from_db()
    assert alarm.reading_id is None
    assert AuditEntry.objects.filter(action="water.partitions.detach").exists()
    listed = {p.name: p.attached for p in partitions.list_partitions()}
    assert listed[partitions.partition_name("water_reading", month)] is False
    assert partitions.ensure()["created"] == 0  # an archived month is not made again
    partitions.attach(month)
    assert Reading.objects.filter(pk=reading_id).exists()


@on_postgresql
def test_the_migration_keeps_rows_and_ids_continue(make_terminal):
    """Backwards to plain tables and forwards again (water/0027's own functions) keep every row and id."""
    migration = importlib.import_module("changji.water.migrations.0027_monthly_partitions")
    editor = SimpleNamespace(connection=connection)
    terminal = make_terminal()
    migration.merge(None, editor)
    assert _relkind("water_reading") == ("r", False)
    stored = [_store(terminal, _local(month_of(today()), 24 * day)) for day in range(3)]
    stored.append(_store(terminal, datetime(2059, 1, 5, tzinfo=UTC)))  # lands in the default partition
    readings = dict(Reading.objects.values_list("id", "frame_id"))
    migration.partition(None, editor)
    assert _relkind("water_reading") == ("p", False) and _relkind("water_frame") == ("p", False)
    assert dict(Reading.objects.values_list("id", "frame_id")) == readings
    assert sorted(Frame.objects.values_list("id", flat=True)) == sorted(stored)
    later = _store(terminal, _local(month_of(today()), 24 * 5))
    assert later > max(stored)
    assert Reading.objects.get(frame_id=later).pk > max(readings)


def test_sqlite_has_nothing_to_partition(client, make_user):
    """On SQLite the job does nothing and the page says partitioning is PostgreSQL's."""
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite answer; PostgreSQL is partitioned")
    assert partitions.ensure() == {"created": 0, "moved": 0}
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("water", "partitions", "--list")
    client.force_login(make_user("admin-zhou", "652300", Role.PREFECTURE_ADMIN))
    page = client.get(reverse("water:partitions"))
    assert page.status_code == 200 and "PostgreSQL" in page.content.decode()


@on_postgresql
def test_the_page_lists_months_and_detaches_after_confirmation(client, make_user, make_terminal):
    month, reading_id = _old_month_with_data(make_terminal, 4)
    SealedMonth.objects.create(month=month)
    client.force_login(make_user("admin-zhou", "652300", Role.PREFECTURE_ADMIN))
    page = client.get(reverse("water:partitions")).content.decode()
    assert f"{month:%Y-%m}" in page and "默认分区" in page
    assert client.post(reverse("water:partitions")).status_code == 302
    confirm = client.get(reverse("water:partition_detach"), {"month": f"{month:%Y-%m}"})
    assert 'id="confirm-form"' in confirm.content.decode()
    refused = client.get(reverse("water:partition_detach"), {"month": f"{month_of(today()):%Y-%m}"})
    assert "开放期" in refused.content.decode() and 'id="confirm-form"' not in refused.content.decode()
    assert client.post(reverse("water:partition_detach"), {"month": "2024-13"}).status_code == 400
    done = client.post(reverse("water:partition_detach"), {"month": f"{month:%Y-%m}"})
    assert done.status_code == 302
    assert not Reading.objects.filter(pk=reading_id).exists()
    assert AuditEntry.objects.filter(action="water.partitions.detach", actor_name="admin-zhou").exists()
