"""Region scope: one mechanism bounds what each account sees (core.scope)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured

from changji.core import audit
from changji.core.models import AuditEntry, Region, Role
from changji.core.scope import scope_queryset, user_can_access_region

pytestmark = pytest.mark.django_db


def _codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_county_operator_sees_only_their_county(make_user):
    operator = make_user("hutubi", "652323")
    assert _codes(scope_queryset(Region.objects.all(), operator)) == {"652323"}


def test_prefecture_user_sees_all_seven_counties(make_user):
    admin = make_user("zhou", "652300", role=Role.PREFECTURE_ADMIN)
    codes = _codes(scope_queryset(Region.objects.filter(level=3), admin))
    assert len(codes) == 7


def test_superuser_without_region_is_unbounded(make_user):
    root = make_user("root", None, is_superuser=True)
    assert scope_queryset(Region.objects.all(), root).count() == Region.objects.count()


def test_account_without_region_and_anonymous_see_nothing(make_user):
    lost = make_user("lost", None)
    assert scope_queryset(Region.objects.all(), lost).count() == 0
    assert scope_queryset(Region.objects.all(), AnonymousUser()).count() == 0
    assert not user_can_access_region(lost, Region.objects.get(code="652323"))


def test_scope_follows_a_related_region(make_user):
    operator = make_user("qitai", "652325")
    audit.record("test.a", region=Region.objects.get(code="652325"))
    audit.record("test.b", region=Region.objects.get(code="652301"))
    actions = set(scope_queryset(AuditEntry.objects.all(), operator).values_list("action", flat=True))
    assert actions == {"test.a"}


def test_user_can_access_region_checks_containment(make_user):
    operator = make_user("manas", "652324")
    assert user_can_access_region(operator, Region.objects.get(code="652324"))
    assert not user_can_access_region(operator, Region.objects.get(code="652300"))
    assert not user_can_access_region(operator, None)


def test_model_without_region_scope_is_refused(make_user):
    from django.contrib.auth.models import Group

    with pytest.raises(ImproperlyConfigured, match="declares no REGION_SCOPE"):
        scope_queryset(Group.objects.all(), make_user("x", "652323"))
