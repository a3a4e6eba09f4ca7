"""The refusal of the visit, care and residents' meeting services (``core.errors.Refusal``)."""

from __future__ import annotations

from changji.community.issues.changes import clean_text as issue_text
from changji.core.errors import Refusal


class VisitError(Refusal):
    """A refused visit, care tagging or residents' meeting, with the field at fault and a Chinese message."""


def clean_text(value: str, field: str, label: str, max_length: int, required: bool = True) -> str:
    """``value`` stripped (``community.issues.changes.clean_text``), refused as a ``VisitError`` on ``field``."""
    try:
        return issue_text(value, field, label, max_length, required)
    except Refusal as error:
        raise VisitError(error.field, error.message) from None
