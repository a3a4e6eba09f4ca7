"""Every state table of the platform, walked by one test: every allowed move passes, every other move is refused.

The tables are found in the source (every module that builds a ``core.transitions.Table``), not listed here, so a
new table is walked the day it is written. Each table's own rules (which moves exist and why) are tested beside its
app; here every edge and every required field of every table is checked against ``check_transition``.
"""

from __future__ import annotations

import ast
import importlib
import itertools
from enum import StrEnum
from functools import cache
from pathlib import Path

import pytest

from changji.core.transitions import Table, TransitionError, check_transition

SRC = Path(__file__).resolve().parents[2] / "src"


def builds_a_table(path: Path) -> bool:
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Table"
               for node in ast.walk(ast.parse(path.read_text())))


@cache
def tables() -> dict[str, Table]:
    found = {}
    for path in sorted((SRC / "changji").rglob("*.py")):
        if "migrations" in path.parts or path.name == "transitions.py" or not builds_a_table(path):
            continue
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        module = importlib.import_module(name)
        found.update({f"{name}.{attr}": value for attr, value in vars(module).items() if isinstance(value, Table)})
    return found


def edges(moves: str):
    """(table name, current, target) for every pair of states of every table: ``moves`` "allowed" or "refused"."""
    return [pytest.param(name, current, target, id=f"{name}:{current}->{target}")
            for name, table in tables().items()
            for current, target in itertools.product(table.states, table.states)
            if table.allows(current, target) == (moves == "allowed")]


def filled(table: Table, target) -> dict[str, str]:
    return dict.fromkeys(table.required.get(target, ()), "已填写")


def test_every_table_of_the_platform_is_found():
    assert {name.rsplit(".", 1)[1] for name in tables()} >= {
        "TABLE", "CASE_TABLE", "SUB_CASE_TABLE", "BUNDLE_TABLE", "WISH_TABLE", "ISSUE_TABLE", "LEVEL_TABLE"}
    assert len(tables()) >= 7


@pytest.mark.parametrize(("name", "current", "target"), edges("allowed"))
def test_every_allowed_move_passes_with_its_fields(name, current, target):
    table = tables()[name]
    check_transition(table, current, target, filled(table, target), by_system=True)
    check_transition(table, str(current), str(target), filled(table, target), by_system=True)  # plain values too
    if target in table.system_only:
        with pytest.raises(TransitionError) as caught:
            check_transition(table, current, target, filled(table, target))
        assert caught.value.field == "state" and "只能由系统设置" in caught.value.message
    else:
        check_transition(table, current, target, filled(table, target))


@pytest.mark.parametrize(("name", "current", "target"), edges("allowed"))
def test_every_required_field_of_an_allowed_move_is_required(name, current, target):
    table = tables()[name]
    for field in sorted(table.required.get(target, ())):
        for blank in (None, "", "  ", [], {}):
            with pytest.raises(TransitionError) as caught:
                check_transition(table, current, target, {**filled(table, target), field: blank}, by_system=True)
            assert caught.value.field == field and "必须填写" in caught.value.message


@pytest.mark.parametrize(("name", "current", "target"), edges("refused"))
def test_every_other_move_is_refused_on_the_state(name, current, target):
    table = tables()[name]
    for by_system in (False, True):
        with pytest.raises(TransitionError) as caught:
            check_transition(table, current, target, filled(table, target), by_system=by_system)
        assert caught.value.field == "state"
        assert caught.value.message == f"{table.noun}不能从「{table.label(current)}」转为「{table.label(target)}」"


@pytest.mark.parametrize("name", sorted(tables()))
def test_every_state_has_a_row_and_a_label_and_unknown_states_are_refused(name):
    table = tables()[name]
    assert set(table.labels) == set(table.moves) and all(str(label) for label in table.labels.values())
    with pytest.raises(TransitionError) as caught:
        check_transition(table, table.states[0], "no-such-state")
    assert caught.value.field == "state"


class Light(StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


LIGHT = Table(noun="灯", moves={Light.OFF: frozenset({Light.ON}), Light.ON: frozenset({Light.OFF, Light.BROKEN}),
                                Light.BROKEN: frozenset()},
              labels={Light.OFF: "关", Light.ON: "开", Light.BROKEN: "坏"},
              required={Light.BROKEN: frozenset({"reason", "photo"})}, field_labels={"reason": "原因"},
              system_only=frozenset({Light.BROKEN}))


def test_a_table_checks_moves_then_who_then_fields_alphabetically():
    check_transition(LIGHT, "off", "on")
    with pytest.raises(TransitionError, match="^灯不能从「关」转为「坏」$"):
        check_transition(LIGHT, Light.OFF, Light.BROKEN, by_system=True)
    with pytest.raises(TransitionError, match="^「坏」只能由系统设置$"):
        check_transition(LIGHT, Light.ON, Light.BROKEN, {"reason": "r", "photo": "p"})
    with pytest.raises(TransitionError) as caught:
        check_transition(LIGHT, Light.ON, Light.BROKEN, {}, by_system=True)
    assert (caught.value.field, caught.value.message) == ("photo", "转为「坏」必须填写photo")
    with pytest.raises(TransitionError, match="必须填写原因"):
        check_transition(LIGHT, Light.ON, Light.BROKEN, {"photo": "p"}, by_system=True)


def test_a_table_naming_a_state_without_a_row_or_label_is_refused_when_built():
    with pytest.raises(ValueError):
        Table(noun="灯", moves={Light.OFF: frozenset({Light.ON})}, labels={Light.OFF: "关"})
    with pytest.raises(ValueError):
        Table(noun="灯", moves={Light.OFF: frozenset()}, labels={})
