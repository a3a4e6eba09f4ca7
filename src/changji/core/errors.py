"""The one error for "the request is refused": ``Refusal(field, message)`` (pure: no Django).

A refusal is the domain saying no to what was asked, for a reason the asker can fix: a blank reason,
an identity number whose check character is wrong, a move the state table forbids, a booking that
overlaps another. Its ``message`` is Chinese and fit to show as it is; its ``field`` names the input at
fault (``None``: the request as a whole). It is not a fault of the platform, so it is answered with
400 and the message, never 500, and nothing has changed. Permission is not a refusal (Django's
``PermissionDenied``, 403), and neither is a missing object (``Http404``).

The hierarchy (each class is defined in the module named beside it)::

    ValueError
     └── Refusal(field, message)               core.errors       status 400
          ├── ParamError(name, message)        core.params       a page's query or form parameter; also
          │                                                      Django's BadRequest, for middleware
          ├── IdentifierError(message)         core.identity     a GB 32100 / GB 11643 number
          ├── UploadError(message)             core.uploads      an upload that cannot be read at all
          │    └── WorkbookError(message)      water.registry.xlsx_import
          ├── TransitionError(field, message)  core.transitions  a move a state table forbids
          ├── GeometryError(message)           community.grids.geo
          ├── InputError(field, message)       community.actors
          ├── OrganisationError(field, message) community.organisations.errors
          ├── IssueError(field, message)       community.issues.changes
          ├── BookingError(field, message)     community.venues.bookings
          ├── Open311Error(status, message)    community.open311  answered in GeoReport v2's shape
          └── CaseError(field, message)        services.cases

Subclasses name where a refusal comes from, so that a caller can catch one domain's refusals (Open311
answers an ``IssueError`` naming its own parameter); ``IdentifierError``, ``UploadError`` and
``GeometryError`` judge one value without knowing which field carried it, so they are built from the
message alone. ``Refusal`` derives from ``ValueError``: a refused value is a wrong value, and code that
caught the domain errors as ``ValueError`` before they shared this base still catches them.

Where a refusal becomes a 400, once each:

* pages — ``core.middleware.RefusalMiddleware`` answers a refusal raised by a view with
  ``core.error_pages.refused``: the 400 page in the platform's layout with the message (JSON under
  ``/api/``, ``/open311/`` and for ``….json`` data);
* the API — ``changji.api``'s exception handler: ``{"detail": {field: [message]}}``;
* forms — ``core.web_forms.refuse`` puts a refusal on the form field it names (or on the whole form),
  and ``core.web_forms.run_action`` does so for every action a detail page runs.
"""

from __future__ import annotations

__pure__ = True  # no Django: tests/test_architecture.py checks it


class Refusal(ValueError):
    """The request is refused: ``message`` (Chinese, fit to show) says why, ``field`` names the input at fault."""

    #: The HTTP status the refusal is answered with.
    status = 400

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(field={self.field!r}, message={self.message!r})"
