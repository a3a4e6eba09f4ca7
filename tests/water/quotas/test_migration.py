"""Migration 0015: existing policies become every-use policies with their stop setting and tidied thresholds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

TARGET = ("water", "0014_quota_controls")


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def test_existing_policies_keep_their_region_and_stop_setting():
    executor = _executor()
    leaves = list(executor.loader.graph.leaf_nodes())
    # The water migration 0015 follows, whatever the chain looks like after a merge.
    before = [node.key for node in executor.loader.graph.node_map[TARGET].parents if node.key[0] == "water"]
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before[0]).apps.get_model("water", "QuotaPolicy")
        old.objects.create(region_id="652323", thresholds=[1.0, "0.8", 0.9, 0.9, "x", 5], auto_stop=False)
        old.objects.create(region_id="652324", thresholds=[], auto_stop=True)
        executor = _executor()
        executor.migrate([TARGET])
        new = executor.loader.project_state(TARGET).apps.get_model("water", "QuotaPolicy")
        rows = {p.region_id: (p.use, p.thresholds, p.stop_at_full, p.notice_hours) for p in new.objects.all()}
        assert rows == {"652323": ("", [0.8, 0.9, 1.0], False, 48), "652324": ("", [0.8, 0.9, 1.0], True, 48)}
    finally:
        _executor().migrate(leaves)  # the schema every later test expects
