"""The ``changji decode`` contract: one JSON object per frame, exit status 1 on any failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from changji.water.protocols import describe_frame
from changji.water.protocols.bcd import CST
from tests.water.protocols.vectors import (
    SL651_ASCII_A02,
    SL651_KEEPALIVE_L48,
    SL651_TIMED_L49,
    SZY206_FLOW_S2,
    SZY206_KEEPALIVE_S7,
)

CHANGJI = str(Path(sys.executable).with_name("changji"))
RECEIVED = datetime(2026, 11, 25, 10, 0, tzinfo=CST)
CONTRACT_KEYS = {"ok", "protocol", "direction", "function", "station", "values", "reading", "ack"}


def test_sl651_timed_report_description():
    out = describe_frame(bytes.fromhex(SL651_TIMED_L49), RECEIVED)
    assert CONTRACT_KEYS <= set(out)
    assert out["ok"] is True and out["protocol"] == "sl651" and out["encoding"] == "hex"
    assert (out["direction"], out["function"], out["station"], out["serial"]) == ("up", "32", "0012345678", 18)
    assert out["sent_at"] == "2014-12-05T11:00:02+08:00"
    assert out["observed_at"] == "2014-12-05T11:00:00+08:00"
    assert out["station_type"] == "H"
    assert out["values"] == {"PJ": 10.0, "PT": 10.0, "Z": 14.42, "VT": 12.2}
    assert out["reading"]["level_m"] == 14.42 and out["reading"]["battery_v"] == 12.2
    assert out["ack"].startswith("7E7E00123456780204D232800802")


def test_sl651_ascii_frame_is_described_as_ascii():
    out = describe_frame(bytes.fromhex(SL651_ASCII_A02), RECEIVED)
    assert out["ok"] and out["encoding"] == "ascii" and out["values"]["Z"] == 0.301


def test_keepalive_has_no_reading_and_no_ack():
    out = describe_frame(bytes.fromhex(SL651_KEEPALIVE_L48), RECEIVED)
    assert out["ok"] and out["function"] == "2F" and out["reading"] is None and out["ack"] is None


def test_szy206_report_resolves_its_time_label_against_the_receipt_time():
    out = describe_frame(bytes.fromhex(SZY206_FLOW_S2), RECEIVED)
    assert out["protocol"] == "szy206" and out["function"] == "C0" and out["station"] == "1237899876"
    assert out["reading"]["volume_m3"] == 8.0
    assert out["reading"]["observed_at"] == "2026-11-28T17:57:00+08:00"
    assert out["ack"] == "680868331237899876C0009316"


def test_szy206_link_check_gets_its_echo():
    out = describe_frame(bytes.fromhex(SZY206_KEEPALIVE_S7), RECEIVED)
    assert out["ack"] == "680868005303810D0002F21A16"


def test_crc_failure_names_expected_and_found():
    bad = SL651_TIMED_L49[:-1] + "2"
    out = describe_frame(bytes.fromhex(bad), RECEIVED)
    assert out == {"ok": False, "error": "sl651 CRC mismatch: expected 9FE1, found 9FE2", "protocol": "sl651"}


def test_unknown_start_is_explained():
    out = describe_frame(b"\x00\x01", RECEIVED)
    assert not out["ok"] and "expected 7E7E, 01 or 68" in out["error"]


def _decode(*args, stdin=None):
    env = {**os.environ}
    return subprocess.run([CHANGJI, "decode", *args], input=stdin, capture_output=True, text=True,
                          timeout=60, env=env)


def test_command_line_prints_one_json_line_per_frame_and_exits_0():
    result = _decode(SL651_TIMED_L49, SZY206_FLOW_S2, "--received-at", "2026-11-25T10:00:00+08:00")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["protocol"] for line in lines] == ["sl651", "szy206"]


def test_command_line_reads_standard_input_and_exits_1_on_a_bad_frame():
    result = _decode(stdin=f"{SL651_TIMED_L49}\n\n  {SZY206_FLOW_S2[:-2]}00 \nnot-hex\n")
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["ok"] for line in lines] == [True, False, False]
    assert "szy206" in lines[1]["error"]
    assert lines[2]["error"].startswith("not hexadecimal")
