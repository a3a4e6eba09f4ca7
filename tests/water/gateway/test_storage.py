"""Group commit into the database: frames archived, readings upserted and merged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from changji.water.gateway import storage
from changji.water.gateway.records import InboundFrame
from changji.water.models import Frame, QuarantinedTerminal, Reading, Terminal
from changji.water.protocols.reading import Reading as CanonicalReading

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def inbound(terminal, observed_at, raw=b"\x68", **values) -> InboundFrame:
    reading = CanonicalReading("szy206", terminal.address, observed_at, **values)
    return InboundFrame(
        received_at=observed_at + timedelta(seconds=20), peer="127.0.0.1:5000", protocol="szy206", raw=raw,
        outcome="stored", address=terminal.address, function="C0", terminal_id=terminal.id,
        observed_at=observed_at, reading=reading,
    )


def test_frames_of_one_report_merge_into_one_reading(make_terminal):
    terminal = make_terminal()
    results = storage.commit_frames([
        inbound(terminal, T0, b"flow", flow_m3h=42.5, volume_m3=1000.0, pump_on=True),
        inbound(terminal, T0, b"energy", energy_kwh=512.25, pump_on=True),
    ])
    assert [r.stored_reading for r in results] == [True, True]
    reading = Reading.objects.get()
    assert (reading.flow_m3h, reading.volume_m3, reading.energy_kwh, reading.pump_on) == (42.5, 1000.0, 512.25, True)
    assert reading.frame_id == results[1].frame_id
    assert Frame.objects.count() == 2


def test_merge_across_batches_keeps_earlier_values(make_terminal):
    terminal = make_terminal()
    storage.commit_frames([inbound(terminal, T0, flow_m3h=40.0, volume_m3=10.0)])
    storage.commit_frames([inbound(terminal, T0, energy_kwh=7.5)])
    reading = Reading.objects.get()
    assert (reading.flow_m3h, reading.volume_m3, reading.energy_kwh) == (40.0, 10.0, 7.5)


def test_retransmissions_and_reordered_backfill_are_stored_once(make_terminal):
    terminal = make_terminal()
    times = [T0 + timedelta(minutes=5 * i) for i in (3, 1, 2, 1, 0, 3)]
    storage.commit_frames([inbound(terminal, t, volume_m3=float(t.minute)) for t in times[:3]])
    storage.commit_frames([inbound(terminal, t, volume_m3=float(t.minute)) for t in times[3:]])
    observed = list(Reading.objects.order_by("observed_at").values_list("observed_at", "volume_m3"))
    assert observed == [(T0 + timedelta(minutes=5 * i), float(5 * i)) for i in range(4)]
    assert Frame.objects.count() == 6  # every received frame is evidence


def test_native_values_merge(make_terminal):
    terminal = make_terminal()
    first = inbound(terminal, T0, flow_m3h=1.0)
    first.reading.native["flow"] = [1.0]
    second = inbound(terminal, T0, energy_kwh=2.0)
    second.reading.native["energy_kwh"] = [2.0]
    storage.commit_frames([first])
    storage.commit_frames([second])
    assert Reading.objects.get().native == {"flow": [1.0], "energy_kwh": [2.0]}


def test_terminal_last_seen_is_updated(make_terminal):
    terminal = make_terminal()
    storage.commit_frames([inbound(terminal, T0, flow_m3h=1.0)])
    terminal.refresh_from_db()
    assert terminal.last_seen_at == T0 + timedelta(seconds=20)
    assert terminal.last_peer == "127.0.0.1:5000"


def test_quarantined_frames_count_per_unknown_terminal():
    item = InboundFrame(T0, "10.0.0.9:4000", "szy206", b"\x68", "quarantined", address="6523239999", function="C0")
    storage.commit_frames([item, item])
    storage.commit_frames([item])
    row = QuarantinedTerminal.objects.get()
    assert row.frame_count == 3 and row.address == "6523239999"
    assert Frame.objects.filter(outcome="quarantined", terminal=None).count() == 3


def test_register_terminal_takes_the_county_from_the_address_and_clears_quarantine():
    item = InboundFrame(T0, "p", "szy206", b"\x68", "quarantined", address="6523250042", function="C0")
    storage.commit_frames([item])
    info = storage.register_terminal("szy206", "6523250042", "p")
    terminal = Terminal.objects.get(pk=info.id)
    assert terminal.region_id == "652325"
    assert not QuarantinedTerminal.objects.exists()


def test_register_terminal_with_a_foreign_address_falls_back_to_the_prefecture():
    info = storage.register_terminal("szy206", "1237899876", "p")
    assert Terminal.objects.get(pk=info.id).region_id == "652300"


def test_times_written_by_the_gateway_match_orm_lookups(make_terminal):
    """The raw SQL path writes times as the ORM does, so equality lookups and the unique key agree."""
    terminal = make_terminal()
    storage.commit_frames([inbound(terminal, T0, volume_m3=1.0)])
    assert Reading.objects.filter(terminal=terminal, observed_at=T0).count() == 1
    Reading.objects.filter(terminal=terminal).update(volume_m3=2.0)
    storage.commit_frames([inbound(terminal, T0.astimezone(timezone(timedelta(hours=8))), energy_kwh=3.0)])
    reading = Reading.objects.get()
    assert (reading.volume_m3, reading.energy_kwh) == (2.0, 3.0)


def test_text_and_values_the_database_cannot_hold_are_stored_cleaned(make_terminal):
    """NUL, lone surrogates, NaN and oversized numbers come out readable on SQLite and PostgreSQL."""
    terminal = make_terminal()
    hostile = inbound(terminal, T0, flow_m3h=float("nan"), volume_m3=10**400, energy_kwh=float("inf"), depth_m=3)
    hostile.reading.native.update({"manual": "a\x00b", "key\x00": 1, "nan": float("nan"), "lone": "\udcff",
                                   "big": 10**30, "nested": [{"x\x00": ("y\x00",)}]})
    hostile.error, hostile.function, hostile.peer = "bad\x00text" * 40, "C\x00", "p\x00eer"
    canary = inbound(make_terminal("6523230002"), T0, volume_m3=5.0)
    results = storage.commit_frames([hostile, canary])
    assert [r.stored_reading for r in results] == [True, True] and not any(r.rejected for r in results)
    row = Reading.objects.get(terminal=terminal)
    assert (row.flow_m3h, row.volume_m3, row.energy_kwh, row.depth_m) == (None, None, None, 3.0)
    big = row.native.pop("big")  # beyond 64 bits: stored as a float (PostgreSQL reads it back as numeric)
    assert big == pytest.approx(1e30)
    assert row.native == {"manual": "a\ufffdb", "key\ufffd": 1, "nan": None, "lone": "\ufffd",
                          "nested": [{"x\ufffd": ["y\ufffd"]}]}
    frame = Frame.objects.get(pk=results[0].frame_id)
    assert frame.error == ("bad\ufffdtext" * 40)[:255] and frame.function == "C\ufffd"
    assert frame.peer == "p\ufffdeer" and bytes(frame.raw) == b"\x68"
    assert Reading.objects.get(terminal__address="6523230002").volume_m3 == 5.0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_frame_the_database_refuses_fails_alone_and_is_archived_as_rejected(make_terminal):
    """The batch is stored again frame by frame: the others commit, the refused one is evidence."""
    gone = make_terminal("6523230009")
    orphan = inbound(gone, T0, volume_m3=9.0)
    gone.delete()  # deleted after the gateway cached it: the frame's foreign key now fails
    canaries = [inbound(make_terminal(f"652323000{n}"), T0, volume_m3=float(n)) for n in (1, 2)]
    results = storage.commit_frames([canaries[0], orphan, canaries[1]])
    assert [bool(r.rejected) for r in results] == [False, True, False]
    assert [r.stored_reading for r in results] == [True, False, True]
    assert sorted(Reading.objects.values_list("volume_m3", flat=True)) == [1.0, 2.0]
    rejected = Frame.objects.get(pk=results[1].frame_id)
    assert rejected.outcome == "rejected" and rejected.terminal_id is None
    assert rejected.error.startswith("not storable: LookupError: terminal") and rejected.address == "6523230009"
    assert results[1].rejected == rejected.error


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_frame_that_cannot_even_be_archived_has_no_result_and_the_rest_commit(make_terminal):
    canary = inbound(make_terminal(), T0, volume_m3=1.0)
    broken = inbound(make_terminal("6523230002"), T0, volume_m3=2.0)
    broken.received_at = None  # NOT NULL: refused as a frame and as a rejected frame
    results = storage.commit_frames([broken, canary])
    assert results[0] is None and results[1].stored_reading
    assert list(Reading.objects.values_list("volume_m3", flat=True)) == [1.0]
    assert Frame.objects.count() == 1
