"""``__in`` on integer columns leaves out numbers no 64-bit column holds, as Django's ``exact`` already does.

SQLite overflowed on them: a 500 from every multiple-choice form, the admin's included.
"""

from __future__ import annotations

import pytest
from django import forms

from changji.core.models import User

pytestmark = pytest.mark.django_db


def test_out_of_range_ids_match_nothing_and_the_rest_still_match(make_user):
    user = make_user("in-range", None)
    assert list(User.objects.filter(pk__in=[10**30])) == []
    assert list(User.objects.filter(pk__in=[10**30, -(10**30), user.pk])) == [user]
    assert User.objects.filter(pk__in=User.objects.filter(pk=user.pk)).count() == 1  # subqueries untouched


def test_a_multiple_choice_field_refuses_a_huge_id_as_a_form_error(make_user):
    user = make_user("chosen", None)

    class Pick(forms.Form):
        users = forms.ModelMultipleChoiceField(queryset=User.objects.all())

    assert not Pick({"users": [str(10**30)]}).is_valid()
    assert Pick({"users": [str(user.pk)]}).is_valid()
