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

from changji.water.protocols.bcd import CST
from changji.water.protocols.inspection import describe_frame


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
    lines = options.frames or [line for line in (stdin or sys.stdin)]
    failed = False
    for line in lines:
        text = "".join(line.split())
        if not text:
            continue
        try:
            data = bytes.fromhex(text)
        except ValueError:
            result = {"ok": False, "error": f"not hexadecimal: {text[:40]!r}", "protocol": None}
        else:
            result = describe_frame(data, received_at, **profile_options)  # type: ignore[arg-type]
        failed = failed or not result["ok"]
        print(json.dumps(result, ensure_ascii=False), flush=False)
    sys.stdout.flush()
    return 1 if failed else 0


def _profile_options(name: str) -> dict[str, object]:
    """Return ``describe_frame``'s options keyword for the profile called ``name``; LookupError if none.

    Only ``--profile`` needs the database: Django is set up here and nowhere else in ``changji decode``.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "changji.settings")
    import django  # deferred: `changji decode` without --profile runs without Django

    django.setup()
    from changji.water.profiles.service import profile_options  # deferred: needs the app registry set up above

    protocol, codec = profile_options(name)
    return {f"{protocol}_options": codec}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
