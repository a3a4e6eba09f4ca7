"""A full snapshot for a new upstream, the reports as issued, and raw readings on request."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from changji.core.models import Region
from changji.water.models import Frame, Reading, Report, Terminal, WaterUser, Well
from changji.water.reports import generate_report
from changji.water.sharing import capture
from changji.water.sharing.readings import queue_readings
from changji.water.sharing.snapshot import queue_snapshot
from changji.water.sharing.streams import get

from .conftest import PEER

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def test_a_snapshot_carries_rows_written_in_bulk_and_applies_cleanly(county_registry, sent):
    sent("registry")
    with capture.quiet():  # as the demo fleet is seeded: in bulk, no change recorded
        Well.objects.bulk_create([Well(code="652323-00002", name="2号井", region_id="652323100201", latitude=44.2,
                                       longitude=86.9)])
    assert queue_snapshot(date(2026, 6, 1), ["registry"])["registry"] == 7
    rows = sent("registry")
    assert "well:652323-00002" in {r.key for r in rows}


def test_the_share_snapshot_command_fills_the_outbox(county_registry, sent):
    sent("registry")
    call_command("water", "share-snapshot", "--stream", "registry")
    assert len(sent("registry")) == 6  # user, well, terminal, meter, licence, plan


def test_a_report_travels_with_its_file_and_is_stored_once(county_registry, sent):
    report = generate_report("month", date(2026, 6, 1), Region.objects.get(code="652323"), "csv", by="cli")
    with report.file.open("rb") as handle:
        content = handle.read()
    [row] = sent("reports")
    assert row.key == "652323|month|2026-06-01|csv"
    assert base64.b64decode(row.payload["content_b64"]) == content
    assert row.payload["sha256"] == hashlib.sha256(content).hexdigest()
    for _ in range(2):
        assert get("reports").apply([row], PEER).refused == []
    received = Report.objects.get(generated_by__startswith="下级上报")
    with received.file.open("rb") as handle:
        assert handle.read() == content
    assert Report.objects.count() == 2
    broken = type(row)(row.key, row.region_code, {**row.payload, "sha256": "0" * 64})
    assert "校验值不符" in get("reports").apply([broken], PEER).refused[0][1]


def test_readings_are_queued_on_request_and_stored_once_with_their_frame(county_registry, sent):
    frame = Frame.objects.create(received_at=T0, peer="t", protocol="szy206", raw=b"\x68\x01", outcome="stored",
                                 terminal=county_registry)
    Reading.objects.bulk_create(Reading(terminal=county_registry, observed_at=T0 + timedelta(minutes=5 * i),
                                        received_at=T0, frame=frame, volume_m3=10.0 + i) for i in range(3))
    assert queue_readings("652323-00001", T0, T0 + timedelta(minutes=10)) == 2
    assert queue_readings("652399-00009", T0, T0 + timedelta(hours=1)) == 0
    rows = sent("readings")
    assert rows[0].key == f"szy206:6523230001|{T0.isoformat()}" and rows[0].payload["frame"]["raw_hex"] == "6801"
    with capture.quiet():
        Reading.objects.all().delete()
        Frame.objects.all().delete()
        Terminal.objects.update(reported_by=PEER)
        WaterUser.objects.update(reported_by=PEER)
    for _ in range(2):
        assert get("readings").apply(rows, PEER).refused == []
        assert list(Reading.objects.order_by("observed_at").values_list("volume_m3", flat=True)) == [10.0, 11.0]
    assert Frame.objects.get(observed_at=T0).raw == b"\x68\x01"
    assert sent("readings") == []  # received readings are not pushed further up
