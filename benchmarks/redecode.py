"""Re-decoding archived frames under a new protocol profile (issue 15): frames/s on SQLite.

When an operator confirms that a terminal was on the wrong profile, its archived frames (``Frame.raw``) are
decoded again under the right one and its readings rewritten (``profiles.service.redecode_terminal``), then
the derived figures rebuilt. This measures that re-decode over 1,000,000 archived SZY206 frames: 100
terminals × 10,000 frames (flow-class and energy-class C0 reports every 5 minutes, 17 days), generated once
and bulk-inserted into a fresh SQLite database with the readings the gateway stored from them (the default
profile), then re-decoded under a profile that reads them differently (big-endian status words, volume before
flow), rewriting every reading. The rebuild of the derived figures
(daily usage, terminal days) that follows a switch is timed separately.

Run: .venv/bin/python benchmarks/redecode.py [--frames 1000000] [--terminals 100]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import report  # noqa: E402


def _setup() -> str:
    data_dir = tempfile.mkdtemp(prefix="changji-redecode-")
    os.environ["CHANGJI_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "changji.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def _generate(terminals: list, per_terminal: int, start: datetime) -> int:
    """Encode the archive and bulk-insert it with the readings the gateway stored from it.

    One transaction per 20,000 frames; explicit ids, so each reading points at its report's energy frame.
    """
    from django.db import connection, transaction

    from changji.water.protocols import szy206

    frame_sql = ("INSERT INTO water_frame (id, received_at, peer, protocol, address, terminal_id, function,"
                 " observed_at, raw, outcome, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
    reading_sql = ("INSERT INTO water_reading (terminal_id, observed_at, received_at, flow_m3h, volume_m3, energy_kwh,"
                   " pump_on, door_open, future_dated, native, frame_id)"
                   " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
    frames: list[tuple] = []
    readings: list[tuple] = []
    frame_id = 0
    for terminal in terminals:
        volume, energy = 10_000, 5_000.0
        for n in range(per_terminal // 2):
            observed = start + timedelta(minutes=5 * n)
            label = szy206.TimeLabel.from_datetime(observed, 0)
            volume += 5
            energy = round(energy + 2.5, 2)
            at, received = (observed.replace(tzinfo=None).isoformat(" "),
                            (observed + timedelta(seconds=20)).replace(tzinfo=None).isoformat(" "))
            for raw in (
                szy206.encode_self_report(terminal.address, 3, {"flow": [60.0], "flow_unit": ["m3/h"],
                                                                "volume_m3": [volume]}, label, status_word=0x20),
                szy206.encode_self_report(terminal.address, 8, {"energy_kwh": [energy]}, label, status_word=0x20),
            ):
                frame_id += 1
                frames.append((frame_id, received, "bench", "szy206", terminal.address, terminal.pk, "C0", at, raw,
                               "stored", ""))
            readings.append((terminal.pk, at, received, 60.0, float(volume), energy, True, False, False, "{}",
                             frame_id))
        if len(frames) >= 20_000 or terminal is terminals[-1]:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(frame_sql, frames)
                cursor.executemany(reading_sql, readings)
            frames, readings = [], []
    return frame_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--terminals", type=int, default=100)
    args = parser.parse_args()
    data_dir = _setup()
    try:
        from changji.water.models import DeviceBatch, Reading, Terminal, Well
        from changji.water.profiles import service
        from changji.water.profiles.options import parse_options

        new = parse_options("szy206", {"word_order": "big", "flow_first": False})
        from changji.water.models import ProtocolProfile

        batch = DeviceBatch.objects.create(name="bench", profile=ProtocolProfile.objects.create(
            name="bench", protocol="szy206"))
        terminals = []
        for i in range(args.terminals):
            well = Well.objects.create(code=f"652323-{i:05d}", name=f"井{i}", region_id="652323", latitude=44.3,
                                       longitude=86.9)
            terminals.append(Terminal.objects.create(protocol="szy206", address=f"652323{i:04X}", well=well,
                                                     region_id="652323", batch=batch))
        start = datetime(2026, 6, 1, tzinfo=UTC)
        began = time.perf_counter()
        frames = _generate(terminals, args.frames // args.terminals, start)
        generate_s = time.perf_counter() - began

        def decode_all(options) -> tuple[float, int]:
            began = time.perf_counter()
            readings = sum(service.redecode_terminal(t, options).readings for t in terminals)
            return time.perf_counter() - began, readings

        redecode_s, readings = decode_all(new)
        assert Reading.objects.count() == readings and Reading.objects.filter(volume_m3__gt=1e8).exists()
        began = time.perf_counter()
        for terminal in terminals[:10]:
            service._rebuild(terminal, date(2026, 6, 1))
        rebuild_s = (time.perf_counter() - began) / 10
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    rows = [
        {"figure": "archived frames", "value": f"{frames:,}", "target": "1,000,000"},
        {"figure": "generate + bulk insert (frames/s)", "value": round(frames / generate_s), "target": ""},
        {"figure": "re-decode under a new profile (frames/s)", "value": round(frames / redecode_s), "target": ""},
        {"figure": "re-decode of 1,000,000 frames (s)", "value": f"{redecode_s * 1_000_000 / frames:.0f}",
         "target": ""},
        {"figure": "readings rewritten", "value": f"{readings:,}", "target": ""},
        {"figure": "rebuild derived figures of one terminal, 17 days (s)", "value": f"{rebuild_s:.2f}",
         "target": ""},
    ]
    report("redecode-sqlite", rows, {"frames": frames, "terminals": args.terminals})


if __name__ == "__main__":
    main()
