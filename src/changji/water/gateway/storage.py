"""The gateway's database work, run synchronously on the sink's database thread.

Group commit lives here: ``commit_frames`` archives a batch of frames and upserts their readings
in one transaction. Readings are keyed by (terminal, observation time); a value that a later frame
leaves empty keeps what an earlier frame of the same report said (SZY206 sends flow and energy as
separate parameter classes with one time label), so frames merge in any order and retransmissions
change nothing.

One frame must never fail the batch of other terminals. Every text and JSON value is made
storable first (``storable``); if a batch still fails while the database answers, it is stored
again frame by frame, each in a savepoint, and a frame that cannot be stored is archived as
rejected with the reason (its terminal is not acknowledged; the others are).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from changji.core import audit
from changji.core.models import Region
from changji.core.regions import root_region
from changji.water.gateway.records import InboundFrame, PendingCommand, SnapshotRecord, StoreResult, TerminalInfo
from changji.water.gateway.storable import storable_json, storable_json_text, storable_number, storable_text
from changji.water.models import (
    Alarm,
    Command,
    CommandState,
    Frame,
    FrameOutcome,
    PictureTrigger,
    ProtocolProfile,
    QuarantinedTerminal,
    Snapshot,
    Terminal,
)
from changji.water.profiles.options import ProfileOptionsError, parse_options
from changji.water.protocols.reading import CANONICAL_FIELDS
from changji.water.registry.service import region_for_address

log = logging.getLogger("changji.gateway.sink")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_READING_COLUMNS = (
    "terminal_id", "observed_at", "received_at", *CANONICAL_FIELDS, "future_dated", "native", "frame_id",
)


_TERMINAL_COLUMNS = ("id", "protocol", "address", "password", "report_interval_s", "profile_override_id",
                     "batch__profile_id")


def load_terminals() -> dict[tuple[str, str], TerminalInfo]:
    """Return every registered terminal keyed by (protocol, address), with its profile's options."""
    profiles = load_profiles()
    rows = Terminal.objects.values_list(*_TERMINAL_COLUMNS)
    return {(row[1], row[2]): _info(row, profiles) for row in rows.iterator(chunk_size=5000)}


def find_terminal(protocol: str, address: str) -> TerminalInfo | None:
    """Return one registered terminal, or None."""
    row = Terminal.objects.filter(protocol=protocol, address=address).values_list(*_TERMINAL_COLUMNS).first()
    return _info(row, load_profiles()) if row else None


def _info(row: tuple[Any, ...], profiles: dict[int, tuple[str, str, Any]]) -> TerminalInfo:
    """A terminal's record with its effective profile: the override, else its batch's, else the default."""
    tid, protocol, address, password, interval, override, batch_profile = row
    profile = profiles.get(override or batch_profile or 0)
    if profile is None or profile[0] != protocol:
        return TerminalInfo(tid, protocol, address, password, interval)
    return TerminalInfo(tid, protocol, address, password, interval, options=profile[2], profile=profile[1])


def load_profiles() -> dict[int, tuple[str, str, Any]]:
    """Return every protocol profile as (protocol, "name vN", codec options); an invalid one is skipped, logged."""
    profiles = {}
    for pid, protocol, name, version, stored in ProtocolProfile.objects.values_list(
        "id", "protocol", "name", "version", "options"
    ):
        try:
            profiles[pid] = (protocol, f"{name} v{version}", parse_options(protocol, stored))
        except ProfileOptionsError as exc:
            log.error("protocol profile %s is not valid, its terminals get the defaults: %s", name, exc)
    return profiles


def profile_stamp() -> tuple[Any, ...]:
    """Return a cheap stamp that changes when any profile, batch or terminal's profile assignment changes.

    Profiles and batches carry ``updated_at``; a terminal's assignment is summed as id × batch and
    id × override, so moving terminals between batches changes the sum (two terminals swapping batches too).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT MAX(updated_at) FROM water_protocolprofile), (SELECT COUNT(*) FROM water_protocolprofile),"
            " (SELECT MAX(updated_at) FROM water_devicebatch), (SELECT COUNT(*) FROM water_devicebatch),"
            " COUNT(*), SUM(id * COALESCE(batch_id, 0)), SUM(id * COALESCE(profile_override_id, 0))"
            " FROM water_terminal"
        )
        return tuple(cursor.fetchone())


def register_terminal(protocol: str, address: str, peer: str) -> TerminalInfo:
    """Register a terminal on first contact (``--auto-register``); the region comes from its address.

    SZY206 address mode 1 and SL651 "other" stations start with the 6-digit GB 2260 code of their
    county; when that names a known region within the instance it is used, else the instance's root region.
    """
    top = root_region()
    region = Region.objects.within(top).filter(code=address[:6]).first() or top
    with transaction.atomic():
        address, peer = storable_text(address, 10), storable_text(peer, 64)
        terminal, created = Terminal.objects.get_or_create(
            protocol=protocol, address=address,
            defaults={"region": region, "last_peer": peer, "batch": None},
        )
        QuarantinedTerminal.objects.filter(protocol=protocol, address=address).delete()
        if created:
            audit.record("water.terminal.auto_register", actor="gateway", target=terminal, peer=peer)
    return find_terminal(protocol, address) or TerminalInfo(
        terminal.id, protocol, address, terminal.password, terminal.report_interval_s
    )


def commit_frames(items: list[InboundFrame]) -> list[StoreResult | None]:
    """Archive ``items`` and store their readings in one transaction; return one result per item.

    The rows are built before the transaction, so the database's write lock is held only while they
    are written and committed (``_write_lock``). When the batch fails while the database still answers,
    the items are stored one by one (``_commit_one_by_one``): a result then says ``rejected`` for a frame
    archived as not storable, or is None for one that could not even be archived. When the database does
    not answer, the exception propagates and nothing is acknowledged.
    """
    try:
        sqlite = connection.vendor == "sqlite"
        rows = _BatchRows(items, sqlite)
        with _write_lock(sqlite), transaction.atomic(), connection.cursor() as cursor:
            frame_ids = _reserve_frame_ids(cursor, len(items))
            rows.write(cursor, frame_ids)
            _touch_terminals(cursor, items, sqlite)
    except Exception as exc:
        if not _database_answers():
            raise
        log.warning("a batch of %d frame(s) failed (%s: %s); storing them one by one",
                    len(items), type(exc).__name__, exc)
        return _commit_one_by_one(items)
    return [_result(item, fid) for item, fid in zip(items, frame_ids, strict=True)]


_lock_files: dict[str, Any] = {}


@contextlib.contextmanager
def _write_lock(sqlite: bool) -> Iterator[None]:
    """On SQLite, hold an exclusive lock beside the database file while writing a batch.

    Several gateway processes (``--workers``) write one SQLite file. Without this lock the process that
    finds the database locked sleeps in SQLite's busy handler (1, 2, 5 … 100 ms steps) and the one that
    just committed takes the lock again first, so one process writes and the others wait: the gateway
    used one of the two cores. ``flock`` wakes the waiting process the moment the lock is released, so
    the processes take turns. Other writers (the web, the jobs) still meet SQLite's own lock and busy
    timeout, as before. On PostgreSQL, gateways write concurrently: no lock (nor for an in-memory database,
    which no other process sees).
    """
    name = str(connection.settings_dict["NAME"])
    if not sqlite or name == ":memory:" or "mode=memory" in name:
        yield
        return
    path = f"{name}-gateway.lock"
    lock = _lock_files.get(path)
    if lock is None:
        lock = _lock_files[path] = open(path, "ab")  # noqa: SIM115 (kept open for the process's life)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)


def _result(item: InboundFrame, frame_id: int) -> StoreResult:
    return StoreResult(frame_id, item.reading is not None and item.outcome == FrameOutcome.STORED)


def _insert(cursor: Any, items: list[InboundFrame], frame_ids: list[int]) -> None:
    """Archive the frames, upsert their (merged) readings and the quarantine list."""
    _BatchRows(items, connection.vendor == "sqlite").write(cursor, frame_ids)


class _BatchRows:
    """A batch's frame rows and merged reading rows, built before its transaction; ids are filled in then.

    Each frame's times are converted once (``_db_time``) and shared by its frame row and its reading.
    """

    __slots__ = ("frames", "items", "readings", "sqlite")

    def __init__(self, items: list[InboundFrame], sqlite: bool) -> None:
        self.items, self.sqlite = items, sqlite
        self.frames: list[tuple[Any, ...]] = []
        self.readings: dict[tuple[int, datetime], list[Any]] = {}
        for index, item in enumerate(items):
            received = _db_time(item.received_at, sqlite)
            observed = _db_time(item.observed_at, sqlite)
            self.frames.append((
                received, storable_text(item.peer, 64), storable_text(item.protocol, 8),
                storable_text(item.address, 10), item.terminal_id, storable_text(item.function, 4),
                observed, bytes(item.raw), storable_text(item.outcome, 16), storable_text(item.error, 255),
            ))
            if item.reading is not None and item.outcome == FrameOutcome.STORED and item.terminal_id is not None:
                self._merge(item, index, received, observed)

    def _merge(self, item: InboundFrame, index: int, received: Any, observed: Any) -> None:
        """Merge a reading into its (terminal, observed_at) row: later non-empty values win."""
        reading = item.reading
        assert reading is not None and item.terminal_id is not None
        key = (item.terminal_id, item.observed_at or item.received_at)
        row = self.readings.get(key)
        if row is None:  # the columns of _READING_COLUMNS; native is a dict until written
            row = self.readings[key] = [
                item.terminal_id, observed if item.observed_at is not None else received, received,
                *_NO_VALUES, False, {}, index,
            ]
        for position, name in _CANONICAL_POSITIONS:
            value = getattr(reading, name)
            if value is not None and (type(value) is not float or not math.isfinite(value)):
                value = storable_number(value)
            if value is not None:
                row[position] = value
        row[-3] = row[-3] or item.future_dated
        if reading.native:
            row[-2].update(reading.native)
        row[-1] = index

    def write(self, cursor: Any, frame_ids: list[int]) -> None:
        """Insert the frames under ``frame_ids``, upsert the readings and the quarantine list.

        SQLite runs each statement once per row (``executemany`` on one prepared statement). On PostgreSQL
        that would be one parsed statement per row (Django binds parameters on the client), so the frames
        go in by ``COPY``, and the readings by ``COPY`` into a temporary table that one statement empties
        into ``water_reading`` with the same merge rule.
        """
        frames = [(fid, *row) for fid, row in zip(frame_ids, self.frames, strict=True)]
        readings = [
            [*row[:-2], storable_json_text(row[-2]) if row[-2] else "{}", frame_ids[row[-1]]]
            for row in self.readings.values()
        ]
        if self.sqlite:
            cursor.executemany(_FRAME_INSERT, frames)
            if readings:
                cursor.executemany(_upsert_sql(), readings)
        else:
            with cursor.cursor.copy(_FRAME_COPY) as copy:
                for frame in frames:
                    copy.write_row(frame)
            if readings:
                cursor.execute(_READING_STAGE)
                with cursor.cursor.copy(_READING_COPY) as copy:
                    for reading in readings:
                        copy.write_row(reading)
                cursor.execute(_upsert_staged_sql())
        _upsert_quarantine(self.items)


_NO_VALUES = (None,) * len(CANONICAL_FIELDS)
_CANONICAL_POSITIONS = tuple(enumerate(CANONICAL_FIELDS, start=3))


def _database_answers() -> bool:
    """Return whether the database still answers a query (a refused row, not a lost database)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() is not None
    except Exception:
        return False


def _commit_one_by_one(items: list[InboundFrame]) -> list[StoreResult | None]:
    """Store each item in its own savepoint of one transaction; reject those the database refuses.

    Foreign keys are checked per statement (PostgreSQL) and terminals are looked up first (SQLite
    checks them only at commit), so a frame of a terminal deleted since it was cached fails alone.
    """
    sqlite = connection.vendor == "sqlite"
    results: list[StoreResult | None] = []
    with _write_lock(sqlite), transaction.atomic(), connection.cursor() as cursor:
        if not sqlite:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        frame_ids = _reserve_frame_ids(cursor, len(items))
        ids = {item.terminal_id for item in items if item.terminal_id is not None}
        known = set(Terminal.objects.filter(id__in=ids).values_list("id", flat=True))
        for item, frame_id in zip(items, frame_ids, strict=True):
            results.append(_store_alone(cursor, item, frame_id, known))
        stored = [item for item, result in zip(items, results, strict=True) if result and not result.rejected]
        _touch_terminals(cursor, stored, sqlite)
    return results


def _store_alone(cursor: Any, item: InboundFrame, frame_id: int, known: set[int]) -> StoreResult | None:
    try:
        if item.terminal_id is not None and item.terminal_id not in known:
            raise LookupError(f"terminal {item.terminal_id} is not registered any more")
        with transaction.atomic():
            _insert(cursor, [item], [frame_id])
        return _result(item, frame_id)
    except Exception as exc:
        reason = f"not storable: {type(exc).__name__}: {exc}"
        log.error("frame from %s (%s %s) %s", item.peer, item.protocol, item.address, reason)
    rejected = replace(item, outcome=FrameOutcome.REJECTED, error=reason, reading=None, observed_at=None,
                       terminal_id=item.terminal_id if item.terminal_id in known else None)
    try:
        with transaction.atomic():
            _insert(cursor, [rejected], [frame_id])
    except Exception:
        log.exception("frame from %s could not be archived either", item.peer)
        return None
    return StoreResult(frame_id, False, rejected=reason)


_FRAME_INSERT = (
    "INSERT INTO water_frame (id, received_at, peer, protocol, address, terminal_id, function, observed_at, raw,"
    " outcome, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


_FRAME_COPY = (
    "COPY water_frame (id, received_at, peer, protocol, address, terminal_id, function, observed_at, raw, outcome,"
    " error) FROM STDIN"
)


def _reserve_frame_ids(cursor: Any, count: int) -> list[int]:
    """Reserve ``count`` frame ids so readings can point at frames inserted in the same batch.

    PostgreSQL hands them out from the column's sequence (safe with several gateways); SQLite
    transactions here begin IMMEDIATE, so the writer is alone and MAX(id) + n is safe.
    """
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('water_frame', 'id')) FROM generate_series(1, %s)", [count]
        )
        return [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM water_frame")
    first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


def _db_time(moment: datetime | None, sqlite: bool) -> Any:
    """Return ``moment`` as the driver takes it.

    On SQLite that is naive UTC text exactly as Django writes it (``str()`` of the naive value,
    microseconds only when non-zero), so ORM lookups by time and the unique key match these rows.
    """
    if moment is None or not sqlite:
        return moment
    if moment.tzinfo is UTC:  # the usual case: str() of an aware UTC time ends in "+00:00"
        return str(moment)[:-6]
    moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ")


def _upsert_sql() -> str:
    columns = ", ".join(_READING_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_READING_COLUMNS))
    return f"INSERT INTO water_reading ({columns}) VALUES ({placeholders}) {_upsert_conflict()}"


_READING_STAGE = (
    f"CREATE TEMP TABLE IF NOT EXISTS gateway_reading_batch ON COMMIT DELETE ROWS AS"
    f" SELECT {', '.join(_READING_COLUMNS)} FROM water_reading WITH NO DATA"
)
_READING_COPY = f"COPY gateway_reading_batch ({', '.join(_READING_COLUMNS)}) FROM STDIN"


def _upsert_staged_sql() -> str:
    """PostgreSQL: move the staged readings into ``water_reading`` in one statement (the stage is left empty)."""
    columns = ", ".join(_READING_COLUMNS)
    return (
        f"WITH batch AS (DELETE FROM gateway_reading_batch RETURNING {columns})"
        f" INSERT INTO water_reading ({columns}) SELECT {columns} FROM batch {_upsert_conflict()}"
    )


def _upsert_conflict() -> str:
    """The readings' merge rule: a value the new row leaves empty keeps the stored one."""
    table = "water_reading"
    updates = [f"{name} = COALESCE(excluded.{name}, {table}.{name})" for name in CANONICAL_FIELDS]
    updates.append(
        f"future_dated = CASE WHEN excluded.future_dated THEN excluded.future_dated ELSE {table}.future_dated END"
    )
    if connection.vendor == "postgresql":
        updates.append(f"native = {table}.native || excluded.native")
    else:
        updates.append(f"native = json_patch({table}.native, excluded.native)")
    updates.append("frame_id = excluded.frame_id")
    return f"ON CONFLICT (terminal_id, observed_at) DO UPDATE SET {', '.join(updates)}"


def _upsert_readings(cursor: Any, rows: Iterable[dict[str, Any]], sqlite: bool) -> None:
    params = []
    for row in rows:
        values = [row[name] for name in _READING_COLUMNS]
        values[1] = _db_time(row["observed_at"], sqlite)
        values[2] = _db_time(row["received_at"], sqlite)
        values[-2] = storable_json_text(row["native"])
        params.append(values)
    cursor.executemany(_upsert_sql(), params)


#: last_seen_at is written at most this often per terminal; offline detection reads readings.
TOUCH_EVERY = timedelta(seconds=60)
_touched: dict[int, datetime] = {}


def _touch_terminals(cursor: Any, items: list[InboundFrame], sqlite: bool) -> None:
    seen: dict[int, tuple[datetime, str]] = {}
    for item in items:
        tid = item.terminal_id
        if tid is not None and item.received_at - _touched.get(tid, _EPOCH) >= TOUCH_EVERY:
            seen[tid] = (item.received_at, storable_text(item.peer, 64))
    if not seen:
        return
    if sqlite:
        cursor.executemany(
            "UPDATE water_terminal SET last_seen_at = %s, last_peer = %s WHERE id = %s",
            [(_db_time(at, sqlite), peer, tid) for tid, (at, peer) in seen.items()],
        )
    else:
        cursor.execute(
            "UPDATE water_terminal AS t SET last_seen_at = v.at, last_peer = v.peer"
            " FROM unnest(%s::timestamptz[], %s::text[], %s::bigint[]) AS v(at, peer, id) WHERE t.id = v.id",
            [[at for at, _ in seen.values()], [peer for _, peer in seen.values()], list(seen)],
        )
    transaction.on_commit(lambda: _touched.update({tid: at for tid, (at, _) in seen.items()}))


def _upsert_quarantine(items: list[InboundFrame]) -> None:
    for item in items:
        if item.outcome != FrameOutcome.QUARANTINED or not item.address:
            continue
        protocol, address = storable_text(item.protocol, 8), storable_text(item.address, 10)
        peer = storable_text(item.peer, 64)
        updated = QuarantinedTerminal.objects.filter(protocol=protocol, address=address).update(
            last_seen_at=item.received_at, last_peer=peer, frame_count=F("frame_count") + 1
        )
        if not updated:
            QuarantinedTerminal.objects.create(
                protocol=protocol, address=address, first_seen_at=item.received_at,
                last_seen_at=item.received_at, last_peer=peer, frame_count=1,
                region=region_for_address(address),
            )


def mark_abandoned(frame_ids: list[int], reason: str) -> None:
    """Record on archived packets that their multi-packet message was abandoned, and why."""
    Frame.objects.filter(id__in=frame_ids).update(outcome=FrameOutcome.REJECTED, error=storable_text(reason, 255))


def store_snapshot(record: SnapshotRecord) -> None:
    """Write the JPEG to media storage (fsynced) and record it; a repeated picture is stored once.

    A picture that answers a picture query (``record.command_id``) takes the command's trigger (scheduled,
    alarm, manual) and, for an alarm's picture, the alarm of the same terminal it was taken for
    (``Command.params["alarm_id"]``); a picture the terminal sent of itself is ``terminal``.
    """
    digest = hashlib.sha256(record.jpeg).hexdigest()
    if Snapshot.objects.filter(terminal_id=record.terminal_id, observed_at=record.observed_at, sha256=digest).exists():
        return
    local = timezone.localtime(record.observed_at)
    relative = f"snapshots/{local:%Y/%m}/{record.terminal_id}-{local:%Y%m%d%H%M%S}-{digest[:8]}.jpg"
    path = os.path.join(settings.MEDIA_ROOT, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(record.jpeg)
        handle.flush()
        os.fsync(handle.fileno())
    Snapshot.objects.create(
        terminal_id=record.terminal_id, observed_at=record.observed_at, received_at=record.received_at,
        image=relative, size_bytes=len(record.jpeg), sha256=digest, **_picture_origin(record),
    )


def _picture_origin(record: SnapshotRecord) -> dict[str, Any]:
    """The trigger, command and alarm of a picture, from the picture query it answers (if any)."""
    command = Command.objects.filter(pk=record.command_id, terminal_id=record.terminal_id).first() \
        if record.command_id else None
    if command is None:
        return {"trigger": PictureTrigger.TERMINAL}
    params = command.params if isinstance(command.params, dict) else {}
    trigger = params.get("trigger")
    origin: dict[str, Any] = {
        "command": command, "trigger": trigger if trigger in PictureTrigger.values else PictureTrigger.MANUAL,
    }
    alarm_id = params.get("alarm_id")
    if alarm_id:
        with contextlib.suppress(ValueError, ValidationError):
            origin["alarm"] = Alarm.objects.filter(pk=alarm_id, terminal_id=record.terminal_id).first()
    return origin


def load_open_commands() -> dict[int, list[PendingCommand]]:
    """Expire overdue commands, then return the open ones per terminal, oldest first."""
    now = timezone.now()
    for command in Command.objects.filter(
        state__in=[CommandState.QUEUED, CommandState.SENT], expires_at__lt=now
    ).select_related("terminal__region"):
        finish_command(str(command.pk), CommandState.EXPIRED, now, command.answer or {}, "expired before an answer")
    open_commands: dict[int, list[PendingCommand]] = {}
    for command in Command.objects.filter(state__in=[CommandState.QUEUED, CommandState.SENT]).order_by("created_at"):
        open_commands.setdefault(command.terminal_id, []).append(
            PendingCommand(
                id=str(command.pk), terminal_id=command.terminal_id, kind=command.kind, params=command.params,
                attempts=command.attempts, max_attempts=command.max_attempts,
                last_sent_at=command.last_sent_at, expires_at=command.expires_at,
            )
        )
    return open_commands


def mark_command_sent(command_id: str, at: datetime, frame: bytes) -> None:
    """Count one more delivery attempt and audit it with the frame sent."""
    with transaction.atomic():
        Command.objects.filter(pk=command_id).update(
            state=CommandState.SENT, attempts=F("attempts") + 1, last_sent_at=at
        )
        command = Command.objects.select_related("terminal__region").get(pk=command_id)
        audit.record(
            "water.command.sent", actor="gateway", target=command, region=command.terminal.region,
            attempt=command.attempts, frame=frame.hex().upper(),
        )


def finish_command(command_id: str, state: str, at: datetime, answer: dict[str, Any], error: str = "") -> None:
    """End a command (confirmed, failed or expired) and audit the terminal's answer."""
    answer, error = storable_json(answer), storable_text(error)
    with transaction.atomic():
        Command.objects.filter(pk=command_id).update(state=state, finished_at=at, answer=answer, error=error[:255])
        command = Command.objects.select_related("terminal__region").get(pk=command_id)
        audit.record(
            f"water.command.{state}", actor="gateway", target=command, region=command.terminal.region,
            answer=answer, error=error,
        )


def sent_copy(command: PendingCommand, at: datetime) -> PendingCommand:
    """Return the cached command as it is after one more delivery."""
    return replace(command, attempts=command.attempts + 1, last_sent_at=at)


def upsert_readings(rows: Iterable[dict[str, Any]]) -> None:
    """Upsert reading rows (dicts of ``_READING_COLUMNS``): a re-decode writes through the gateway's SQL."""
    with connection.cursor() as cursor:
        _upsert_readings(cursor, rows, connection.vendor == "sqlite")


def update_frame_outcomes(changes: Iterable[tuple[int, str, str, datetime | None]]) -> None:
    """Set (outcome, error, observed_at) of archived frames by id in one statement (a re-decode's verdicts)."""
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE water_frame SET outcome = %s, error = %s, observed_at = %s WHERE id = %s",
            [(outcome, storable_text(error, 255), _db_time(observed, sqlite), fid)
             for fid, outcome, error, observed in changes],
        )
