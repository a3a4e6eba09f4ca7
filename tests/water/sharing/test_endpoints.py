"""The exchange API on the upstream: signed requests only; batches applied once; gaps, replays, subtree."""

from __future__ import annotations

import logging

import pytest

from changji.water.models import DownstreamPeer, ExchangeNonce, PeerStream, RawReadingRequest, RefusedRow
from changji.water.sharing import credentials, signing
from tests.water.sharing.conftest import PREFIX, batch, signed

pytestmark = pytest.mark.django_db


def test_a_batch_is_applied_and_the_next_sequence_is_expected(client, issued, echo_stream):
    peer, secret = issued
    response = signed(client, peer, secret, "POST", "batches", batch(1, [("W1", "652301", {"m3": 1.5})], backlog=9))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "applied", "seq": 1, "expected_seq": 2, "applied": 1, "refused": 0}
    assert echo_stream.rows == {"W1": {"m3": 1.5}}
    state = PeerStream.objects.get(peer=peer, stream="echo")
    assert (state.expected_seq, state.rows_applied, state.backlog) == (2, 1, 9)


def test_a_resent_batch_changes_nothing(client, issued, echo_stream):
    peer, secret = issued
    signed(client, peer, secret, "POST", "batches", batch(1, [("W1", "652301", {"m3": 1})]))
    again = signed(client, peer, secret, "POST", "batches", batch(1, [("W1", "652301", {"m3": 999})]))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert echo_stream.rows == {"W1": {"m3": 1}} and echo_stream.calls == 1
    assert PeerStream.objects.get(peer=peer).duplicates == 1


def test_a_gap_is_answered_409_with_the_expected_sequence(client, issued, echo_stream):
    peer, secret = issued
    response = signed(client, peer, secret, "POST", "batches", batch(3, [("W1", "652301", {})]))
    assert response.status_code == 409
    assert response.json()["expected_seq"] == 1 and response.json()["code"] == "gap"
    assert echo_stream.rows == {}
    assert PeerStream.objects.get(peer=peer).gaps == 1


def test_rows_outside_the_peer_subtree_are_refused_and_recorded(client, issued, echo_stream):
    peer, secret = issued
    rows = [("W1", "652301101", {}), ("W2", "652302", {}), ("W3", "652301", {"refuse": "未知的井"})]
    response = signed(client, peer, secret, "POST", "batches", batch(1, rows))
    assert response.json() == {"status": "applied", "seq": 1, "expected_seq": 2, "applied": 1, "refused": 2}
    assert set(echo_stream.rows) == {"W1"}
    reasons = dict(RefusedRow.objects.values_list("key", "reason"))
    assert "不在本下级平台的管辖范围" in reasons["W2"] and reasons["W3"] == "未知的井"


def test_a_replayed_request_is_refused(client, issued, echo_stream):
    peer, secret = issued
    body = b'{"stream":"echo","seq":1,"entries":[]}'
    headers = signing.sign(peer.key_id, secret, "POST", PREFIX + "batches", body)
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    first = client.generic("POST", PREFIX + "batches", body, content_type="application/json", **extra)
    replay = client.generic("POST", PREFIX + "batches", body, content_type="application/json", **extra)
    assert first.status_code == 200
    assert replay.status_code == 401 and replay.json()["code"] == "replayed"
    assert ExchangeNonce.objects.count() == 1


@pytest.mark.parametrize("tamper", ["method-path", "stale", "wrong-secret", "unknown-key", "no-headers"])
def test_unsigned_or_badly_signed_requests_are_401(client, issued, echo_stream, tamper):
    peer, secret = issued
    body = batch(1, [("W1", "652301", {})])
    if tamper == "stale":
        response = signed(client, peer, secret, "POST", "batches", body,
                          headers={signing.TIMESTAMP_HEADER: "1000000000"})
    elif tamper == "wrong-secret":
        response = signed(client, peer, secret + "x", "POST", "batches", body)
    elif tamper == "unknown-key":
        peer.key_id = "652301-ffffffff"
        response = signed(client, peer, secret, "POST", "batches", body)
    elif tamper == "no-headers":
        response = client.post(PREFIX + "batches", body, content_type="application/json")
    else:
        response = signed(client, peer, secret, "GET", "status", query="")
        response = client.post(PREFIX + "batches", body, content_type="application/json",
                               **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in signing.sign(
                                   peer.key_id, secret, "POST", PREFIX + "status", b"{}").items()})
    assert response.status_code == 401
    assert echo_stream.rows == {}


def test_a_revoked_credential_is_403_and_rotation_retires_the_old_secret(client, issued, echo_stream):
    peer, secret = issued
    new_secret = credentials.rotate(peer, None)
    assert signed(client, peer, secret, "GET", "status").status_code == 401
    assert signed(client, peer, new_secret, "GET", "status").status_code == 200
    credentials.revoke(peer, None, "停用")
    response = signed(client, peer, new_secret, "GET", "status")
    assert response.status_code == 403 and response.json()["code"] == "revoked"


@pytest.mark.parametrize("raw, code", [
    (b"{not json", "bad_json"),
    (b"\xff\xfe", "bad_json"),
    (b"[]", "bad_json"),
    (b'{"stream":"nope","seq":1,"entries":[]}', "unknown_stream"),
    (b'{"stream":"echo","seq":0,"entries":[]}', "bad_seq"),
    (b'{"stream":"echo","seq":true,"entries":[]}', "bad_seq"),
    (b'{"stream":"echo","seq":1,"entries":{}}', "bad_entries"),
    (b'{"stream":"echo","seq":1,"entries":[{"key":"","region_code":"652301","payload":{}}]}', "bad_entry"),
    (b'{"stream":"echo","seq":1,"entries":[{"key":"a\\u0000","region_code":"652301","payload":{}}]}', "bad_entry"),
    (b'{"stream":"echo","seq":1,"entries":[{"key":"a","region_code":"652301","payload":[]}]}', "bad_entry"),
    (b'{"stream":"echo","seq":1,"entries":[],"backlog":-1}', "bad_backlog"),
])
def test_hostile_batches_are_400_and_change_nothing(client, issued, echo_stream, raw, code, caplog):
    peer, secret = issued
    with caplog.at_level(logging.WARNING, logger="changji.water.exchange"):
        response = signed(client, peer, secret, "POST", "batches", raw=raw)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert echo_stream.calls == 0 and not PeerStream.objects.filter(expected_seq__gt=1).exists()
    assert code in caplog.text and secret not in caplog.text


def test_an_oversize_body_is_413(client, issued, echo_stream):
    peer, secret = issued
    raw = b'{"stream":"echo","seq":1,"entries":[],"pad":"' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = signed(client, peer, secret, "POST", "batches", raw=raw)
    assert response.status_code == 413 and echo_stream.calls == 0


def test_other_methods_are_405(client, issued):
    assert client.get(PREFIX + "batches").status_code == 405
    assert client.post(PREFIX + "status").status_code == 405


def test_status_lists_the_expected_sequence_of_each_stream(client, issued, echo_stream):
    peer, secret = issued
    signed(client, peer, secret, "POST", "batches", batch(1, []))
    answer = signed(client, peer, secret, "GET", "status").json()
    assert {"stream": "echo", "expected_seq": 2} in [
        {k: s[k] for k in ("stream", "expected_seq")} for s in answer["streams"]]
    assert answer["region_code"] == "652301"


def test_requests_are_served_until_done(client, issued):
    from datetime import date

    peer, secret = issued
    other, _ = credentials.issue("呼图壁县平台", peer.region.parent.children.get(code="652323"), None)
    mine = credentials.request_readings(peer, "652301-00001", date(2026, 5, 1), date(2026, 5, 3), None)
    credentials.request_readings(other, "652323-00001", date(2026, 5, 1), date(2026, 5, 3), None)
    served = signed(client, peer, secret, "GET", "requests").json()["requests"]
    assert served == [{"id": mine.pk, "well_code": "652301-00001", "since": "2026-05-01", "until": "2026-05-03"}]
    assert signed(client, peer, secret, "POST", "requests/done", {"ids": [mine.pk, 10**9]}).json() == {"done": 1}
    assert signed(client, peer, secret, "GET", "requests").json()["requests"] == []
    assert RawReadingRequest.objects.get(pk=mine.pk).served_at is not None
    assert signed(client, peer, secret, "POST", "requests/done", {"ids": "x"}).status_code == 400


def test_targets_are_those_within_the_peer_region(client, issued):
    from changji.water.models import CountyWaterTarget

    peer, secret = issued
    CountyWaterTarget.objects.create(region_id="652301", year=2026, target_m3=1e8, note="州定")
    CountyWaterTarget.objects.create(region_id="652323", year=2026, target_m3=5e7)
    CountyWaterTarget.objects.create(region_id="652301", year=2025, target_m3=9e7)
    answer = signed(client, peer, secret, "GET", "targets", query="year=2026").json()
    assert answer["year"] == 2026
    assert [(t["region_code"], t["target_m3"]) for t in answer["targets"]] == [("652301", 1e8)]
    assert signed(client, peer, secret, "GET", "targets", query="year=abc").status_code == 400


def test_the_secret_is_never_logged(client, issued, echo_stream, caplog):
    peer, secret = issued
    with caplog.at_level(logging.DEBUG):
        signed(client, peer, secret + "x", "POST", "batches", batch(1, []))
        signed(client, peer, secret, "POST", "batches", batch(5, []))
    assert caplog.records and secret not in caplog.text
    assert DownstreamPeer.objects.get(pk=peer.pk).last_seen_at is not None
