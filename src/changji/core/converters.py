"""The ``id`` path converter: a row id in a URL, 1 to the largest 64-bit integer, else no match (404).

Django's ``int`` converter takes any run of digits, so ``/wells/1000000000000000000000000000000/``
reached ``.get(pk=…)`` and every lookup a view made with it; past 2**63 - 1 the database cannot hold
the number (SQLite raises OverflowError, PostgreSQL an error), a 500. Routes of the pages name their
ids ``<id:…>``; the converter is registered by ``CoreConfig.ready``.
"""

from __future__ import annotations

from changji.core.params import MAX_ID


class IdConverter:
    """At most 19 ASCII digits whose value is a row id: 1 to the largest signed 64-bit integer.

    The regex lets 0 through so that a template may reverse a URL with 0 as a placeholder for scripts to
    replace; ``to_python`` refuses it.
    """

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError("not a row id")  # Django reads a ValueError as "no match": 404
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)
