"""Who may act on an issue: scope and rung refusals change nothing, inboxes and offered actions."""

from __future__ import annotations

import pytest

from changji.community.issues import handlers, handling
from changji.community.issues.changes import IssueError
from changji.community.issues.workflow import IssueState
from changji.community.models import IssueEvent
from changji.core.models import AuditEntry, Role
from tests.community.issues.test_intake import NOW, file, fresh

pytestmark = pytest.mark.django_db


def test_scope_and_rung_refusals(cats, community_world, make_user):
    users = community_world.users
    issue = file(cats)
    viewer = make_user("town-viewer", community_world.town.code, role=Role.TOWNSHIP_VIEWER)
    west = make_user("west-worker", community_world.west.code, role=Role.COMMUNITY_WORKER)
    before = (IssueEvent.objects.count(), AuditEntry.objects.count())
    attempts = [
        lambda actor: handling.accept(issue, actor, NOW, ""),
        lambda actor: handling.reject(issue, actor, NOW, "越权"),
        lambda actor: handling.escalate(issue, actor, NOW, "越权"),
    ]
    for actor in (users.grid_c, west, viewer):
        for attempt in attempts:
            with pytest.raises(IssueError) as caught:
                attempt(actor)
            assert caught.value.field == "actor"
        assert handlers.allowed_actions(issue, actor) == []
    assert (IssueEvent.objects.count(), AuditEntry.objects.count()) == before
    assert fresh(issue).state == IssueState.REPORTED
    assert list(handlers.inbox_for(users.grid_c)) == [] and list(handlers.inbox_for(viewer)) == []
    assert handlers.allowed_actions(issue, users.grid_a) == ["accept", "escalate", "reject"]
    assert handlers.allowed_actions(issue, users.east) == ["accept", "escalate", "reject"]  # stepping in below

    issue = handling.accept(issue, users.grid_a, NOW, "")
    issue = handling.resolve(issue, users.grid_a, NOW, "已处理")
    with pytest.raises(IssueError):
        handling.feedback(issue, True, NOW, actor=users.grid_c)  # a verdict recorded out of scope
    assert handlers.allowed_actions(issue, users.grid_a) == ["feedback"]
