"""The ``changji`` command.

``changji decode`` runs without Django (it is a pure codec tool other programs call); every other
subcommand is a Django management command run with the platform's settings, exactly as
``manage.py`` would: ``changji migrate``, ``changji createsuperuser``, ``changji demo``, ...
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from changji.water.protocols.bcd import CST
from changji.water.protocols.inspection import PacketCollector, describe_frame


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named by ``argv`` (default: the process arguments)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "decode":
        return decode(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "changji.settings")
    from django.core.management import (
        execute_from_command_line,  # deferred: settings are chosen first; `changji decode` runs without Django
    )

    execute_from_command_line(["changji", *args])
    return 0


def decode(argv: Sequence[str], stdin: Iterable[str] | None = None) -> int:
    """Print one JSON object per hex frame; exit status 1 when any frame failed to decode."""
    parser = argparse.ArgumentParser(
        prog="changji decode",
        description="Decode SL651-2014 and SZY206-2016 / SL/T 427-2021 frames given as hex.",
    )
    parser.add_argument("frames", nargs="*", help="hex frames; one per line on standard input if none")
    parser.add_argument(
        "--received-at",
        type=datetime.fromisoformat,
        default=None,
        help="receipt time (ISO 8601) that completes SZY206 time labels; default: now",
    )
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="read hex frames from PATH, one per line (# starts a comment); may be repeated",
    )
    parser.add_argument(
        "--picture-out",
        default=None,
        metavar="PATH",
        help="write the JPEG of an SL651 36H picture reassembled from its M3 packets to PATH",
    )
    parser.add_argument(
        "--profile", default=None,
        help="decode and answer with the named protocol profile (规约配置, read from the platform's database)",
    )
    options = parser.parse_args(argv)
    profile_options: dict[str, object] = {}
    if options.profile:
        try:
            profile_options = _profile_options(options.profile)
        except LookupError as exc:
            print(json.dumps({"ok": False, "error": str(exc), "protocol": None}, ensure_ascii=False))
            return 1
    received_at = options.received_at or datetime.now(CST)
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=CST)
    lines = list(options.frames) + _file_lines(options.file)
    if not lines:
        lines = [line for line in (stdin or sys.stdin)]
    collector = PacketCollector(profile_options.get("sl651_options"))  # type: ignore[arg-type]
    pictures = _PictureWriter(options.picture_out)
    failed = False
    for line in lines:
        text = "".join(line.split("#", 1)[0].split())
        if not text:
            continue
        results: list[dict[str, Any] | None]
        try:
            data = bytes.fromhex(text)
        except ValueError:
            results = [{"ok": False, "error": f"not hexadecimal: {text[:40]!r}", "protocol": None}]
        else:
            described = describe_frame(data, received_at, **profile_options)  # type: ignore[arg-type]
            results = [described, pictures.save(collector.feed(data, received_at), collector)]
        for result in filter(None, results):
            failed = _print(result) or failed
    for result in collector.incomplete():
        failed = _print(result) or failed
    sys.stdout.flush()
    return 1 if failed else 0


def _file_lines(paths: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for path in paths:
        with open(path, encoding="ascii", errors="replace") as handle:
            lines.extend(handle)
    return lines


def _print(result: dict[str, Any]) -> bool:
    """Print one result line; return True when it is a failure."""
    print(json.dumps(result, ensure_ascii=False), flush=False)
    return not result["ok"]


class _PictureWriter:
    """Write reassembled pictures for ``--picture-out``: the first to PATH, later ones to PATH-2, PATH-3..."""

    def __init__(self, path: str | None) -> None:
        self.path, self.count = path, 0

    def save(self, result: dict[str, Any] | None, collector: PacketCollector) -> dict[str, Any] | None:
        """Write the picture the collector just completed (if any) and name the file in ``result``."""
        picture = collector.take_picture()
        if self.path is None or result is None or picture is None:
            return result
        self.count += 1
        target = Path(self.path)
        if self.count > 1:
            target = target.with_name(f"{target.stem}-{self.count}{target.suffix}")
        target.write_bytes(picture)
        return {**result, "picture_out": str(target)}


def _profile_options(name: str) -> dict[str, object]:
    """Return ``describe_frame``'s options keyword for the profile called ``name``; LookupError if none.

    Only ``--profile`` needs the database: Django is set up here and nowhere else in ``changji decode``.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "changji.settings")
    import django  # deferred: `changji decode` without --profile runs without Django
    from django.apps import apps  # deferred: as above

    if not apps.ready:  # called inside a running platform (tests, a shell): its logging stays as configured
        django.setup()
    from changji.water.profiles.service import profile_options  # deferred: needs the app registry set up above

    protocol, codec = profile_options(name)
    return {f"{protocol}_options": codec}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
