"""Memory caps and expiry of multi-packet reassembly (SL651 M3 and SZY206 DIV share them)."""

from __future__ import annotations

import pytest

from changji.water.protocols.errors import LimitError
from changji.water.protocols.reassembly import PACKET_OVERHEAD, MemoryBudget
from changji.water.protocols.sl651 import Sl651Frame, Sl651Reassembler
from changji.water.protocols.sl651.codes import ETB, ETX, FC_36_PICTURE, SYN
from changji.water.protocols.szy206 import Szy206Frame, Szy206Reassembler


def m3(station: str, seq: int, total: int, payload: bytes = b"x" * 100, function: int = FC_36_PICTURE) -> Sl651Frame:
    return Sl651Frame("hex", "up", 1, station, 0, function, SYN, ETX if seq == total else ETB, total, seq,
                      payload=payload)


def div(address: str, divs: int, data: bytes = b"y" * 100) -> Szy206Frame:
    return Szy206Frame(direction="up", div=True, divs=divs, fcb=3, type_code=0, address=address, afn=0x83,
                       data=data, password=None, time_label=None)


def test_the_cap_counts_every_incomplete_message_of_the_connection():
    cap = 3 * (100 + PACKET_OVERHEAD)
    assembler = Sl651Reassembler(max_bytes=cap)
    assert assembler.feed(m3("0000000001", 1, 9), tag=1) is None
    assert assembler.feed(m3("0000000002", 1, 9), tag=2) is None
    assert assembler.feed(m3("0000000002", 2, 9), tag=3) is None
    assert assembler.pending_bytes == cap
    with pytest.raises(LimitError, match=f"exceeds {cap} bytes"):
        assembler.feed(m3("0000000001", 2, 9), tag=4)
    [abandoned] = assembler.take_abandoned()
    assert (abandoned.key, abandoned.tags, abandoned.packets, abandoned.total) == (("0000000001", 0x36), (1,), 1, 9)
    assert "per connection" in abandoned.reason
    assert assembler.pending == 1 and assembler.pending_bytes == 2 * (100 + PACKET_OVERHEAD)
    assert assembler.take_abandoned() == []  # reported once


def test_empty_packets_are_charged_their_overhead():
    assembler = Sl651Reassembler(max_bytes=10 * PACKET_OVERHEAD)
    for seq in range(1, 11):
        assembler.feed(m3("0000000001", seq, 4095, b""))
    with pytest.raises(LimitError):
        assembler.feed(m3("0000000001", 11, 4095, b""))


def test_duplicates_and_retransmissions_are_not_charged_twice():
    sl651 = Sl651Reassembler()
    sl651.feed(m3("0000000001", 1, 3))
    sl651.feed(m3("0000000001", 1, 3))
    assert sl651.pending_bytes == 100 + PACKET_OVERHEAD
    szy206 = Szy206Reassembler()
    szy206.feed(div("6523010001", 3))
    szy206.feed(div("6523010001", 3, b"z" * 40))  # a retransmission replaces the earlier copy
    assert szy206.pending_bytes == 40 + PACKET_OVERHEAD


def test_the_global_budget_is_shared_and_given_back():
    budget = MemoryBudget(4 * (100 + PACKET_OVERHEAD))
    first, second = Sl651Reassembler(budget=budget), Szy206Reassembler(budget=budget)
    for seq in (1, 2, 3):
        first.feed(m3("0000000001", seq, 9))
    second.feed(div("6523010001", 3))
    with pytest.raises(LimitError, match="in use"):
        second.feed(div("6523010001", 2))
    assert [a.reason for a in second.take_abandoned()] == ["over the gateway's memory for incomplete messages"]
    assert budget.used == 3 * (100 + PACKET_OVERHEAD)
    first.close()
    assert budget.used == 0 and first.pending == 0
    assert [(a.reason, a.packets) for a in first.take_abandoned()] == [("connection closed", 3)]
    assert second.feed(div("6523010001", 1)) is not None  # a single remaining frame completes at once
    assert budget.used == 0


def test_a_message_fed_nothing_for_the_idle_time_expires():
    assembler = Szy206Reassembler(max_idle_s=300)
    assembler.feed(div("6523010001", 3), now=0.0, tag="a")
    assembler.feed(div("6523010002", 3), now=100.0, tag="b")
    assembler.feed(div("6523010001", 2), now=250.0, tag="c")  # keeps the first message alive
    assembler.expire(now=390.0)
    assert assembler.take_abandoned() == []
    assembler.expire(now=420.0)
    [abandoned] = assembler.take_abandoned()
    assert abandoned.key == ("6523010002", 0x83) and abandoned.tags == ("b",)
    assert abandoned.reason == "no packet for 300 s"
    assembler.feed(div("6523010003", 2), now=600.0)  # feeding expires too
    [abandoned] = assembler.take_abandoned()
    assert abandoned.key == ("6523010001", 0x83) and abandoned.tags == ("a", "c")
    assert assembler.pending == 1


def test_a_restarted_message_reports_the_one_it_replaces():
    assembler = Sl651Reassembler()
    assembler.feed(m3("0000000001", 1, 5), tag=7)
    assembler.feed(m3("0000000001", 1, 6), tag=8)
    [abandoned] = assembler.take_abandoned()
    assert abandoned.tags == (7,) and abandoned.reason == "restarted with 6 packets"
