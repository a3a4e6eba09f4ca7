"""Docstrings and comments cite the repository's own files or the standards, never documents outside the repo.

A reader of the code has the repository and the standards (SL651-2014, SZY206-2016, SL/T 427-2021,
GB/T 2260, GB 11643, GeoReport v2), nothing else: a design note or style guide kept beside the repository
is gone for them. The rules the code relies on are in ``docs/architecture.md``, the protocol findings in
``docs/protocols.md``, and a citation of either must name a section that exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tests", "benchmarks", "scripts", "docs")
SUFFIXES = {".py", ".md", ".html", ".txt", ".toml", ".cfg", ".js", ".css", ".sh"}
#: Documents that live outside the repository (split so this file does not match itself).
OUTSIDE = ("DESIGN" + ".md", "STYLE" + ".md", "shared" + "/")


def _texts() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in SCANNED:
        files += [path for path in (ROOT / folder).rglob("*")
                  if path.is_file() and path.suffix in SUFFIXES
                  and not {"vendor", "__pycache__", "node_modules"} & set(path.parts)
                  and not path.name.endswith(".egg-info")]
    return sorted(files)


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8", errors="replace") for path in _texts()}


def test_nothing_cites_a_document_outside_the_repository(texts):
    found = [f"{name}:{text.count(chr(10), 0, text.index(doc)) + 1}: {doc}"
             for name, text in texts.items() for doc in OUTSIDE if doc in text]
    assert found == []


def test_the_scan_sees_the_source_and_the_docs(texts):
    assert {"src/changji/core/regions.py", "docs/architecture.md", "README.md", "benchmarks/decode.py"} <= set(texts)


def _headings(path: Path) -> list[str]:
    return [line.lstrip("#").strip() for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]


def test_cited_repository_documents_exist(texts):
    cited = {match for text in texts.values() for match in re.findall(r"\bdocs/[\w-]+\.md\b", text)}
    assert cited and all((ROOT / doc).is_file() for doc in cited), sorted(d for d in cited if not (ROOT / d).is_file())


def test_cited_sections_exist(texts):
    """``docs/architecture.md, "Late data is normal"`` and ``docs/protocols.md §2.7`` name real headings."""
    architecture = _headings(ROOT / "docs/architecture.md")
    protocols = {heading.split()[0] for heading in _headings(ROOT / "docs/protocols.md")}
    missing = []
    for name, text in texts.items():
        for section in re.findall(r'docs/architecture\.md(?:, | \()"([^"]+)"', text):
            if section not in architecture:
                missing.append(f"{name}: docs/architecture.md {section!r}")
        for number in re.findall(r"docs/protocols\.md §(\d+(?:\.\d+)?)", text):
            if f"{number}." not in protocols and number not in protocols:
                missing.append(f"{name}: docs/protocols.md §{number}")
    assert missing == []
