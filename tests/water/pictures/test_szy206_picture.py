"""SZY206 61H: the query's bytes, the picture in confirmed split frames, the query confirmed by the whole picture."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from changji.water.gateway.commands import answer_outcome, encode_command, picture_command
from changji.water.gateway.memory import MemorySink
from changji.water.gateway.records import PendingCommand, TerminalInfo
from changji.water.protocols import szy206
from changji.water.protocols.errors import EncodeError
from changji.water.sim.simulator import camera_picture
from tests.water.gateway.conftest import TerminalClient, running_gateway

pytestmark = pytest.mark.django_db  # the session imports the water models' outcome names

ADDRESS = "6523230001"
NOW = datetime(2026, 6, 15, 2, 0, 30, tzinfo=UTC)


def test_the_query_is_afn_61_with_no_data_and_a_time_label():
    frame = encode_command(TerminalInfo(1, "szy206", ADDRESS), PendingCommand("c", 1, "query_picture"), NOW)
    assert frame.hex().upper() == szy206.encode_query_image(ADDRESS, NOW).hex().upper()
    decoded = szy206.decode_szy206(frame)
    assert (decoded.direction, decoded.afn, decoded.div, decoded.address) == ("down", 0x61, False, ADDRESS)
    assert frame[1] == 1 + 5 + 1 + 5  # L: C, A, AFN, Tp (s min h day delay)
    assert frame[-7:-2] == bytes([0x30, 0x00, 0x10, 0x15, 0x00])  # 10:00:30 CST on the 15th, delay 0


def test_a_picture_is_split_in_kib_frames_counting_down_and_reassembles():
    jpeg = camera_picture("652323-00001")
    frames = [szy206.decode_szy206(raw) for raw in szy206.encode_image_frames(ADDRESS, jpeg)]
    assert [f.divs for f in frames] == list(range(len(frames), 0, -1)) and len(frames) == -(-len(jpeg) // 1024)
    assert all(f.afn == 0x61 and f.div and f.direction == "up" for f in frames)
    parts = szy206.Szy206Reassembler()
    messages = [parts.feed(frame) for frame in frames]
    assert messages[-1] is not None and messages[-1].picture == jpeg and not any(messages[:-1])
    with pytest.raises(EncodeError):
        szy206.encode_image_frames(ADDRESS, b"\xff" * (256 * 1024))


def test_one_picture_frame_does_not_confirm_the_query_only_the_whole_picture_does(run):
    sent = PendingCommand("p1", 1, "query_picture", params={"trigger": "manual"}, last_sent_at=NOW)
    assert answer_outcome(sent, "szy206", szy206.decode_szy206(szy206.encode_image_frames(ADDRESS, b"x")[0])) is None
    assert picture_command([PendingCommand("q", 1, "query_picture"), sent]) == sent  # the one sent
    sink = MemorySink([TerminalInfo(1, "szy206", ADDRESS)])
    sink.commands[1] = [sent]
    jpeg = camera_picture("652323-00001")
    frames = szy206.encode_image_frames(ADDRESS, jpeg)

    async def scenario():
        async with running_gateway(sink) as gateway:
            client = await TerminalClient.connect(gateway.port)
            confirms = []
            for wire in frames[:-1]:
                await client.send(wire)
                confirms.append(await client.receive())
            finished_early = list(sink.finished)
            await client.send(frames[-1])
            confirms.append(await client.receive())
            await client.close()
            return confirms, finished_early

    confirms, finished_early = run(scenario())
    assert finished_early == []  # and the query was not sent again while the picture was arriving
    assert [szy206.decode_szy206(c).divs for c in confirms] == [f[4] for f in frames]  # each frame, its DIVS
    [snapshot] = sink.snapshots
    assert snapshot.jpeg == jpeg and snapshot.command_id == "p1"
    [(command_id, state, answer, _)] = sink.finished
    assert (command_id, state) == ("p1", "confirmed")
    assert answer == {"function": "61", "frames": len(frames), "size_bytes": len(jpeg)}
