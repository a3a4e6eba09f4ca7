"""The audit log records who did what to which object."""

import pytest

from changji.core import audit
from changji.core.models import AuditEntry, Region

pytestmark = pytest.mark.django_db


def test_record_by_a_user_keeps_the_name_target_and_region(make_user):
    operator = make_user("fukang", "652302")
    region = Region.objects.get(code="652302")
    entry = audit.record("region.rename", actor=operator, target=region, reason="typo", old="a", new="b")
    entry.refresh_from_db()
    assert entry.actor == operator and entry.actor_name == "fukang"
    assert entry.object_type == "core.region" and entry.object_id == "652302"
    assert entry.region is None  # Region has no region attribute: not inferred
    assert entry.reason == "typo" and entry.detail == {"old": "a", "new": "b"}


def test_system_actions_name_the_system():
    entry = audit.record("quota.sweep")
    assert entry.actor is None and entry.actor_name == "system"


def test_entries_are_kept_after_the_account_is_removed(make_user):
    operator = make_user("gone", "652302")
    audit.record("x", actor=operator)
    operator.delete()
    entry = AuditEntry.objects.get(action="x")
    assert entry.actor is None and entry.actor_name == "gone"
