"""Typed query and form parameters of the pages: one parser, one error, answered once as a Chinese 400.

Why a module of its own: Python's ``str.isdigit()`` says yes to "²" and "٣" (and ``int("²")`` then
raises), ``int()`` reads "１２" as 12, ``date.fromisoformat`` takes 9999-12-31 and 0001-01-01 whose
conversion to UTC or next day overflows, a 30-digit id overflows the database's 64-bit integers and
PostgreSQL refuses a NUL character in text. Each was a 500. Here a parameter is read once, by its
type: ASCII digits only, years within what the platform stores and converts (``FIRST_YEAR`` to
``LAST_YEAR``), ids within 64 bits, choices checked, NUL and overlong text refused. Anything odd
raises ``ParamError``, a ``core.errors.Refusal``: it is answered with the 400 page naming the parameter
(``core.error_pages``), so no view catches it.

A page reads its query with ``parse`` (or one parameter with ``query``)::

    chosen = params.parse(request.GET, {"year": params.Year(default=this_year), "page": params.Page(),
                                        "state": params.Choice(STATES)})

Forms use the bounded fields (``DayField``, ``MomentField``, ``YearField``, ``IdField``) where a value
goes into date arithmetic or a lookup; paths carry ids through the ``id`` converter (``core.converters``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import BadRequest
from django.utils.http import url_has_allowed_host_and_scheme

from changji.core.errors import Refusal
from changji.core.localtime import SHANGHAI

#: The years a date or time may fall in: what every table stores and every time zone conversion survives.
FIRST_YEAR, LAST_YEAR = 1970, 2100
#: The database's ids are signed 64-bit integers.
MAX_ID = 2**63 - 1
#: The longest page number asked for (a list of 50 a page would hold 50 million rows).
MAX_PAGE = 1_000_000

_INTEGER = re.compile(r"-?[0-9]{1,20}", re.ASCII)
_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?", re.ASCII)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                     r"(Z|[+-][0-9]{2}:?[0-9]{2})?", re.ASCII)


class ParamError(Refusal, BadRequest):
    """A query or form parameter that cannot be used; ``message`` (Chinese) names it, and it becomes a 400.

    A ``core.errors.Refusal`` on the parameter; also Django's ``BadRequest``, so that one raised by a
    middleware (outside any view) is answered with the same 400 page (``core.error_pages.bad_request``).
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(name, f"参数「{name}」{message}")
        self.name = name

    def __repr__(self) -> str:
        return f"ParamError(name={self.name!r}, message={self.message!r})"


class Param:
    """One parameter type: ``convert`` turns the raw text into a value or raises ValueError with the reason."""

    max_length = 100

    def __init__(self, *, default: Any = None) -> None:
        self.default = default

    def convert(self, raw: str) -> Any:
        raise NotImplementedError("subclasses of Param must provide convert()")

    def read(self, name: str, raw: str | None) -> Any:
        """The value of ``raw`` (None or blank: the default), or ParamError naming ``name``."""
        if raw is None:
            return self.default
        if "\x00" in raw:
            raise ParamError(name, "含有非法字符")
        if len(raw) > self.max_length:
            raise ParamError(name, f"过长（至多 {self.max_length} 个字符）")
        raw = raw.strip()
        if not raw:
            return self.default
        try:
            return self.convert(raw)
        except (ValueError, OverflowError) as error:
            raise ParamError(name, str(error) if isinstance(error, ValueError) and error.args else "取值无效") from None


class Int(Param):
    """A whole number of ASCII digits between ``low`` and ``high``."""

    def __init__(self, low: int = 0, high: int = MAX_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high = low, high

    def convert(self, raw: str) -> int:
        if not _INTEGER.fullmatch(raw) or not self.low <= int(raw) <= self.high:
            raise ValueError(f"应为 {self.low}–{self.high} 之间的整数")
        return int(raw)


class Id(Int):
    """A row id: 1 to the largest 64-bit integer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(1, MAX_ID, **kwargs)

    def convert(self, raw: str) -> int:
        try:
            return super().convert(raw)
        except ValueError:
            raise ValueError("应为有效的编号（正整数）") from None


class Page(Int):
    """A page number of a paged list (default 1)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default", 1)
        super().__init__(1, MAX_PAGE, **kwargs)


class Year(Int):
    """A year the platform can store and convert (``FIRST_YEAR``–``LAST_YEAR``, or narrower)."""

    def __init__(self, first: int = FIRST_YEAR, last: int = LAST_YEAR, **kwargs: Any) -> None:
        super().__init__(max(first, FIRST_YEAR), min(last, LAST_YEAR), **kwargs)

    def convert(self, raw: str) -> int:
        if not (len(raw) == 4 and raw.isascii() and raw.isdigit()) or not self.low <= int(raw) <= self.high:
            raise ValueError(f"应为 {self.low}–{self.high} 之间的四位年份")
        return int(raw)


class Number(Param):
    """A finite decimal number of ASCII digits between ``low`` and ``high`` (no exponent, no nan or inf)."""

    def __init__(self, low: float, high: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high = low, high

    def convert(self, raw: str) -> float:
        value = float(raw) if _NUMBER.fullmatch(raw) else math.nan
        if not self.low <= value <= self.high:
            raise ValueError(f"应为 {self.low:g}–{self.high:g} 之间的数")
        return value


class BBox(Param):
    """A map box ``west,south,east,north`` in WGS 84 degrees (as Leaflet's ``toBBoxString``), west < east etc."""

    def convert(self, raw: str) -> tuple[float, float, float, float]:
        parts = raw.split(",")
        if len(parts) != 4 or not all(_NUMBER.fullmatch(p.strip()) for p in parts):
            raise ValueError("应为“西,南,东,北”四个经纬度数值，以逗号分隔")
        west, south, east, north = (float(p) for p in parts)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError("的经纬度超出范围，或西不小于东、南不小于北")
        return west, south, east, north


def _check_year(value: date | datetime, first: int, last: int) -> None:
    if not first <= value.year <= last:
        raise ValueError(f"的年份应在 {first}–{last} 之间")


class Day(Param):
    """A calendar day written YYYY-MM-DD, within ``FIRST_YEAR``–``LAST_YEAR``."""

    def __init__(self, first: int = FIRST_YEAR, last: int = LAST_YEAR, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.first, self.last = max(first, FIRST_YEAR), min(last, LAST_YEAR)

    def convert(self, raw: str) -> date:
        try:
            day = date.fromisoformat(raw) if _DAY.fullmatch(raw) else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError("应为 YYYY-MM-DD 格式的有效日期")
        _check_year(day, self.first, self.last)
        return day


class Moment(Param):
    """An ISO 8601 time (a bare day is its midnight, when ``days``); without an offset it is Asia/Shanghai time."""

    def __init__(self, *, days: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.days = days

    def convert(self, raw: str) -> datetime:
        moment: datetime | None
        if self.days and _DAY.fullmatch(raw):
            moment = datetime.combine(Day().convert(raw), datetime.min.time())
        else:
            try:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00")) if _MOMENT.fullmatch(raw) else None
            except ValueError:
                moment = None
            if moment is None:
                raise ValueError("应为 ISO 8601 时间（如 2026-01-01T08:00:00+08:00）")
        _check_year(moment, FIRST_YEAR, LAST_YEAR)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


class Choice(Param):
    """One of a fixed set of values (an enum's values, or (value, label) pairs)."""

    def __init__(self, choices: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values = [str(c[0] if isinstance(c, tuple | list) else c) for c in choices]

    def convert(self, raw: str) -> str:
        if raw not in self.values:
            shown = "、".join(self.values[:12]) + ("等" if len(self.values) > 12 else "")
            raise ValueError(f"应为以下取值之一：{shown}")
        return raw


class Text(Param):
    """Free text (a search, a number to look up), stripped, at most ``max_length`` characters."""

    def __init__(self, max_length: int = 100, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def convert(self, raw: str) -> str:
        return raw


class Code(Param):
    """A code of a fixed shape (``pattern``, ASCII), described in ``what`` for the message."""

    def __init__(self, pattern: str, what: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pattern, self.what = re.compile(pattern, re.ASCII), what

    def convert(self, raw: str) -> str:
        if not self.pattern.fullmatch(raw):
            raise ValueError(f"应为{self.what}")
        return raw


class LocalPath(Param):
    """A page of this site to return to (``next``): a path starting with one "/", never another host or scheme."""

    max_length = 2000

    def convert(self, raw: str) -> str:
        if not raw.startswith("/") or raw.startswith("//") or not url_has_allowed_host_and_scheme(raw, None):
            raise ValueError("应为本站的页面地址")
        return raw


class RegionCode(Code):
    """An administrative region code (GB/T 2260 and its extensions): 6, 9, 12 or 15 digits."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(r"[0-9]{6}(?:[0-9]{3}){0,3}", "6、9、12 或 15 位行政区划代码", **kwargs)


def refuse_nul(data: Any) -> None:
    """Raise ParamError when a name or value of ``data`` (a QueryDict) holds a NUL character."""
    for name, values in data.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise ParamError(name.replace("\x00", "")[:40] or "?", "含有非法字符")


def parse(data: Mapping[str, Any], spec: Mapping[str, Param]) -> dict[str, Any]:
    """Read each parameter of ``spec`` from ``data`` (``request.GET`` or ``request.POST``); of repeats, the last."""
    return {name: param.read(name, data.get(name)) for name, param in spec.items()}


def query(request: Any, name: str, param: Param) -> Any:
    """One query parameter of ``request`` read as ``param``."""
    return param.read(name, request.GET.get(name))


# --- Form fields with the same bounds -----------------------------------------------------------------------


class DayField(forms.DateField):
    """A form's date within ``FIRST_YEAR``–``LAST_YEAR`` (Django's DateField takes year 1 to 9999)."""

    def __init__(self, *args: Any, first: int = FIRST_YEAR, last: int = LAST_YEAR, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)
        self.first, self.last = first, last

    def to_python(self, value: Any) -> date | None:
        day = super().to_python(value)
        if day is not None and not self.first <= day.year <= self.last:
            raise forms.ValidationError(f"日期的年份应在 {self.first}–{self.last} 之间", code="year")
        return day


class MomentField(forms.DateTimeField):
    """A form's date and time within ``FIRST_YEAR``–``LAST_YEAR``."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise forms.ValidationError(f"时间的年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间", code="year")
        return moment


class YearField(forms.IntegerField):
    """A form's year within ``FIRST_YEAR``–``LAST_YEAR`` (or narrower)."""

    def __init__(self, *args: Any, first: int = FIRST_YEAR, last: int = LAST_YEAR, **kwargs: Any) -> None:
        super().__init__(*args, min_value=first, max_value=last, **kwargs)


class IdField(forms.IntegerField):
    """A form's row id (hidden inputs naming an entry or a sub-case): 1 to the largest 64-bit integer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)

