"""Types every app's JSON API shares (``changji.api``): row ids, client text, paging.

Each app's schemas (``water.api.schemas``, ``services.api.schemas``, ``community.api.schemas``) build on
these, so an id, a free-text parameter and a page behave the same under every prefix of ``/api/``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator

#: The largest page a list endpoint returns.
MAX_LIMIT = 500


def _no_nul(value: str) -> str:
    """Refuse NUL characters, which no database text column stores."""
    if "\x00" in value:
        raise ValueError("不能包含 NUL 字符")
    return value


def _no_nul_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and "\\u0000" in json.dumps(value):
        raise ValueError("不能包含 NUL 字符")
    return value


#: A row id (the tables' BigAutoField range), so an absurd number is a 422 rather than a database overflow.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]

#: Free text from a client (query parameter or body field).
Text = Annotated[str, AfterValidator(_no_nul)]
JsonObject = Annotated[dict[str, Any] | None, AfterValidator(_no_nul_json)]


class Pagination(LimitOffsetPagination):
    """Limit/offset paging with at most ``MAX_LIMIT`` items a page (a larger limit is a 422 on ``limit``)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=2**31 - 1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
