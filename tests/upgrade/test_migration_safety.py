"""Every migration after the release keeps to the lock rules of ``core.migration_safety`` on the large tables.

The walk reads every migration of the project from disk (no database), replays the model states in order and
turns each operation into ``OperationFacts`` for the rules; the rules themselves are tested on made-up facts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.postgres import operations as postgres
from django.db.migrations import operations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models import NOT_PROVIDED, Value

from changji.core.migration_safety import GRANDFATHERED, LARGE_TABLES, RULES, OperationFacts, violations
from tests.upgrade.release import fixture

#: No test here opens a database: the walk reads migration files, the rest are pure.
pytestmark = pytest.mark.database_independent

INDEX_OPERATIONS = (operations.AddIndex, operations.RemoveIndex, operations.RenameIndex)
CONSTRAINT_OPERATIONS = (operations.AddConstraint, operations.AlterUniqueTogether, operations.AlterIndexTogether)
RENAMES = (operations.RenameField, operations.RenameModel, operations.AlterModelTable)


def _table(state: ProjectState, app: str, model: str) -> str:
    options = state.models[app, model.lower()].options
    return str(options.get("db_table") or f"{app}_{model.lower()}")


def _indexed(field: Any) -> bool:
    return bool(field.db_index or field.unique or (field.is_relation and field.many_to_one or field.one_to_one)
                and getattr(field, "db_constraint", False))


def _type_changed(old: Any, new: Any) -> bool:
    if type(old) is not type(new):
        return True
    shrunk = (old.max_length or 0) > (new.max_length or 0)  # a longer varchar is a catalogue change
    decimals = (getattr(old, "max_digits", None), getattr(old, "decimal_places", None)) != (
        getattr(new, "max_digits", None), getattr(new, "decimal_places", None))
    return shrunk or decimals


def _field_facts(name: str, migration: Any, operation: Any, state: ProjectState, app: str) -> OperationFacts:
    table, field = _table(state, app, operation.model_name), operation.field
    db_default = getattr(field, "db_default", NOT_PROVIDED)
    common = {"migration": name, "operation": type(operation).__name__, "table": table, "atomic": migration.atomic,
              "not_null": not field.null, "indexed": _indexed(field)}
    if isinstance(operation, operations.AddField):
        return OperationFacts(**common, volatile_default=db_default is not NOT_PROVIDED
                              and not isinstance(db_default, Value))
    old = state.models[app, operation.model_name_lower].fields[operation.name]
    return OperationFacts(**common, was_not_null=not old.null, was_indexed=_indexed(old),
                          type_changed=_type_changed(old, field))


def _facts(name: str, migration: Any, operation: Any, state: ProjectState, app: str) -> list[OperationFacts]:
    """What the rules need to know of ``operation`` (of migration ``name``), given the state before it."""
    if isinstance(operation, operations.SeparateDatabaseAndState):
        return [f for inner in operation.database_operations for f in _facts(name, migration, inner, state, app)]
    kind = type(operation).__name__
    if isinstance(operation, (postgres.AddIndexConcurrently, postgres.RemoveIndexConcurrently)):
        kind = "AddIndex" if isinstance(operation, postgres.AddIndexConcurrently) else "RemoveIndex"
        return [OperationFacts(name, kind, _table(state, app, operation.model_name), concurrently=True,
                               atomic=migration.atomic)]
    if isinstance(operation, INDEX_OPERATIONS + CONSTRAINT_OPERATIONS):
        model = getattr(operation, "model_name", None) or operation.name  # Alter…Together name their model so
        return [OperationFacts(name, kind, _table(state, app, model), atomic=migration.atomic)]
    if isinstance(operation, RENAMES):
        model = {operations.RenameField: "model_name", operations.RenameModel: "old_name"}.get(type(operation), "name")
        return [OperationFacts(name, kind, _table(state, app, getattr(operation, model)))]
    if isinstance(operation, (operations.AddField, operations.AlterField)):
        return [_field_facts(name, migration, operation, state, app)]
    if isinstance(operation, (operations.RunSQL, operations.RunPython)):
        return [OperationFacts(name, kind, lock_review=str((operation.hints or {}).get("lock_review", "")))]
    return []


def every_migration_facts() -> list[OperationFacts]:
    """The facts of every operation of every migration on disk, in the order ``migrate`` applies them."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        plan.extend(node for node in loader.graph.forwards_plan(leaf) if node not in plan)
    state, found = ProjectState(), []
    for app, name in plan:
        migration = loader.graph.nodes[app, name]
        for operation in migration.operations:
            found.extend(_facts(f"{app}.{name}", migration, operation, state, app))
            operation.state_forwards(app, state)
    return found


def test_every_migration_after_the_release_keeps_the_lock_rules():
    facts = every_migration_facts()
    assert len(facts) > 100  # the walk sees the migrations
    broken = [str(v) for f in facts for v in violations(f)]
    assert not broken, "\n".join(broken)


def test_grandfathered_migrations_are_those_of_the_release():
    released = {f"{Path(path).parts[2]}.{Path(path).stem}" for path in fixture()["migration_sha256"]
                if Path(path).stem != "__init__"}
    assert GRANDFATHERED == released
    # the rules would refuse some of them (the release's own indexes on readings), had they come later
    refused = {v.migration for f in every_migration_facts()
               for v in violations(OperationFacts(**{**f.__dict__, "migration": "new." + f.migration}))}
    assert "new.water.0008_dashboard_figures_and_covering_index" in refused


FACTS_BROKEN = {
    "index-not-concurrent": OperationFacts("m", "AddIndex", "water_reading"),
    "concurrent-in-transaction": OperationFacts("m", "AddIndex", "water_reading", concurrently=True, atomic=True),
    "constraint": OperationFacts("m", "AddConstraint", "water_frame"),
    "field-with-index": OperationFacts("m", "AddField", "water_reading", indexed=True),
    "volatile-default": OperationFacts("m", "AddField", "water_reading", not_null=True, volatile_default=True),
    "set-not-null": OperationFacts("m", "AlterField", "water_reading", not_null=True),
    "type-change": OperationFacts("m", "AlterField", "water_reading", type_changed=True),
    "rename": OperationFacts("m", "RenameField", "water_reading"),
    "raw-sql-not-reviewed": OperationFacts("m", "RunSQL"),
}
FACTS_KEPT = [
    OperationFacts("m", "AddIndex", "water_reading", concurrently=True, atomic=False),
    OperationFacts("m", "AddIndex", "water_licence"),  # a small table
    OperationFacts("m", "AddField", "water_reading", not_null=True),  # a constant default: catalogue only
    OperationFacts("m", "AddField", "water_reading"),
    OperationFacts("m", "AlterField", "water_reading", not_null=True, was_not_null=True),
    OperationFacts("m", "RunSQL", lock_review="ANALYZE only: a SHARE UPDATE EXCLUSIVE lock, inserts go on"),
    OperationFacts("water.0001_initial", "AddIndex", "water_reading"),  # grandfathered
]


@pytest.mark.parametrize("rule", sorted(FACTS_BROKEN))
def test_each_rule_refuses_its_operation(rule):
    assert [v.rule for v in violations(FACTS_BROKEN[rule])] == [rule]


@pytest.mark.parametrize("facts", FACTS_KEPT, ids=lambda f: f"{f.operation}-{f.table}")
def test_safe_operations_pass(facts):
    assert violations(facts) == []


def test_rule_table_is_described():
    assert {rule.name for rule in RULES} | {"raw-sql-not-reviewed"} == set(FACTS_BROKEN)
    assert all(len(rule.reason) > 40 for rule in RULES)
    assert {"water_reading", "water_frame", "water_dailyusage"} <= LARGE_TABLES
