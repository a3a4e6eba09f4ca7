"""Delivery to a real upstream over HTTP (the live server).

Fixed batches, at least once, back-off, rewind, resumption after either side lost state, pruning, and the pull
of requests and targets.
"""

from __future__ import annotations

import socket
import sys
import types
from datetime import date, timedelta

import pytest
from django.utils import timezone

from changji.water.models import OutboundBatch, OutboxEntry, PeerStream, StreamDelivery, UpstreamLink
from changji.water.sharing import credentials, delivery
from changji.water.sharing.outbox import Change, record_many

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _entries(n: int, start: int = 0, region: str = "652301"):
    record_many(Change("echo", f"W{i}", region, {"m3": i}) for i in range(start, start + n))


@pytest.fixture
def link(live_server, issued, echo_stream):
    peer, secret = issued
    return credentials.save_link(name="昌吉州平台", base_url=live_server.url, key_id=peer.key_id, secret=secret,
                                 batch_size=4, by=None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_push_delivers_every_entry_once_in_fixed_batches(link, echo_stream, issued):
    _entries(10)
    result = delivery.push(pull_too=False)
    assert result.summary() == {"batches": 3, "rows": 10, "errors": 0}
    assert echo_stream.rows == {f"W{i}": {"m3": i} for i in range(10)}
    assert list(OutboundBatch.objects.order_by("seq").values_list("seq", "first_entry_id", "rows")) == [
        (1, OutboxEntry.objects.order_by("id").first().id, 4), (2, OutboxEntry.objects.order_by("id")[4].id, 4),
        (3, OutboxEntry.objects.order_by("id")[8].id, 2)]
    assert delivery.push(pull_too=False).summary()["batches"] == 0
    assert PeerStream.objects.get(peer=issued[0]).expected_seq == 4
    assert delivery.backlog("echo") == 0


def test_a_batch_once_formed_is_resent_unchanged(link, echo_stream):
    _entries(3)
    good_url = link.base_url
    UpstreamLink.objects.filter(pk=link.pk).update(base_url=f"http://127.0.0.1:{_free_port()}")
    assert delivery.push(pull_too=False).summary()["errors"] == 1
    _entries(3, start=3)
    StreamDelivery.objects.update(next_try_at=None)
    UpstreamLink.objects.filter(pk=link.pk).update(base_url=good_url)
    delivery.push(pull_too=False)
    first = OutboundBatch.objects.get(seq=1)
    assert first.rows == 3 and set(OutboxEntry.objects.filter(batch_seq=1).values_list("key", flat=True)) == {
        "W0", "W1", "W2"}
    assert len(echo_stream.rows) == 6


def test_failures_back_off_exponentially_and_keep_the_last_error(link, echo_stream):
    _entries(2)
    UpstreamLink.objects.filter(pk=link.pk).update(base_url=f"http://127.0.0.1:{_free_port()}")
    now = timezone.now()
    run = delivery.push(now=now, pull_too=False).streams["echo"]
    state = StreamDelivery.objects.get(stream="echo")
    assert "无法连接上级平台" in run.error and state.attempts == 1
    assert state.next_try_at == now + timedelta(seconds=5)
    delivery.push(now=now + timedelta(seconds=1), pull_too=False)
    assert StreamDelivery.objects.get(stream="echo").attempts == 1  # still backing off: not tried
    delivery.push(now=now + timedelta(seconds=6), pull_too=False)
    state = StreamDelivery.objects.get(stream="echo")
    assert state.attempts == 2 and state.next_try_at == now + timedelta(seconds=16)
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 12)] == [5, 10, 20, 900]
    assert delivery.retry_now() == 1 and StreamDelivery.objects.get(stream="echo").next_try_at is None


def test_a_refusal_is_kept_as_the_last_error(link, echo_stream, issued):
    _entries(1)
    credentials.revoke(issued[0], None)
    run = delivery.push(pull_too=False).streams["echo"]
    assert "403" in run.error and "吊销" in run.error
    assert StreamDelivery.objects.get(stream="echo").last_error.startswith("上级平台拒收（403）")


def test_a_409_rewinds_to_the_expected_sequence(link, echo_stream, issued):
    _entries(8)
    delivery.push(pull_too=False)
    PeerStream.objects.filter(peer=issued[0]).update(expected_seq=2)  # the upstream lost batch 2 onwards
    echo_stream.rows.clear()
    _entries(2, start=8)
    run = delivery.push_stream(delivery.upstream_of(link), "echo", 4, timezone.now())
    assert run.rewound == 1 and run.sent == 2
    assert set(echo_stream.rows) == {f"W{i}" for i in range(4, 10)}
    assert PeerStream.objects.get(peer=issued[0]).expected_seq == 4


def test_an_upstream_that_lost_state_is_realigned_from_its_status(link, echo_stream, issued):
    _entries(8)
    delivery.push(pull_too=False)
    PeerStream.objects.filter(peer=issued[0]).delete()
    echo_stream.rows.clear()
    delivery.push(pull_too=False)
    assert len(echo_stream.rows) == 8
    assert StreamDelivery.objects.get(stream="echo").rewinds == 1


def test_a_lost_acknowledgement_is_resent_and_applied_once(link, echo_stream, issued):
    _entries(4)
    delivery.push(pull_too=False)
    StreamDelivery.objects.update(next_seq=1)  # the answer never reached the downstream
    OutboundBatch.objects.update(delivered_at=None)
    calls = echo_stream.calls
    run = delivery.push_stream(delivery.upstream_of(link), "echo", 4, timezone.now())
    assert run.sent == 1 and echo_stream.calls == calls  # answered "duplicate": nothing applied again
    assert StreamDelivery.objects.get(stream="echo").next_seq == 2


def test_a_restored_downstream_never_reuses_a_number_the_upstream_applied(link, echo_stream, issued):
    _entries(8)
    delivery.push(pull_too=False)
    OutboundBatch.objects.all().delete()  # a backup from before the batches were formed
    OutboxEntry.objects.update(batch_seq=None)
    StreamDelivery.objects.update(next_seq=1, formed_seq=0)
    OutboxEntry.objects.all().delete()
    _entries(2, start=100)
    delivery.push(pull_too=False)
    assert {"W100", "W101"} <= set(echo_stream.rows)
    assert OutboundBatch.objects.get().seq == 3


def test_prune_deletes_only_delivered_entries_past_retention(link, echo_stream):
    _entries(8)
    delivery.push(pull_too=False)
    _entries(2, start=8)
    assert delivery.prune(timezone.now())["entries"] == 0
    later = timezone.now() + delivery.RETENTION + timedelta(minutes=1)
    assert delivery.prune(later)["entries"] == 8
    assert OutboxEntry.objects.count() == 2 and not OutboundBatch.objects.exists()
    assert delivery.push(pull_too=False).summary()["rows"] == 2


def test_pull_answers_requests_and_stores_targets(link, issued, monkeypatch):
    from changji.water.models import CountyWaterTarget, RawReadingRequest

    queued, stored = [], []
    monkeypatch.setitem(sys.modules, "changji.water.sharing.readings",
                        types.SimpleNamespace(queue_readings=lambda *args: queued.append(args)))
    monkeypatch.setitem(sys.modules, "changji.water.sharing.targets",
                        types.SimpleNamespace(apply_received_targets=stored.extend))
    request = credentials.request_readings(issued[0], "652301-00007", date(2026, 3, 1), date(2026, 3, 2), None)
    CountyWaterTarget.objects.create(region_id="652301", year=date.today().year, target_m3=123.0)
    pulled = delivery.pull(delivery.upstream_of(link), date.today())
    assert pulled == {"requests": 1, "targets": 1}
    from changji.core.localtime import days_bounds

    assert queued == [("652301-00007", *days_bounds(date(2026, 3, 1), date(2026, 3, 2)))]
    assert stored[0]["target_m3"] == 123.0
    assert RawReadingRequest.objects.get(pk=request.pk).done_at is not None


def test_pull_skips_what_the_streams_do_not_provide(link):
    assert delivery._optional("changji.water.sharing.no_such_module", "f") is None
    assert "error" not in delivery.pull(delivery.upstream_of(link), date.today())


def test_no_link_no_push(db):
    assert delivery.push().summary() == {"batches": 0, "rows": 0, "errors": 0}


def test_a_later_stream_waits_for_an_earlier_one_to_drain(link, echo_stream):
    from changji.water.sharing import streams

    later = []
    streams.register(streams.Stream("echo_later", "后序流", lambda rows, source: later.extend(rows)
                                    or streams.ApplyResult(applied=len(rows)), order=2))
    try:
        _entries(10)
        record_many([Change("echo_later", "L1", "652301", {})])
        result = delivery.push(limit=1, pull_too=False)
        assert result.streams["echo"].sent == 1 and "echo_later" not in result.streams and later == []
        while delivery.backlog("echo"):
            delivery.push(limit=1, pull_too=False)
        delivery.push(limit=1, pull_too=False)
        assert [row.key for row in later] == ["L1"]
    finally:
        streams._STREAMS.pop("echo_later", None)
