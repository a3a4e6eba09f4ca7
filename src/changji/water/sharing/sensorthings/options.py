"""Resource paths and query options of a SensorThings request (OGC 18-088 §9.2 and §9.3), parsed without Django.

A path is a list of segments: an entity set or navigation property with an optional key (``Things('x')``), a
property name, ``$value`` or ``$ref``. The query options are ``$top``, ``$skip``, ``$count``, ``$select``,
``$orderby``, ``$expand`` and ``$filter``; inside ``$expand`` each navigation property may carry its own options
between parentheses, separated by ``;`` (``Datastreams($select=name;$expand=Observations($top=3))``), and a path
(``Datastreams/Observations``) expands each level. ``$filter`` is kept as text: ``filters`` parses it with
odata-query. ``$top`` defaults to ``DEFAULT_TOP`` and is capped at ``MAX_TOP`` (the server-driven paging of
§9.3.3.5: the rest is reached through ``@iot.nextLink``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from changji.water.sharing.sensorthings.errors import BAD_REQUEST, NOT_FOUND, StaError

__pure__ = True

DEFAULT_TOP: Final = 100
MAX_TOP: Final = 1000
#: The deepest ``$expand`` nesting answered; deeper ones are refused rather than fanning out without bound.
MAX_EXPAND_DEPTH: Final = 4
KNOWN: Final = frozenset({"$top", "$skip", "$count", "$select", "$orderby", "$expand", "$filter", "$resultFormat"})

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z]+|\$value|\$ref)(?:\((?:'(?P<text>(?:[^']|'')*)'|(?P<number>\d+))\))?$")
_NAME = re.compile(r"^(?:[A-Za-z]+(?:/[A-Za-z]+)*|@iot\.id|@iot\.selfLink)$")


@dataclass(frozen=True)
class Segment:
    """One step of a resource path: a name and, for an entity set or to-many link, an optional id."""

    name: str
    key: str | None = None


@dataclass(frozen=True)
class OrderKey:
    """One ``$orderby`` key: a property path and its direction."""

    path: str
    descending: bool = False


@dataclass(frozen=True)
class Options:
    """The query options of one collection (the request's, or one ``$expand`` item's)."""

    top: int = DEFAULT_TOP
    skip: int = 0
    count: bool = False
    select: tuple[str, ...] | None = None
    orderby: tuple[OrderKey, ...] = ()
    expand: tuple[Expand, ...] = ()
    filter: str | None = None
    top_given: bool = False


@dataclass(frozen=True)
class Expand:
    """One ``$expand`` item: a navigation property and the options of what it leads to."""

    nav: str
    options: Options = field(default_factory=Options)


def parse_path(path: str) -> list[Segment]:
    """Split the part of the URL after the service root into segments; 404 for one that cannot be a segment."""
    segments = []
    for raw in (s for s in path.split("/") if s):
        match = _SEGMENT.match(raw)
        if match is None:
            raise StaError(NOT_FOUND, f"no such resource: {raw[:64]}")
        key = match["text"].replace("''", "'") if match["text"] is not None else match["number"]
        segments.append(Segment(match["name"], key))
    return segments


def split_top(text: str, separator: str) -> list[str]:
    """Split ``text`` at ``separator`` outside parentheses and quoted strings."""
    parts, depth, quoted, start = [], 0, False, 0
    for at, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth < 0:
                raise StaError(BAD_REQUEST, f"unbalanced parentheses in '{text[:80]}'")
        elif not quoted and depth == 0 and char == separator:
            parts.append(text[start:at])
            start = at + 1
    if depth or quoted:
        raise StaError(BAD_REQUEST, f"unbalanced parentheses or quotes in '{text[:80]}'")
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _integer(name: str, value: str, maximum: int | None = None) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 12:  # "²".isdigit() is True
        raise StaError(BAD_REQUEST, f"{name} must be a non-negative integer, not '{value[:20]}'")
    number = int(value)
    return min(number, maximum) if maximum is not None else number


def _names(name: str, value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    bad = [n for n in names if not _NAME.match(n)]
    if not names or bad:
        raise StaError(BAD_REQUEST, f"{name}: not a property list: '{value[:80]}'")
    return names


def _orderby(value: str) -> tuple[OrderKey, ...]:
    keys = []
    for item in split_top(value, ","):
        words = item.split()
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")) or not _NAME.match(words[0]):
            raise StaError(BAD_REQUEST, f"$orderby: cannot read '{item[:80]}'")
        keys.append(OrderKey(words[0], len(words) == 2 and words[1].lower() == "desc"))
    if not keys:
        raise StaError(BAD_REQUEST, "$orderby: empty")
    return tuple(keys)


def _expand(value: str, depth: int) -> tuple[Expand, ...]:
    if depth > MAX_EXPAND_DEPTH:
        raise StaError(BAD_REQUEST, f"$expand: nested deeper than {MAX_EXPAND_DEPTH} levels")
    items: list[Expand] = []
    for item in split_top(value, ","):
        head, _, rest = item.partition("(")
        if rest and not rest.endswith(")"):
            raise StaError(BAD_REQUEST, f"$expand: cannot read '{item[:80]}'")
        inner = _nested(rest[:-1], depth + 1) if rest else Options()
        navs = head.strip().split("/")
        if not all(re.fullmatch(r"[A-Za-z]+", n) for n in navs):
            raise StaError(BAD_REQUEST, f"$expand: not a navigation path: '{head[:80]}'")
        # Datastreams/Observations expands Datastreams, and Observations inside each of them.
        for nav in reversed(navs[1:]):
            inner = Options(expand=(Expand(nav, inner),))
        items.append(Expand(navs[0], inner))
    return tuple(items)


def _nested(text: str, depth: int) -> Options:
    pairs = {}
    for part in split_top(text, ";"):
        name, sep, value = part.partition("=")
        if not sep:
            raise StaError(BAD_REQUEST, f"$expand: cannot read option '{part[:80]}'")
        pairs[name.strip()] = value.strip()
    return parse_options(pairs, depth)


def parse_options(params: Mapping[str, str], depth: int = 0) -> Options:
    """Read the query options; 400 for an unknown ``$`` option or a value that cannot be read."""
    unknown = sorted(k for k in params if k.startswith("$") and k not in KNOWN)
    if unknown:
        raise StaError(BAD_REQUEST, f"unknown query option {unknown[0][:32]}")
    options = Options()
    if "$top" in params:
        options = replace(options, top=_integer("$top", params["$top"], MAX_TOP), top_given=True)
    if "$skip" in params:
        options = replace(options, skip=_integer("$skip", params["$skip"]))
    if "$count" in params:
        if params["$count"] not in ("true", "false"):
            raise StaError(BAD_REQUEST, f"$count must be true or false, not '{params['$count'][:20]}'")
        options = replace(options, count=params["$count"] == "true")
    if "$select" in params:
        options = replace(options, select=_names("$select", params["$select"]))
    if "$orderby" in params:
        options = replace(options, orderby=_orderby(params["$orderby"]))
    if "$expand" in params:
        options = replace(options, expand=_expand(params["$expand"], depth))
    if "$filter" in params:
        if not params["$filter"].strip():
            raise StaError(BAD_REQUEST, "$filter: empty")
        options = replace(options, filter=params["$filter"])
    if params.get("$resultFormat", "default") != "default":
        raise StaError(BAD_REQUEST, "$resultFormat: only the default format is offered")
    return options


def to_params(options: Options) -> dict[str, str]:
    """The query options as parameters again (for a next link that keeps the filter, order and expansions)."""
    params: dict[str, str] = {}
    if options.filter is not None:
        params["$filter"] = options.filter
    if options.select is not None:
        params["$select"] = ",".join(options.select)
    if options.orderby:
        params["$orderby"] = ",".join(k.path + (" desc" if k.descending else "") for k in options.orderby)
    if options.count:
        params["$count"] = "true"
    if options.expand:
        params["$expand"] = ",".join(_expand_text(item) for item in options.expand)
    if options.top_given:
        params["$top"] = str(options.top)
    if options.skip:
        params["$skip"] = str(options.skip)
    return params


def _expand_text(item: Expand) -> str:
    inner = ";".join(f"{k}={v}" for k, v in to_params(item.options).items())
    return f"{item.nav}({inner})" if inner else item.nav
