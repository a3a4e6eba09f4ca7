"""Backups and restore (``changji backup`` / ``changji restore``, ``core.backups``).

The end-to-end test backs up a database while a real gateway (``changji gateway``) ingests a simulated fleet
(``changji simulate --ack-log``), restores it into a fresh database and data folder, and checks that every
reading acknowledged before the manifest's snapshot point came back, with the counts, checksums and rebuilt daily
figures of the days the backup holds whole. It runs on the suite's database vendor: SQLite files of its own, or on
PostgreSQL the suite's test database (committed rows: a transactional test) and a fresh database for the restore.
The fast tests cover the manifest's verification, the refusals of a restore, the retention and the password.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from changji.core.backups import postgresql, retention
from changji.core.backups.errors import BackupError
from changji.core.backups.manifest import FileEntry, Manifest, file_entry, parse, serialise, verify
from changji.core.localtime import SHANGHAI, local_day
from tests.waiting import wait_until
from tests.water.gateway.processes import free_port, start_gateway

CHANGJI = str(Path(sys.executable).with_name("changji"))
SUITE_URL = os.environ.get("DATABASE_URL", "")
SUITE_ON_POSTGRESQL = SUITE_URL.startswith("postgres")
WELLS = 12
SPEEDUP = 2_400  # a 5-minute report every 0.125 s: well under the gateway's flood guard (50 frames/s a connection)
#: The replay starts this long before the midnight after the compared day: 6 s at SPEEDUP, longer than the fleet's
#: connection stagger (``SimulatorConfig.connect_stagger_s``, 5 s), so every terminal reports on the compared day.
BEFORE_MIDNIGHT_H = 4.0
READINGS = """SELECT t.address, r.observed_at, r.flow_m3h, r.volume_m3, r.energy_kwh, r.level_m,
    r.depth_m, r.battery_v, r.pump_on, r.door_open, r.ac_power_lost
    FROM water_reading r JOIN water_terminal t ON t.id = r.terminal_id"""
DAILY_USAGE = """SELECT w.code, u.day, u.water_m3, u.energy_kwh, u.water_sum_m3, u.energy_sum_kwh
    FROM water_dailyusage u JOIN water_well w ON w.id = u.well_id"""
TERMINAL_DAYS = """SELECT t.address, d.day, d.expected_reports, d.received_reports, d.readings_valid, d.condition
    FROM water_terminalday d JOIN water_terminal t ON t.id = d.terminal_id"""


def _query(env: dict[str, str], sql: str) -> list[tuple]:
    """Rows of ``sql`` in the database of a `changji` environment (its DATABASE_URL, or its SQLite file)."""
    if "DATABASE_URL" in env:
        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)) as conn:
            return list(conn.execute(sql))
    with sqlite3.connect(Path(env["CHANGJI_DATA_DIR"]) / "changji.sqlite3") as conn:
        return list(conn.execute(sql))


def _utc(value) -> datetime:
    return value.astimezone(UTC) if isinstance(value, datetime) else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _changji(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHANGJI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _base_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "CHANGJI_DATA_DIR": str(data_dir), "CHANGJI_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    return env


def _pumping_seed(day: date) -> int:
    """A fleet seed whose wells include an industrial one pumping on ``day`` (a local day).

    The compared day's derived figures are then not all zero in any month: agricultural wells rest from December
    to March (``WellModel.day_plan``), an industrial well pumps around the clock on most days of the year.
    """
    from changji.water.sim.fleet import build_fleet
    from changji.water.sim.profiles import MISFIT_CODE
    from changji.water.sim.simulator import WellModel

    late_evening = datetime(day.year, day.month, day.day, 23, tzinfo=SHANGHAI)
    for seed in range(2026, 2126):
        for well in build_fleet(WELLS, seed):
            if well.use == "industrial" and well.code != MISFIT_CODE:
                plan = WellModel(well, frozenset(), seed).day_plan(late_evening)
                if plan and plan[0] <= 24 - BEFORE_MIDNIGHT_H and plan[1] >= 24:
                    return seed
    raise AssertionError(f"no fleet seed pumps on {day}")


def _source(request, tmp_path: Path, seed: int) -> dict[str, str]:
    """The environment of the database the gateway ingests into, migrated and seeded with the fleet."""
    env = _base_env(tmp_path / "source")
    (tmp_path / "source").mkdir()
    if SUITE_ON_POSTGRESQL:
        from django.conf import settings

        from changji.water.sim.demo import seed_fleet

        seed_fleet(WELLS, seed)  # committed: a transactional test, in the suite's test database
        env["DATABASE_URL"] = SUITE_URL.rsplit("/", 1)[0] + "/" + settings.DATABASES["default"]["NAME"]
    else:
        request.getfixturevalue("migrated_sqlite")(tmp_path / "source")
        script = ("import django; django.setup(); from changji.water.sim.demo import seed_fleet; "
                  f"seed_fleet({WELLS}, {seed})")
        subprocess.run([sys.executable, "-c", script], env={**env, "DJANGO_SETTINGS_MODULE": "changji.settings"},
                       check=True, timeout=120)
    return env


def _restored_env(tmp_path: Path, source: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """A fresh data folder and a fresh, empty database (PostgreSQL: created here, named after the test database)."""
    env = _base_env(tmp_path / "restored")
    if "DATABASE_URL" not in source:
        return env, None
    server, name = source["DATABASE_URL"].rsplit("/", 1)
    fresh = f"{name}_restored"
    with psycopg.connect(server.replace("postgres://", "postgresql://", 1) + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {fresh} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {fresh}")
    env["DATABASE_URL"] = f"{server}/{fresh}"
    return env, fresh


def _drop(env: dict[str, str], name: str | None) -> None:
    if name:
        server = env["DATABASE_URL"].rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1)
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _acks(path: Path) -> list[tuple[str, datetime, datetime]]:
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]
    return [(a["address"], datetime.fromisoformat(a["observed_at"]), datetime.fromisoformat(a["acked_at"]))
            for a in lines]


def _ingest_and_back_up(source: dict[str, str], tmp_path: Path, next_day: datetime, seed: int) -> tuple[Path, list]:
    """Replay the fleet into a gateway from shortly before ``next_day`` (a local midnight); back up mid-stream.

    The backup starts once every terminal reports ``next_day``, while the rest of the history still streams in;
    the fleet and the gateway stop a little later. Return the backup folder and the acknowledged frames.
    """
    from changji.water.sim.fleet import build_fleet
    from changji.water.sim.profiles import MISFIT_CODE

    # The misfit terminal is registered with the wrong protocol profile: the gateway never acknowledges it.
    addresses = {well.address for well in build_fleet(WELLS, seed) if well.code != MISFIT_CODE}
    port, ack_log = free_port(), tmp_path / "acks.jsonl"
    history_h = (datetime.now(UTC) - next_day).total_seconds() / 3600 + BEFORE_MIDNIGHT_H
    gateway = start_gateway(source, port)
    fleet = subprocess.Popen([CHANGJI, "simulate", "--port", str(port), "--wells", str(WELLS), "--speedup",
                              str(SPEEDUP), "--history-hours", f"{history_h:.3f}", "--seed", str(seed),
                              "--ack-log", str(ack_log)],
                             env=source)
    try:
        wait_until(lambda: {a for a, observed, _ in _acks(ack_log) if observed >= next_day} >= addresses,
                   timeout=90, every=0.2, what="every terminal to report the day after the compared day")
        backed_up = _changji(source, "backup", str(tmp_path / "backups"), "--keep", "3")
        assert backed_up.returncode == 0, backed_up.stderr
        during = len(_acks(ack_log))
        wait_until(lambda: len(_acks(ack_log)) > during + 50, timeout=60, every=0.1,
                   what="the fleet to keep reporting after the backup")
    finally:
        for process in (fleet, gateway):
            process.send_signal(signal.SIGTERM)
        for process in (fleet, gateway):
            process.wait(timeout=60)
    (backup,) = (tmp_path / "backups").iterdir()
    return backup, _acks(ack_log)


def _by_key(rows: list[tuple]) -> dict[tuple[str, datetime], tuple]:
    return {(row[0], _utc(row[1])): row[2:] for row in rows}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_while_the_gateway_ingests_restores_every_reading_acknowledged_before_the_snapshot(
        request, tmp_path):
    today = local_day(datetime.now(UTC))
    compared = today - timedelta(days=2)  # the fleet replays its last hours before the backup, the next day after
    next_midnight = datetime(compared.year, compared.month, compared.day, tzinfo=UTC) + timedelta(hours=24 - 8)
    seed = _pumping_seed(compared)
    source = _source(request, tmp_path, seed)
    backup, acks = _ingest_and_back_up(source, tmp_path, next_midnight, seed)
    manifest = parse((backup / "manifest.json").read_text())
    snapshot_point = datetime.fromisoformat(manifest.snapshot_point)
    before = {(a, o) for a, o, acked in acks if acked < snapshot_point}
    after = {(a, o) for a, o, acked in acks if acked >= snapshot_point}
    assert before and after - before, "the backup should be taken while the fleet reports"

    restored_env, fresh = _restored_env(tmp_path, source)
    try:
        done = _changji(restored_env, "restore", str(backup))
        assert done.returncode == 0, done.stderr
        assert "changji migrate" in done.stdout
        original, restored = _by_key(_query(source, READINGS)), _by_key(_query(restored_env, READINGS))
        assert before - restored.keys() == set(), "an acknowledged reading is missing from the restore"
        whole = before - after  # every frame of these readings was acknowledged before the snapshot
        assert {key: restored[key] for key in whole} == {key: original[key] for key in whole}
        assert verify(backup, manifest) == []
        counts = {table: _query(restored_env, f'SELECT count(*) FROM "{table}"')[0][0]
                  for table in manifest.row_counts}
        assert counts == manifest.row_counts
        rebuilds = [subprocess.Popen([CHANGJI, "water", "rebuild"], env=env) for env in (source, restored_env)]
        assert [process.wait(timeout=180) for process in rebuilds] == [0, 0]
        complete_days = {local_day(o) for _, o in before} - {local_day(o) for _, o in after}
        complete_days = {day for day in complete_days if day <= compared}
        assert compared in complete_days
        for sql in (DAILY_USAGE, TERMINAL_DAYS):
            figures = [{row for row in _query(env, sql) if _day(row[1]) in complete_days}
                       for env in (source, restored_env)]
            assert figures[0] and figures[0] == figures[1]
            if sql is DAILY_USAGE:
                assert any(row[2] for row in figures[0]), "the compared days should hold some pumping"
    finally:
        _drop(restored_env, fresh)


def _day(value):
    return value if not isinstance(value, str) else datetime.fromisoformat(value).date()


# --- fast tests ------------------------------------------------------------------------------------------------


def _tiny_backup(folder: Path, vendor: str = "sqlite", media: bytes = b"\xff\xd8picture") -> Manifest:
    """A small but real SQLite backup folder (one table, two rows, one media file) with its manifest."""
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / "database.sqlite3") as conn:
        conn.execute("CREATE TABLE water_note (id INTEGER PRIMARY KEY, text TEXT)")
        conn.executemany("INSERT INTO water_note (text) VALUES (?)", [("一",), ("二",)])
    conn.close()
    (folder / "media" / "snapshots").mkdir(parents=True)
    (folder / "media" / "snapshots" / "a.jpg").write_bytes(media)
    manifest = Manifest(
        platform_version="0.1.0", created_at="2026-12-06T03:15:00+00:00", snapshot_point="2026-12-06T03:15:00+00:00",
        database_vendor=vendor, database_file="database.sqlite3", migrations={"water": "0027_monthly_partitions"},
        row_counts={"water_note": 2},
        files={name: file_entry(folder / name) for name in ("database.sqlite3", "media/snapshots/a.jpg")},
    )
    (folder / "manifest.json").write_text(serialise(manifest), encoding="utf-8")
    return manifest


def test_manifest_serialises_stably_and_reads_back(tmp_path):
    manifest = _tiny_backup(tmp_path / "b")
    text = serialise(manifest)
    assert serialise(parse(text)) == text
    data = json.loads(text)
    assert data["total_bytes"] == manifest.total_bytes == sum(e.size_bytes for e in manifest.files.values())
    assert list(data) == sorted(data) and data["format_version"] == 1
    with pytest.raises(ValueError, match="format version"):
        parse(json.dumps({**data, "format_version": 99}))


def test_verify_names_a_changed_byte_and_a_missing_file(tmp_path):
    folder = tmp_path / "b"
    manifest = _tiny_backup(folder)
    assert verify(folder, manifest) == []
    picture = folder / "media" / "snapshots" / "a.jpg"
    picture.write_bytes(b"\xff\xd8pictura")  # same size, one byte changed
    (folder / "database.sqlite3").unlink()
    problems = verify(folder, manifest)
    assert problems[0] == "database.sqlite3: missing"
    assert problems[1].startswith("media/snapshots/a.jpg: sha256")
    assert FileEntry(**json.loads(serialise(manifest))["files"]["media/snapshots/a.jpg"]) == manifest.files[
        "media/snapshots/a.jpg"]


@pytest.mark.database_independent
def test_restore_of_a_sqlite_backup_into_an_empty_instance_and_refusals(tmp_path):
    """A restore writes the database and the media files.

    A corrupt backup, or a data folder with files, changes nothing, and the refusal names the file or folder.
    """
    backup = tmp_path / "changji-20261206T031500Z"
    _tiny_backup(backup)
    corrupt = tmp_path / "corrupt"
    _tiny_backup(corrupt)
    (corrupt / "media" / "snapshots" / "a.jpg").write_bytes(b"\xff\xd8pictur")
    data = tmp_path / "data"
    env = _base_env(data)
    refused = _changji(env, "restore", str(corrupt))
    assert refused.returncode != 0 and "media/snapshots/a.jpg" in refused.stderr
    assert not (data / "changji.sqlite3").exists()
    (data / "media" / "reports").mkdir(parents=True)
    (data / "media" / "reports" / "old.xlsx").write_bytes(b"x")
    refused = _changji(env, "restore", str(backup))
    assert refused.returncode != 0 and "media" in refused.stderr and "old.xlsx" in refused.stderr
    assert not (data / "changji.sqlite3").exists()
    (data / "media" / "reports" / "old.xlsx").unlink()
    done = _changji(env, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert (data / "media" / "snapshots" / "a.jpg").read_bytes() == b"\xff\xd8picture"
    with sqlite3.connect(data / "changji.sqlite3") as conn:
        assert conn.execute("SELECT text FROM water_note ORDER BY id").fetchall() == [("一",), ("二",)]
    conn.close()
    again = _changji(env, "restore", str(backup))
    assert again.returncode != 0 and "water_note" in again.stderr and "2" in again.stderr


@pytest.mark.django_db
def test_restore_refuses_a_database_with_rows_naming_a_table(tmp_path, settings, monkeypatch):
    """The suite's test database holds the migrations' rows; on SQLite a migrated file stands in for it."""
    from changji.core.backups.service import database_vendor, restore_backup

    vendor = database_vendor()
    backup = tmp_path / "backup"
    _tiny_backup(backup, vendor=vendor)
    settings.MEDIA_ROOT = tmp_path / "media"
    if vendor == "sqlite":  # the test database is in memory: point at a file with rows
        with sqlite3.connect(tmp_path / "full.sqlite3") as conn:
            conn.execute("CREATE TABLE core_region (code TEXT)")
            conn.execute("INSERT INTO core_region VALUES ('652300')")
        conn.close()
        monkeypatch.setitem(settings.DATABASES["default"], "NAME", str(tmp_path / "full.sqlite3"))
    with pytest.raises(BackupError, match=r"不是空的：表 \w+ 有 \d+ 行"):
        restore_backup(backup)


@pytest.mark.django_db
def test_restore_refuses_a_backup_of_a_newer_release_before_touching_anything(tmp_path, settings):
    from changji.core.backups.manifest import serialise
    from changji.core.backups.service import database_vendor, restore_backup

    backup = tmp_path / "backup"
    manifest = _tiny_backup(backup, vendor=database_vendor())
    manifest.migrations = {**manifest.migrations, "core": "0999_from_a_later_release"}
    (backup / "manifest.json").write_text(serialise(manifest), encoding="utf-8")
    settings.MEDIA_ROOT = tmp_path / "media"
    with pytest.raises(BackupError, match="更新的版本.*core.0999_from_a_later_release"):
        restore_backup(backup)
    assert not (tmp_path / "media").exists()


def test_retention_keeps_n_newest_backups_and_ignores_other_folders():
    names = ["changji-20261201T031500Z", "changji-20261203T031500Z", "changji-20261202T031500Z", "photos",
             ".changji-20261204T031500Z.partial", "changji-20261130T031500Z.old", "changji-20261204T031500Z"]
    assert retention.expired(names, 2, "changji-20261204T031500Z") == [
        "changji-20261201T031500Z", "changji-20261202T031500Z"]
    assert retention.expired(names, 10, "changji-20261204T031500Z") == []
    assert retention.expired(["changji-20261204T031500Z"], 1, "changji-20261204T031500Z") == []
    with pytest.raises(ValueError):
        retention.expired(names, 0, "changji-20261204T031500Z")
    assert retention.folder_name(datetime(2026, 12, 6, 11, 15, tzinfo=UTC) + timedelta(hours=0)) == \
        "changji-20261206T111500Z"
    assert not retention.is_backup_name(retention.partial_name("changji-20261206T111500Z"))


def test_postgresql_tools_get_the_password_in_their_environment_only():
    database = {"NAME": "changji", "USER": "changji", "PASSWORD": "pw-Secret-42", "HOST": "db", "PORT": 5432}
    env = postgresql.child_environment(database, {"PATH": "/usr/bin", "PGPASSWORD": "other", "PGSERVICE": "x"})
    assert env == {"PATH": "/usr/bin", "PGHOST": "db", "PGPORT": "5432", "PGUSER": "changji",
                   "PGDATABASE": "changji", "PGPASSWORD": "pw-Secret-42"}
    argv = postgresql.dump_command("/usr/bin/pg_dump", "00000003-1", Path("/b/database.pgdump")) + \
        postgresql.restore_command("/usr/bin/pg_restore", "changji", Path("/b/database.pgdump"))
    assert not any("pw-Secret-42" in arg or "postgres" in arg for arg in argv)


@pytest.mark.django_db
@pytest.mark.skipif(not SUITE_ON_POSTGRESQL, reason="dumps the suite's PostgreSQL test database")
def test_pg_dump_of_the_snapshot_logs_no_password(tmp_path, caplog, settings):
    database = {**settings.DATABASES["default"], "PASSWORD": "pw-Secret-42"}  # trust authentication ignores it
    with caplog.at_level(logging.DEBUG, logger="changji.backups"):
        result = postgresql.dump_database(database, tmp_path / "database.pgdump")
    assert (tmp_path / "database.pgdump").stat().st_size > 0
    assert result.row_counts["auth_permission"] > 0 and result.migrations["water"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "--snapshot=" in logged and "pw-Secret-42" not in logged
