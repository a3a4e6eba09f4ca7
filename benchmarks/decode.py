"""Decode throughput of the protocol codecs on one core (target in the README's figures: >= 20,000 frames/s each).

Frames are the ones the field sends most: an SL651 timed report (32H) of a groundwater monitoring
well (depth, battery, status word) and SZY206 C0 self-reports of an extraction well (flow class
with flow + cumulative volume, and the energy class). The framer is measured on a stream of both
families in reads of 1,460 bytes (one TCP segment).

Run: .venv/bin/python benchmarks/decode.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import report  # noqa: E402

from changji.water.protocols import sl651, szy206  # noqa: E402
from changji.water.protocols.bcd import CST  # noqa: E402
from changji.water.protocols.crc import crc8_e5, crc16_modbus  # noqa: E402
from changji.water.protocols.framing import Framer  # noqa: E402

TARGET_FRAMES_PER_S = 20_000


def sl651_timed_report(serial: int) -> bytes:
    """Build a 32H timed report of a monitoring well: TT, H (depth), ZT status word, VT."""
    body = (
        serial.to_bytes(2, "big")
        + bytes.fromhex("261125100000")  # sent 2026-11-25 10:00:00
        + bytes.fromhex("F1F1") + bytes.fromhex("6523230001") + b"\x47"  # ST, type G
        + bytes.fromhex("F0F0") + bytes.fromhex("2611251000")
        + bytes.fromhex("0E1A") + bytes.fromhex("001234")  # H 12.34 m
        + bytes.fromhex("4520") + bytes.fromhex("00000080")  # status: door closed
        + bytes.fromhex("3812") + bytes.fromhex("1290")  # VT 12.90 V
    )
    head = bytes.fromhex("7E7E01") + bytes.fromhex("6523230001") + bytes.fromhex("0000") + b"\x32"
    frame = head + len(body).to_bytes(2, "big") + b"\x02" + body + b"\x03"
    return frame + crc16_modbus(frame).to_bytes(2, "big")


def szy206_report(type_code: int, values: bytes) -> bytes:
    """Build a C0 self-report: values + alarm/status words + 5-byte time label."""
    user = bytes([0xB0 | type_code]) + bytes.fromhex("6523230102") + b"\xC0" + values
    user += bytes.fromhex("0000" "2000") + bytes.fromhex("0005102505")
    return bytes([0x68, len(user), 0x68]) + user + bytes([crc8_e5(user), 0x16])


def frames_per_second(decode: Callable[[bytes], object], frame: bytes, seconds: float) -> float:
    count = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(1000):
            decode(frame)
        count += 1000
    return count / (time.perf_counter() - start)


def framer_megabytes_per_second(stream: bytes, seconds: float) -> tuple[float, int]:
    segments = [stream[i : i + 1460] for i in range(0, len(stream), 1460)]
    total = frames = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        framer = Framer()
        for segment in segments:
            frames += len(framer.feed(segment))
        total += len(stream)
    return total / (time.perf_counter() - start) / 1e6, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    received = datetime(2026, 11, 25, 10, 0, 30, tzinfo=CST)
    sl_frame = sl651_timed_report(17)
    flow = szy206_report(0x3, bytes.fromhex("0050420030") + bytes.fromhex("5634120000"))  # 42.5 m³/h, 123456 m³
    energy = szy206_report(0x8, bytes.fromhex("67452301"))  # 12345.67 kWh
    szy_options = szy206.Szy206Options()
    cases = [
        ("sl651 32H decode", lambda f: sl651.decode_sl651(f), sl_frame),
        ("sl651 32H decode+reading", lambda f: sl651.to_reading(sl651.decode_sl651(f)), sl_frame),
        ("szy206 C0 flow decode", lambda f: szy206.decode_szy206(f, szy_options), flow),
        ("szy206 C0 energy decode", lambda f: szy206.decode_szy206(f, szy_options), energy),
        (
            "szy206 C0 flow decode+reading",
            lambda f: szy206.to_reading(szy206.decode_szy206(f, szy_options), received, szy_options),
            flow,
        ),
    ]
    rows = []
    for name, fn, frame in cases:
        rate = frames_per_second(fn, frame, args.seconds)
        rows.append({
            "case": name,
            "frame_bytes": len(frame),
            "frames_per_s": round(rate),
            "target": TARGET_FRAMES_PER_S if "reading" not in name else "",
            "met": ("yes" if rate >= TARGET_FRAMES_PER_S else "NO") if "reading" not in name else "",
        })
    stream = (sl_frame + flow + energy + b"\x7e") * 5000
    mbps, framed = framer_megabytes_per_second(stream, args.seconds)
    rows.append({"case": "framer, mixed stream, 1460-byte reads", "frame_bytes": len(stream),
                 "frames_per_s": round(mbps * 1e6 / (len(stream) / 15000)), "target": "",
                 "met": f"{mbps:.1f} MB/s"})
    report("decode", rows, {"framer_mb_per_s": round(mbps, 2), "framed": framed})


if __name__ == "__main__":
    main()
