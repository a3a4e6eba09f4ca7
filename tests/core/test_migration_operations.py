"""``core.migration_operations``: the same index operation builds concurrently on PostgreSQL and plainly on SQLite.

Run on the suite's database, outside a transaction (as a migration with ``atomic = False`` runs), on the readings
(partitioned on PostgreSQL: built per partition and attached) and on daily usage (a plain table), then reversed.
"""

from __future__ import annotations

import pytest
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from changji.core.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently


def _states(operation):
    before = MigrationLoader(connection).project_state()
    after = before.clone()
    operation.state_forwards("water", after)
    return before, after


def _index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def _valid_on_every_partition(name: str, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
        valid = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", [table])
        partitions = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass(%s)", [name])
        attached = cursor.fetchone()[0]
    return bool(valid) and partitions == attached > 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("model", "table"), [("reading", "water_reading"), ("dailyusage", "water_dailyusage")])
def test_index_is_added_and_removed_concurrently_where_the_database_can(model, table):
    index = models.Index(fields=["-id"], name=f"probe_{model}_idx")
    add = AddIndexConcurrently(model, index)
    before, after = _states(add)
    with CaptureQueriesContext(connection) as queries, connection.schema_editor(atomic=False) as editor:
        add.database_forwards("water", editor, before, after)
    try:
        assert index.name in _index_names(table)
        concurrent = any("CONCURRENTLY" in query["sql"] for query in queries)
        assert concurrent is (connection.vendor == "postgresql")
        if connection.vendor == "postgresql" and table == "water_reading":
            assert _valid_on_every_partition(index.name, table)
    finally:
        remove = RemoveIndexConcurrently(model, index.name)
        with connection.schema_editor(atomic=False) as editor:
            remove.database_forwards("water", editor, after, before)
    assert index.name not in _index_names(table)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_index_refuses_a_transaction_on_postgresql():
    add = AddIndexConcurrently("reading", models.Index(fields=["-id"], name="probe_atomic_idx"))
    before, after = _states(add)
    if connection.vendor != "postgresql":
        pytest.skip("SQLite builds the index plainly, in a transaction or not")
    with pytest.raises(Exception, match="atomic = False"), connection.schema_editor(atomic=True) as editor:
        add.database_forwards("water", editor, before, after)
