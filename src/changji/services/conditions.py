"""Conditions as people read them, for the catalogue workbook: ``outdoor_sign = 是``, ``food_category ∈ 热食类|冷食类``.

A condition (``bundles.applies``) is stored as ``{"field": name, "equals": value}`` or ``{"field": name, "in":
[values]}``; in the workbook (``services.catalogue_io``) it is one cell:

* ``名称 = 值`` — equals; ``＝`` is accepted too;
* ``名称 ∈ 值1|值2|值3`` — one of the values; ``in`` is accepted for ``∈``;
* an empty cell — no condition (always applies).

A value ``是`` / ``否`` is True / False (the answer to a yes-or-no question), an unquoted ASCII number is a number,
anything else is text. A text that would read as something else (``是``, ``12``, one with ``|`` or spaces at its
ends) is written in double quotes (JSON string syntax), so ``format_condition`` and ``parse_condition`` are each
other's inverse. Plain functions, no Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: How a condition's name is written: a question's or a field's name (ASCII letters, digits, underscores).
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
EQUALS, ONE_OF = "=", "∈"
YES, NO = "是", "否"
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


class ConditionSyntaxError(ValueError):
    """A condition cell that cannot be read; ``str(error)`` is a Chinese message fit for the row's problem."""


def format_value(value: Any) -> str:
    """One value as the workbook writes it (see the module docstring)."""
    if value is True:
        return YES
    if value is False:
        return NO
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    plain = (text and text == text.strip() and text not in (YES, NO) and not _NUMBER.fullmatch(text)
             and "|" not in text and not text.startswith('"'))
    return text if plain else json.dumps(text, ensure_ascii=False)


def parse_value(token: str) -> Any:
    """The inverse of ``format_value``; ``ConditionSyntaxError`` for an unclosed or empty value."""
    token = token.strip()
    if not token:
        raise ConditionSyntaxError("条件缺少取值")
    if token.startswith('"'):
        if not _QUOTED.fullmatch(token):
            raise ConditionSyntaxError(f"引号中的取值未正确结束：{token}")
        return json.loads(token)
    if token == YES:
        return True
    if token == NO:
        return False
    if token.isascii() and _NUMBER.fullmatch(token):
        return float(token) if "." in token else int(token)
    return token


def _split_values(text: str) -> list[str]:
    """``a|"b|c"|d`` → ``['a', '"b|c"', 'd']``: bars inside quotes do not split."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if quoted and escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "|" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def format_condition(condition: Mapping[str, Any] | None) -> str:
    """A stored condition as one workbook cell (``""`` for none)."""
    if not condition:
        return ""
    if "in" in condition:
        return f"{condition['field']} {ONE_OF} " + "|".join(format_value(v) for v in condition["in"])
    return f"{condition['field']} {EQUALS} {format_value(condition['equals'])}"


_FORM = re.compile(r"\s*(?P<name>[^\s=＝∈]+)\s*(?P<op>=|＝|∈)\s*(?P<rest>.*?)\s*", re.DOTALL)


def parse_condition(text: str | None) -> dict[str, Any] | None:
    """One workbook cell as a stored condition (None for an empty cell); ``ConditionSyntaxError`` if unreadable."""
    if text is None or not str(text).strip():
        return None
    text = str(text)
    match = _FORM.fullmatch(text.replace(" in ", f" {ONE_OF} ", 1) if " in " in text else text)
    if match is None:
        raise ConditionSyntaxError(f"条件应写作“名称 = 值”或“名称 ∈ 值1|值2”，实际为“{text.strip()[:40]}”")
    name, op, rest = match["name"], match["op"], match["rest"]
    if not NAME.fullmatch(name):
        raise ConditionSyntaxError(f"条件中的名称“{name[:40]}”应由英文字母、数字和下划线组成")
    if op == ONE_OF:
        return {"field": name, "in": [parse_value(part) for part in _split_values(rest)]}
    return {"field": name, "equals": parse_value(rest)}
