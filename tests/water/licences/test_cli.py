"""``changji water import-licences FILE``: the summary and exit 0, or the problems and exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from changji.water.models import Licence
from tests.water.licences.test_xlsx import book, row

CHANGJI = str(Path(sys.executable).with_name("changji"))


def test_a_good_workbook_is_imported_as_cli(world, tmp_path, capsys):
    path = tmp_path / "licences.xlsx"
    path.write_bytes(book(row(), row("取水2026-009", user="CJ-U1", wells="CJ-U1-W0")))
    call_command("water", "import-licences", str(path))
    assert "新增 2 份" in capsys.readouterr().out
    assert Licence.objects.count() == 2  # the whole instance is in the command's scope


def test_row_problems_exit_1_and_change_nothing(world, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(book(row(), row("取水2026-002", user="NOPE")))
    with pytest.raises(CommandError, match="未作任何更改"):
        call_command("water", "import-licences", str(path))
    assert "第 3 行 取水权人编号" in capsys.readouterr().err
    assert not Licence.objects.exists()
    with pytest.raises(CommandError, match="无法读取"):
        call_command("water", "import-licences", str(tmp_path / "missing.xlsx"))


def _changji(*args, data_dir):
    """Run `changji` on a SQLite file of its own under ``data_dir`` (so the test is ``database_independent``)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"CHANGJI_DATA_DIR": str(data_dir)}
    return subprocess.run([CHANGJI, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.database_independent
def test_an_unreadable_file_exits_1(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK not really")
    done = _changji("water", "import-licences", str(bad), data_dir=tmp_path)
    assert done.returncode == 1 and "XLSX" in done.stderr


@pytest.mark.slow
@pytest.mark.database_independent
def test_exit_0_then_1_on_a_fresh_database(migrated_sqlite, tmp_path):
    migrated_sqlite(tmp_path)  # a freshly migrated database (`changji migrate` once a session, tests/conftest.py)
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(book())
    done = _changji("water", "import-licences", str(empty), data_dir=tmp_path)
    assert done.returncode == 0 and "新增 0 份" in done.stdout, done.stderr
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(book(row(user="NOPE")))
    done = _changji("water", "import-licences", str(bad), data_dir=tmp_path)
    assert done.returncode == 1 and "第 2 行 取水权人编号" in done.stderr
