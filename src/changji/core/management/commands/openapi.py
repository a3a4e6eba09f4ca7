"""``changji openapi [--check] [--output FILE]``: the API's OpenAPI document, committed as docs/openapi.json.

Writes what ``changji.api.openapi_document`` generates (the document ``/api/openapi.json`` serves: every app's
operations and Open311 GeoReport v2, keys sorted, indented, UTF-8). ``--check`` writes nothing and exits 1
when the file differs, saying how to regenerate it; tests/test_openapi_document.py runs the same comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from changji.api import openapi_document

#: docs/openapi.json of the checkout this package runs from (src/changji/core/management/commands/ → root).
DOCUMENT = Path(__file__).resolve().parents[5] / "docs" / "openapi.json"
REGENERATE = ".venv/bin/changji openapi"


def drift(path: Path = DOCUMENT) -> str | None:
    """Why ``path`` is not the document the code generates (missing or different), or None when it is."""
    if not path.exists():
        return f"{path} is missing: run `{REGENERATE}` and commit it"
    if path.read_text(encoding="utf-8") != openapi_document():
        return f"{path} differs from the API the code serves: run `{REGENERATE}` and commit it"
    return None


class Command(BaseCommand):
    help = "Write the OpenAPI document of /api/ (and Open311) to docs/openapi.json, or --check that it is current."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the file is stale")
        parser.add_argument("--output", type=Path, default=DOCUMENT, help=f"the file (default: {DOCUMENT})")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["output"]
        if options["check"]:
            problem = drift(path)
            if problem:
                raise CommandError(problem)
            self.stdout.write(f"{path} is current")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(openapi_document(), encoding="utf-8")
        self.stdout.write(f"wrote {path}")
