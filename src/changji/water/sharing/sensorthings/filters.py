"""``$filter`` (OGC 18-088 §9.3.3.4) read by odata-query and turned into a Django ``Q`` for one part.

odata-query parses the OData expression and its ``AstToDjangoQVisitor`` builds the ``Q``; this module only
names things: every property path resolves through the part's ``fields`` (an unknown one is a 400 naming it),
a comparison of ``phenomenonTime`` or ``resultTime`` with a date-time literal becomes a condition on the local day
(``intervals``), and SensorThings' ``substringof(p0, p1)`` (v1.1 Table 26, an OData 2 leftover) is read as
``contains(p1, p0)``. ``@iot.id`` may be written ``id``. The geospatial functions are not offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, lookups
from odata_query import ast
from odata_query import exceptions as odata_errors
from odata_query.django import AstToDjangoQVisitor
from odata_query.grammar import ODataLexer, ODataParser

from changji.water.sharing.sensorthings import intervals
from changji.water.sharing.sensorthings.errors import BAD_REQUEST, StaError
from changji.water.sharing.sensorthings.sources import ALWAYS, NEVER, Part

#: The ``$filter`` string functions that take (field, text) and their Django lookups.
_TEXT_LOOKUPS = {"contains": lookups.Contains, "startswith": lookups.StartsWith, "endswith": lookups.EndsWith}
_OPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
_TIME_PROPERTIES = ("phenomenonTime", "resultTime")


def _strip_iot_prefix(text: str) -> str:
    """Write ``@iot.id`` as ``id`` outside string literals (the OData lexer has no ``@``)."""
    out, quoted = [], False
    i = 0
    while i < len(text):
        if text[i] == "'":
            quoted = not quoted
        if not quoted and text.startswith("@iot.id", i):
            out.append("id")
            i += len("@iot.id")
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def parse(text: str) -> ast._Node:
    """Parse a ``$filter`` expression; 400 with odata-query's reason when it cannot be read."""
    parser = ODataParser()
    plain_call = parser._function_call

    def call(func: ast.Identifier, args: list[ast._Node]) -> ast._Node:
        if func.full_name() == "substringof":
            if len(args) != 2:
                raise StaError(BAD_REQUEST, "$filter: substringof takes two arguments")
            return ast.Call(ast.Identifier("contains"), [args[1], args[0]])
        return plain_call(func, args)

    parser._function_call = call  # type: ignore[method-assign]
    try:
        return parser.parse(ODataLexer().tokenize(_strip_iot_prefix(text)))
    except odata_errors.ODataException as error:
        raise StaError(BAD_REQUEST, f"$filter: {error}") from error
    except (IndexError, TypeError, ValueError, AttributeError) as error:  # sly gives up on some inputs this way
        raise StaError(BAD_REQUEST, f"$filter: cannot read '{text[:80]}'") from error


def path_of(node: ast._Node) -> str | None:
    """``Datastream/Thing/name`` for the member access it parses to; None for anything else."""
    if isinstance(node, ast.Identifier) and not node.namespace:
        return node.name
    if isinstance(node, ast.Attribute):
        owner = path_of(node.owner)
        return f"{owner}/{node.attr}" if owner else None
    return None


class PartFilter(AstToDjangoQVisitor):
    """The visitor of odata-query, resolving names through one part's fields."""

    def __init__(self, part: Part) -> None:
        super().__init__(part.base().model)
        self.part = part
        self.fields = part.fields()

    def resolve(self, path: str) -> Any:
        """The expression of ``path`` in this part; 400 when the entity type has no such property."""
        found = self.fields.get("id" if path == "@iot.id" else path)
        if found is not None:
            return found
        raise StaError(BAD_REQUEST, f"$filter/$orderby: {self.part.entity.name} has no property '{path[:80]}'")

    def visit_Identifier(self, node: ast.Identifier) -> Any:
        return self.resolve(node.name)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        path = path_of(node)
        if path is None:
            raise StaError(BAD_REQUEST, "$filter: a property path was expected")
        return self.resolve(path)

    def visit_Compare(self, node: ast.Compare) -> Any:
        left, right, op = node.left, node.right, _OPS.get(type(node.comparator))
        if op and isinstance(left, ast.Date | ast.DateTime) and path_of(right) in _TIME_PROPERTIES:
            left, right, op = right, left, intervals.FLIPPED[op]
        name = path_of(left)
        if op and name in _TIME_PROPERTIES and isinstance(right, ast.Date | ast.DateTime):
            self.resolve(name)  # an entity type without the property says so
            rule = intervals.phenomenon_condition if name == "phenomenonTime" else intervals.result_time_condition
            try:
                return self.day_q(rule(op, intervals.as_instant(right.py_val)))
            except (ValueError, OverflowError) as error:  # 9999-12-31T23:59Z has no next local day
                raise StaError(BAD_REQUEST, f"$filter: date-time out of range: {right.val[:40]}") from error
        return super().visit_Compare(node)

    def day_q(self, condition: intervals.DayCondition) -> Q:
        """The ``Q`` of a condition on the local day, in this part's terms."""
        if condition.always is not None:
            return ALWAYS if condition.always else NEVER
        assert condition.value is not None
        if self.part.day == "date":
            if condition.op == "ne":
                return ~Q(day=condition.value)
            lookup = {"le": "lte", "ge": "gte", "eq": "exact"}.get(condition.op, condition.op)
            return Q(**{"day__" + lookup: condition.value})
        if condition.op == "ne":
            return ~self.day_q(intervals.DayCondition("eq", condition.value))
        since, until = intervals.reading_bounds(condition)
        found = ALWAYS
        if since is not None:
            found &= Q(observed_at__gte=since)
        if until is not None:
            found &= Q(observed_at__lt=until)
        return found

    def _substr_function(self, field: ast._Node, substr: ast._Node, django_func: Any) -> Any:
        return django_func(self.visit(field), self.visit(substr))

    def djangofunc_substringof(self, substr: ast._Node, field: ast._Node) -> Any:
        return self._substr_function(field, substr, lookups.Contains)

    def djangofunc_geo__distance(self, *args: Any) -> Any:
        raise StaError(BAD_REQUEST, "$filter: the geospatial functions are not offered")

    djangofunc_geo__length = djangofunc_geo__intersects = djangofunc_geo__distance

    def visit_CollectionLambda(self, node: ast.CollectionLambda) -> Q:
        raise StaError(BAD_REQUEST, "$filter: any()/all() over a collection is not offered")


def q_for(part: Part, tree: ast._Node) -> Q:
    """The ``Q`` of the parsed ``$filter`` for ``part``; 400 for what the database cannot compare."""
    try:
        return PartFilter(part).visit(tree)
    except StaError:
        raise
    except odata_errors.ODataException as error:
        raise StaError(BAD_REQUEST, f"$filter: {error}") from error
    except (TypeError, ValueError, AttributeError, NotImplementedError, ImportError) as error:
        raise StaError(BAD_REQUEST, f"$filter: cannot apply ({type(error).__name__}: {str(error)[:80]})") from error


def expression_for(part: Part, path: str) -> Any:
    """The expression an ``$orderby`` key names in ``part``."""
    return PartFilter(part).resolve(path)


__all__: Sequence[str] = ("parse", "q_for", "expression_for")
