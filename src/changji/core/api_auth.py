"""Authentication for the JSON API, and the access policy checked before a request body is read.

Bearer tokens for machines, the session for the pages' own calls; either way ``request.user`` is the
account, so ``core.scope`` limits every query the same way as on the pages. Session calls that change
something need the CSRF token (django-ninja checks it).

Once the account is known, the permission the operation declares (``core.guards.operation``) is checked
here, before django-ninja validates the body or the parameters: a role without it gets 403 whatever it
sends, not a 422 that would describe the operation's input.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from changji.core.access import require
from changji.core.guards import PUBLIC, SIGNED_IN, declared
from changji.core.models import ApiToken


def authorise(request: HttpRequest, user: Any) -> Any:
    """Return ``user`` when the policy lets them call the resolved operation; raise 403 otherwise."""
    match = getattr(request, "resolver_match", None)
    access_of = declared(match.func) if match is not None else None
    needed = access_of.requirement(request.method or "GET") if access_of is not None else None
    if needed is not None and needed is not PUBLIC and needed is not SIGNED_IN:
        require(user, needed)
    return user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a token issued by ``changji createuser --token`` or the admin."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.authenticate(token)
        if found is None:
            return None
        request.user = found.user
        return authorise(request, found.user)


class PolicySessionAuth(SessionAuth):
    """The signed-in session, under the same policy check as a token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return authorise(request, user) if user is not None else None


API_AUTH = [TokenAuth(), PolicySessionAuth()]
