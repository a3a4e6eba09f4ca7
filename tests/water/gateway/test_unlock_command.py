"""The quota restore's ``pump_unlock`` goes out as quota control off (SZY206 33H, SL651 4FH ``00``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from changji.water.downlink import SUPPORTED_KINDS
from changji.water.gateway.commands import answer_outcome, encode_command
from changji.water.gateway.records import PendingCommand, TerminalInfo
from changji.water.protocols.sl651 import decode_sl651
from changji.water.protocols.szy206 import decode_szy206

NOW = datetime(2026, 8, 15, 2, 0, tzinfo=UTC)


def frame(protocol: str, kind: str) -> bytes:
    address = "6523230001" if protocol == "szy206" else "0012345678"
    return encode_command(TerminalInfo(id=1, protocol=protocol, address=address), PendingCommand("c", 1, kind), NOW)


@pytest.mark.parametrize("protocol", ["szy206", "sl651"])
def test_unlock_is_the_quota_off_frame_and_every_family_carries_it(protocol):
    assert "pump_unlock" in SUPPORTED_KINDS[protocol]
    assert frame(protocol, "pump_unlock") == frame(protocol, "quota_off")
    assert frame(protocol, "pump_unlock") != frame(protocol, "pump_start")


def test_the_szy206_unlock_is_afn_33_and_its_echo_confirms_it():
    sent = decode_szy206(frame("szy206", "pump_unlock"))
    assert sent.afn == 0x33 and sent.direction == "down"

    class Answer:
        afn, values = 0x33, {"result": "00"}

    state, answer = answer_outcome(PendingCommand("c", 1, "pump_unlock"), "szy206", Answer())
    assert state == "confirmed" and answer["function"] == "33"


def test_the_sl651_unlock_is_4f_off():
    sent = decode_sl651(frame("sl651", "pump_unlock"))
    assert sent.function == 0x4F and sent.values.get("quota_control") is False
