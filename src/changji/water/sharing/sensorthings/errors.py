"""The refusal of a SensorThings request: ``StaError(status, message)``, answered as ``{"code", "type", "message"}``.

A subclass of ``core.errors.Refusal`` (pure): a bad ``$filter``, an unknown property or a malformed id is the
asker's to fix (400); an entity or path that does not exist is 404; the switched-off interface is 403. The
answer's shape follows FROST-Server's (the standard only requires the status code, OGC 18-088 §9.2.1).
"""

from __future__ import annotations

from changji.core.errors import Refusal

__pure__ = True

BAD_REQUEST = 400
FORBIDDEN = 403
NOT_FOUND = 404


class StaError(Refusal):
    """A refused SensorThings request: the HTTP status and the message sent back."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(None, message)
        self.status = status

    def body(self) -> dict[str, object]:
        """The JSON error document."""
        return {"code": self.status, "type": "error", "message": self.message}
