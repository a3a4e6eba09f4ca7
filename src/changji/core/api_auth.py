"""Authentication for the JSON API: bearer tokens for machines, the session for the pages' own calls.

Either way ``request.user`` is the account, so ``core.scope`` limits every query the same way as
on the pages. Session calls that change something need the CSRF token (django-ninja checks it).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a token issued by ``changji createtoken`` or the admin."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.authenticate(token)
        if found is None:
            return None
        request.user = found.user
        return found.user


API_AUTH = [TokenAuth(), SessionAuth()]
