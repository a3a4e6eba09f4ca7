"""Queue and cancel downlink commands (远程控制). The gateway delivers what is queued here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from changji.core import access, audit
from changji.water.models import Command, CommandKind, CommandState, Terminal

#: Commands each protocol family can carry (SL651 表B.1; SZY206 §2.5; the picture query: SL651 36H, SZY206 61H).
SUPPORTED_KINDS: dict[str, frozenset[str]] = {
    "szy206": frozenset(
        {"pump_stop", "pump_start", "pump_unlock", "quota_on", "quota_off", "set_clock", "query_realtime",
         "query_picture"}
    ),
    "sl651": frozenset(
        {"pump_stop", "pump_start", "pump_unlock", "quota_on", "quota_off", "set_clock", "query_realtime",
         "query_picture"}
    ),
}
DEFAULT_TTL = timedelta(hours=2)


@transaction.atomic
def queue_command(terminal: Terminal, kind: str, reason: str, by: Any, params: dict[str, Any] | None = None,
                  ttl: timedelta = DEFAULT_TTL, max_attempts: int = 3) -> Command:
    """Queue ``kind`` for ``terminal``; it is sent after the terminal's next uplink. Audited.

    ``by`` is the account that asks (it must hold ``water.command.send`` within the terminal's region) or the
    name of the system job that does (the quota sweep).
    """
    access.check_actor(by, access.P.WATER_COMMAND_SEND, terminal.region)
    if terminal.reported_by:  # its field connection is the lower level's (water.sharing): never commanded from here
        raise ValidationError({"terminal": "该终端由下级平台接入并上报，本级平台不能向其下发指令"})
    if kind not in CommandKind.values:
        raise ValidationError({"kind": f"未知指令：{kind}"})
    if kind not in SUPPORTED_KINDS.get(terminal.protocol, frozenset()):
        raise ValidationError({"kind": f"{terminal.get_protocol_display()} 终端不支持该指令"})
    if not reason or not reason.strip():
        raise ValidationError({"reason": "必须填写下发原因"})
    if not 1 <= max_attempts <= 10:
        raise ValidationError({"max_attempts": "下发次数应在 1 到 10 之间"})
    is_user = getattr(by, "is_authenticated", False)
    command = Command.objects.create(
        terminal=terminal, kind=kind, params=params or {}, reason=reason.strip(),
        requested_by=by if is_user else None, requested_by_name=by.get_username() if is_user else str(by),
        expires_at=timezone.now() + ttl, max_attempts=max_attempts,
    )
    audit.record("water.command.queued", actor=by, target=command, region=terminal.region, reason=command.reason,
                 kind=kind, terminal=terminal.address)
    return command


@transaction.atomic
def cancel_command(command: Command, by: Any, reason: str) -> Command:
    """Cancel a command that has not ended. Audited."""
    command = Command.objects.select_for_update().select_related("terminal__region").get(pk=command.pk)
    access.check_actor(by, access.P.WATER_COMMAND_SEND, command.terminal.region)
    if not command.is_open:
        raise ValidationError({"state": f"指令已{command.get_state_display()}，不能撤销"})
    if not reason or not reason.strip():
        raise ValidationError({"reason": "必须填写撤销原因"})
    command.state = CommandState.CANCELLED
    command.finished_at = timezone.now()
    command.error = f"cancelled: {reason.strip()}"[:255]
    command.save(update_fields=["state", "finished_at", "error"])
    audit.record("water.command.cancelled", actor=by, target=command, region=command.terminal.region,
                 reason=reason.strip())
    return command
