"""The demo's outbox: what a county instance queues for the prefecture when it is first connected.

The demo fleet and its history are written in bulk (no change is recorded), so the demo queues the snapshot a
bureau would queue on connecting to its upstream (``changji water share-snapshot``): the registry and the last
week's usage, alarms and terminal-days. Once only: a second preparation finds the wells queued already (the
licences and plans seeded before record themselves on save, so the test is the wells). The live derivation and
the jobs then add their changes as they happen.

The demo is also shown as the prefecture's end of the exchange (:func:`seed_exchange`): one credential issued
to the 昌吉市 county instance with the health of its streams — applied batches, a gap seen, a reported backlog —
two refused rows (another county's) and a raw-reading request. No upstream link (the demo stands alone) and no
extra process.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from changji.core.localtime import today
from changji.core.models import Region
from changji.water.models import DownstreamPeer, OutboxEntry, PeerStream, RawReadingRequest, RefusedRow, Well
from changji.water.sharing import signing
from changji.water.sharing.snapshot import queue_snapshot

DEMO_DAYS = 7
DEMO_KEY_ID = "652301-demo"


def seed_outbox() -> str:
    """Queue the snapshot unless the wells are queued already; describe what was queued."""
    if OutboxEntry.objects.filter(stream="registry", key__startswith="well:").exists():
        return "outbox kept"
    counts = queue_snapshot(today() - timedelta(days=DEMO_DAYS))
    return "outbox (上报待发): " + ", ".join(f"{name} {n}" for name, n in counts.items())



def seed_exchange() -> str:
    """Issue the demo downstream's credential and its health rows; return what was added."""
    region = Region.objects.filter(code="652301").first()
    if region is None or DownstreamPeer.objects.filter(key_id=DEMO_KEY_ID).exists():
        return "exchange: nothing to add"
    now = timezone.now()
    peer = DownstreamPeer.objects.create(name="昌吉市平台（县级）", region=region, key_id=DEMO_KEY_ID,
                                         secret=signing.new_secret(), issued_by="demo", last_seen_at=now)
    PeerStream.objects.bulk_create([
        PeerStream(peer=peer, stream="registry", expected_seq=13, rows_applied=5_812, last_batch_at=now
                   - timedelta(hours=3)),
        PeerStream(peer=peer, stream="usage", expected_seq=388, rows_applied=386_140, rows_refused=2, gaps=1,
                   duplicates=3, last_gap_at=now - timedelta(days=2), last_batch_at=now - timedelta(minutes=2),
                   backlog=120, backlog_at=now),
        PeerStream(peer=peer, stream="alarms", expected_seq=41, rows_applied=402, last_batch_at=now
                   - timedelta(minutes=9)),
    ])
    RefusedRow.objects.bulk_create([
        RefusedRow(peer=peer, stream="usage", seq=214, key=f"day:652323-0000{i}|{today() - timedelta(days=30)}",
                   region_code="652323", reason="区划 652323 不在本下级平台的管辖范围 652301 内") for i in (1, 2)])
    well = Well.objects.filter(region_id="652301").order_by("code").first()
    if well is not None:
        RawReadingRequest.objects.create(peer=peer, well_code=well.code, since=today() - timedelta(days=7),
                                         until=today() - timedelta(days=6), requested_by="demo")
    return "exchange: 1 downstream credential (昌吉市) with 3 streams' health, 2 refused rows, 1 raw-reading request"
