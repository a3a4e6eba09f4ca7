"""``changji readings ADDRESS``: a terminal's stored readings, one JSON object a line."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from changji.water.models import Frame, Reading

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def test_prints_readings_in_order_with_local_times(make_terminal, capsys):
    terminal = make_terminal()
    frame = Frame.objects.create(received_at=T0, peer="p", protocol="szy206", raw=b"\x68", outcome="stored")
    for minutes in (10, 0, 5):
        Reading.objects.create(terminal=terminal, observed_at=T0 + timedelta(minutes=minutes), received_at=T0,
                               volume_m3=float(minutes), frame=frame)
    call_command("readings", terminal.address, "--json", "--since", "2026-07-01T10:05:00")
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["observed_at"] for row in rows] == ["2026-07-01T10:05:00+08:00", "2026-07-01T10:10:00+08:00"]
    assert rows[0]["volume_m3"] == 5.0 and "flow_m3h" in rows[0]


def test_unknown_address_is_a_clear_error():
    with pytest.raises(CommandError, match="no registered terminal has address 0000000000"):
        call_command("readings", "0000000000")
