"""``__in`` on integer columns that drops numbers no 64-bit column can hold, like Django's ``exact`` does.

Django (since 5.0) answers ``pk=10**30`` with "no row" instead of sending the number, but ``pk__in=[10**30]``
still goes to the database, where SQLite raises OverflowError: a 500 from every multiple-choice form field
(``ModelMultipleChoiceField`` checks its ids with ``pk__in``), the admin's included. Such an id names no row,
so leaving it out changes no answer. Registered on ``IntegerField`` (and so on every auto and big integer
field) by ``CoreConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.lookups import In

#: The values a signed 64-bit integer column holds; every backend's widest integer.
LOWEST, HIGHEST = -(2**63), 2**63 - 1


class BoundedIntegerIn(In):
    """``__in`` without the integers outside the signed 64-bit range (none is an empty result, as for ``exact``)."""

    def get_prep_lookup(self) -> Any:
        prepared = super().get_prep_lookup()
        if not isinstance(prepared, list | tuple | set | frozenset):
            return prepared  # a subquery or an expression
        return [value for value in prepared if not isinstance(value, int) or LOWEST <= value <= HIGHEST]
