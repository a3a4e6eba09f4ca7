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
