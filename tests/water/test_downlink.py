"""Queueing and cancelling commands: validated, audited, refused when they cannot be carried."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from changji.core.models import AuditEntry
from changji.water.downlink import cancel_command, queue_command
from changji.water.models import Command, CommandState

pytestmark = pytest.mark.django_db


def test_queue_command_records_who_why_and_audits(make_terminal, make_user):
    operator = make_user("hutubi", "652323")
    command = queue_command(make_terminal(), "pump_stop", "  超许可水量  ", operator)
    assert command.state == CommandState.QUEUED and command.reason == "超许可水量"
    assert command.requested_by == operator and command.expires_at > command.created_at
    entry = AuditEntry.objects.get(action="water.command.queued")
    assert entry.region_id == "652323" and entry.reason == "超许可水量"


@pytest.mark.parametrize(
    ("kind", "reason", "field"),
    [("pump_stop", "", "reason"), ("explode", "x", "kind"), ("query_picture", " ", "reason")],
)
def test_bad_commands_are_refused_with_the_field_at_fault(make_terminal, kind, reason, field):
    with pytest.raises(ValidationError) as error:
        queue_command(make_terminal(), kind, reason, "cli")
    assert field in error.value.message_dict
    assert not Command.objects.exists()


@pytest.mark.parametrize("protocol", ["szy206", "sl651"])
def test_both_protocol_families_carry_the_picture_query(make_terminal, protocol):
    command = queue_command(make_terminal(protocol=protocol), "query_picture", "人工召测", "cli")
    assert command.kind == "query_picture" and command.state == CommandState.QUEUED


def test_cancel_needs_a_reason_and_an_open_command(make_terminal, make_user):
    command = queue_command(make_terminal(), "pump_start", "恢复供水", "cli")
    with pytest.raises(ValidationError):
        cancel_command(command, "cli", " ")
    cancelled = cancel_command(command, make_user("op", "652323"), "误操作")
    assert cancelled.state == CommandState.CANCELLED
    with pytest.raises(ValidationError):
        cancel_command(cancelled, "cli", "again")


def test_send_command_cli(make_terminal, capsys):
    terminal = make_terminal()
    call_command("send_command", terminal.address, "set_clock", "--reason", "时钟偏差")
    assert Command.objects.get().kind == "set_clock"
    assert "queued set_clock" in capsys.readouterr().out
