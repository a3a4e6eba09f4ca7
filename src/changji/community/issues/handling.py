"""Handling an issue (办理): respond, resolve, hear the resident's verdict, refuse, escalate.

Every state move goes along ``workflow.ISSUE_TABLE`` and every climb along ``workflow.LEVEL_TABLE``
(``changes.move``, ``workflow.check_escalation``); the actor must handle the issue's rung in their
region (``handlers.require``). A reopened issue and a climbed one start a fresh time limit
(``limits``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from changji.community.issues.changes import IssueError, clean_text, locked, move, record
from changji.community.issues.handlers import require
from changji.community.issues.limits import level_limit
from changji.community.issues.workflow import LEVEL_MOVES, EscalationLevel, IssueState, check_escalation
from changji.community.models import ResidentIssue
from changji.core.scope import user_can_access_region
from changji.core.transitions import TransitionError


@transaction.atomic
def accept(issue: ResidentIssue, actor: Any, now: datetime, note: str = "") -> ResidentIssue:
    """受理 / 响应: the handler takes the issue up (again, after a reopen); the first time sets ``responded_at``."""
    issue = locked(issue)
    require(actor, issue)
    if issue.responded_at is None and issue.state == IssueState.REPORTED:
        issue.responded_at = now
    move(issue, IssueState.ACCEPTED, actor, now, clean_text(note, "note", "说明", 500, False))
    return issue


@transaction.atomic
def resolve(issue: ResidentIssue, actor: Any, now: datetime, resolution: str) -> ResidentIssue:
    """办结: the handler reports what was done; the resident's verdict is awaited."""
    issue = locked(issue)
    require(actor, issue)
    issue.resolution = clean_text(resolution, "resolution", "办理结果", 2000)
    issue.resolved_at = now
    move(issue, IssueState.RESOLVED, actor, now, issue.resolution)
    return issue


@transaction.atomic
def feedback(issue: ResidentIssue, satisfied: bool, now: datetime, comment: str = "",
             actor: Any = None) -> ResidentIssue:
    """The resident's verdict on a resolved issue: satisfied closes it, not satisfied reopens it on a fresh limit.

    ``actor`` is the staff member recording the verdict for the resident (回访), None for the resident.
    """
    issue = locked(issue)
    if actor is not None:
        require(actor, issue, EscalationLevel.GRID)
    comment = clean_text(comment, "comment", "评价意见", 500, False)
    issue.satisfied = bool(satisfied)
    if satisfied:
        issue.closed_at = now
        move(issue, IssueState.CLOSED, actor, now, comment or "群众满意")
    else:
        issue.reopen_count += 1
        issue.resolved_at = None
        issue.level_started_at = now
        issue.due_at = now + level_limit(issue.category, issue.level)
        move(issue, IssueState.REOPENED, actor, now, comment or "群众不满意，重新办理")
    return issue


@transaction.atomic
def reject(issue: ResidentIssue, actor: Any, now: datetime, reason: str,
           duplicate_of: ResidentIssue | None = None) -> ResidentIssue:
    """不予受理: not an issue for the community, or a duplicate of ``duplicate_of`` (which stays open)."""
    issue = locked(issue)
    require(actor, issue)
    reason = clean_text(reason, "reason", "理由", 500)
    if duplicate_of is not None:
        if duplicate_of.pk == issue.pk:
            raise IssueError("duplicate_of", "诉求不能重复于自身")
        if duplicate_of.state == IssueState.REJECTED or not user_can_access_region(actor, duplicate_of.region):
            raise IssueError("duplicate_of", f"不能标记为重复于 {duplicate_of.request_id}")
        issue.duplicate_of = duplicate_of
    move(issue, IssueState.REJECTED, actor, now, reason,
          duplicate_of=duplicate_of.request_id if duplicate_of else None)
    return issue


@transaction.atomic
def escalate(issue: ResidentIssue, actor: Any, now: datetime, reason: str) -> ResidentIssue:
    """上报: one rung up the ladder, with a fresh time limit there; only while the issue is open."""
    issue = locked(issue)
    require(actor, issue)
    reason = clean_text(reason, "reason", "上报理由", 500)
    current = EscalationLevel(issue.level)
    target = next(iter(LEVEL_MOVES[current]), current)
    try:
        check_escalation(current, target, issue.state)
    except TransitionError as error:
        raise IssueError("level", str(error)) from error
    issue.level = target
    issue.level_started_at = now
    issue.due_at = now + level_limit(issue.category, target)
    issue.save()
    record(issue, actor, now, "escalate", current, target, reason, action="escalated")
    return issue
