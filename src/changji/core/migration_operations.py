"""Index operations that build without blocking writes on PostgreSQL and run plainly on SQLite.

Django's ``django.contrib.postgres.operations.AddIndexConcurrently`` passes ``concurrently=True`` to the schema
editor, which only PostgreSQL's accepts (https://docs.djangoproject.com/en/5.2/ref/contrib/postgres/operations/
#concurrent-index-operations): the same migration fails on SQLite. These subclasses are concurrent on PostgreSQL and
the plain ``AddIndex`` / ``RemoveIndex`` elsewhere (SQLite has one writer; nothing to run beside).

A partitioned table (``water_reading``, ``water_frame``: water/0027) takes no ``CREATE INDEX CONCURRENTLY``.
PostgreSQL's documented way (https://www.postgresql.org/docs/current/ddl-partitioning.html, "Partition
Maintenance") is used instead: the index is made ``ON ONLY`` the parent (invalid, instant), built concurrently on
each partition, and each partition's index attached; the parent's becomes valid once all are, and partitions
created later (``water.partitions``) get it by themselves. Dropping a partitioned index cannot be concurrent
either: it is a plain ``DROP INDEX`` there (a catalogue change, short). A migration using these sets
``atomic = False`` (``core.migration_safety`` checks).
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres import operations as postgres


def _partitions(schema_editor: Any, table: str) -> list[str] | None:
    """The partitions of ``table`` when it is a partitioned table on PostgreSQL, else None."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
        if not row or row[0] != "p":
            return None
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass"
                       " ORDER BY 1", [table])
        return [name for (name,) in cursor.fetchall()]


def _create_on_partitions(schema_editor: Any, model: Any, index: Any, partitions: list[str]) -> None:
    table = model._meta.db_table
    statement = str(index.create_sql(model, schema_editor))  # CREATE INDEX "name" ON "table" (...)
    schema_editor.execute(statement.replace(f' ON "{table}"', f' ON ONLY "{table}"', 1), params=None)
    for partition in partitions:
        child = f"{index.name}_{partition.removeprefix(table + '_')}"[:63]
        schema_editor.execute(
            statement.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1)
            .replace(f'"{index.name}"', f'"{child}"', 1).replace(f' ON "{table}"', f' ON "{partition}"', 1),
            params=None,
        )
        schema_editor.execute(f'ALTER INDEX "{index.name}" ATTACH PARTITION "{child}"', params=None)


class AddIndexConcurrently(postgres.AddIndexConcurrently):
    """``AddIndex`` built concurrently on PostgreSQL (partition by partition on a partitioned table)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        """Build the index without blocking writes on PostgreSQL; plainly elsewhere."""
        if schema_editor.connection.vendor != "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            if self.allow_migrate_model(schema_editor.connection.alias, model):
                schema_editor.add_index(model, self.index)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        partitions = _partitions(schema_editor, model._meta.db_table)
        if partitions is None:
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        self._ensure_not_in_transaction(schema_editor)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            _create_on_partitions(schema_editor, model, self.index, partitions)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        """Drop the index (concurrently on PostgreSQL unless the table is partitioned)."""
        model = from_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor == "postgresql" and _partitions(schema_editor, model._meta.db_table) is None:
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        elif self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index)


class RemoveIndexConcurrently(postgres.RemoveIndexConcurrently):
    """``RemoveIndex`` dropped concurrently on PostgreSQL (plainly on a partitioned table and elsewhere)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        """Drop the index without blocking reads and writes where PostgreSQL can."""
        model = from_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor == "postgresql" and _partitions(schema_editor, model._meta.db_table) is None:
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        elif self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.remove_index(model, index)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        """Build the index again, as ``AddIndexConcurrently`` does."""
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        AddIndexConcurrently(self.model_name, index).database_forwards(app_label, schema_editor, from_state, to_state)
