"""How every change to an issue is made: the refusal, the locked row, checked text, and the event it leaves.

Each change locks the issue row (``locked``), checks its texts (``clean_text``), moves the state only
along ``workflow.ISSUE_TABLE`` (``move``) and appends an ``IssueEvent`` (the history the pages show)
and, when staff or a named client act, the audit entry ``community.issue.<what>`` (``record``).
A refusal is an ``IssueError`` naming the field at fault; a move the table forbids is re-raised as one
on ``state``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from changji.community.issues.workflow import ISSUE_TABLE, IssueState
from changji.community.models import IssueEvent, ResidentIssue
from changji.core import audit
from changji.core.errors import Refusal
from changji.core.transitions import TransitionError, check_transition


class IssueError(Refusal):
    """A refused request on an issue, with the field at fault (``core.errors``; Open311 names its own parameter).

    A move the issue or escalation table forbids is re-raised as an ``IssueError`` on the same field.
    """


def record(issue: ResidentIssue, actor: Any, now: datetime, kind: str, from_value: str, to_value: str,
           note: str = "", action: str | None = None, **detail: Any) -> None:
    """Append the change to the issue's history; audit it when staff (or a named client, ``actor`` a label) acted."""
    is_user = getattr(actor, "is_authenticated", False)
    IssueEvent.objects.create(issue=issue, at=now, actor=actor if is_user else None, kind=kind,
                              from_value=from_value, to_value=to_value, note=note)
    if is_user or isinstance(actor, str):
        audit.record(f"community.issue.{action or to_value}", actor=actor, target=issue, region=issue.region,
                     reason=note, request_id=issue.request_id, **detail)


def locked(issue: ResidentIssue) -> ResidentIssue:
    """The issue's row, locked until the transaction ends (two handlers acting at once are serialised)."""
    return ResidentIssue.objects.select_for_update().select_related("category", "region").get(pk=issue.pk)


def move(issue: ResidentIssue, target: IssueState, actor: Any, now: datetime, note: str, **detail: Any) -> None:
    """Move the (locked) issue to ``target`` along ``ISSUE_TABLE``, save it and record the change."""
    current = issue.state
    try:
        check_transition(ISSUE_TABLE, current, target)
    except TransitionError as error:
        raise IssueError("state", str(error)) from error
    issue.state = target
    issue.save()
    record(issue, actor, now, "state", current, target, note, **detail)


def clean_text(value: str, field: str, label: str, max_length: int, required: bool = True) -> str:
    """``value`` stripped, or ``IssueError`` on ``field`` when it is missing (if required), holds NUL or is too long."""
    value = (value or "").strip()
    if required and not value:
        raise IssueError(field, f"请填写{label}")
    if "\x00" in value:  # no database text column stores NUL (PostgreSQL refuses it)
        raise IssueError(field, f"{label}含有非法字符")
    if len(value) > max_length:
        raise IssueError(field, f"{label}不能超过 {max_length} 个字")
    return value
