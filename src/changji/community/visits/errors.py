"""The refusal of the visit, care and residents' meeting services (``core.errors.Refusal``)."""

from __future__ import annotations

from changji.core.errors import Refusal


class VisitError(Refusal):
    """A refused visit, care tagging or residents' meeting, with the field at fault and a Chinese message."""
