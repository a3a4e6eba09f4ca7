"""The refusal of the 包联 and party organisation services."""

from __future__ import annotations

from changji.core.errors import Refusal


class OrganisationError(Refusal):
    """A refused change to a 包联 or a grid party organisation, with the field at fault (``core.errors``)."""
