"""Lock rules for migrations: what a migration may not do to a large table while the gateway writes to it.

Production migrates with the gateway running (README "Upgrades"): a migration that holds an ACCESS EXCLUSIVE lock
on ``water_reading`` for minutes, or a SHARE lock that blocks inserts while an index builds, stops ingestion that
long, and terminals time out and retransmit. PostgreSQL's documentation lists the lock each command takes
(https://www.postgresql.org/docs/current/explicit-locking.html, "Table-Level Lock Modes") and which ``ALTER TABLE``
forms rewrite the table (https://www.postgresql.org/docs/current/sql-altertable.html, "Notes"); ``CREATE INDEX
CONCURRENTLY`` builds without blocking writes but not in a transaction block
(https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY).

``RULES`` is the table: each rule a name, the condition on one operation (an ``OperationFacts``, plain data the
test ``tests/upgrade/test_migration_safety.py`` reads from Django's migration operations) and the reason.
``violations`` applies it to operations on ``LARGE_TABLES``; the migrations up to the release ca3091f are
``GRANDFATHERED`` (they ran before these rules, on tables then small or by a reviewed plan such as water/0027).
A raw ``RunSQL`` on any table needs a review: ``hints={"lock_review": "<why it is short>"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__pure__ = True

#: Tables that grow with the fleet's readings (10,401 wells every 5 minutes: about 1e9 readings a year), and the
#: ones derived from or written beside them. A long lock on one of them holds up the gateway or the derivation loop.
LARGE_TABLES = frozenset({
    "water_reading",  # one row per report (partitioned by month on PostgreSQL)
    "water_frame",  # one row per received frame (partitioned by month on PostgreSQL)
    "water_dailyusage",  # one row per well and day
    "water_terminalday",  # one row per terminal and day
    "water_monthlyusage",  # one row per well and month
    "water_alarm",  # raised by the gateway's readings and the alarm jobs
    "water_alarmevent",  # the alarms' history
    "water_snapshot",  # camera pictures, several a day per well
    "water_outboxentry",  # every reading-derived row shared upstream
    "water_command",  # downlink commands, written by the gateway
    "core_auditentry",  # every audited action
    "core_notification",  # every notice sent
    "core_jobrun",  # every run of every recurring job
})

#: Migrations of the release ca3091f and before: they ran before these rules existed.
GRANDFATHERED = frozenset({
    *(f"community.{name}" for name in (
        "0001_initial", "0002_member_once_per_community", "0003_practice_meetings_visits_liaisons",
        "0004_meetings_to_communities", "0005_meeting_region_required", "0006_party_organisations_from_grids",
        "0007_remove_grid_party_branch", "0008_resident_participation", "0009_resident_participation_from_served",
    )),
    *(f"core.{name}" for name in (
        "0001_initial", "0002_seed_regions", "0003_api_token", "0004_grid_level_and_community_roles", "0005_job_run",
        "0006_notifications", "0007_service_centre_admin_role",
    )),
    *(f"services.{name}" for name in (
        "0001_catalogue_and_cases", "0002_department_reviewers", "0003_centre_and_catalogue",
        "0004_drop_service_notifications",
    )),
    *(f"water.{name}" for name in (
        "0001_initial", "0002_daily_usage_and_coefficients", "0003_alarms_quotas_work_orders", "0004_terminal_day",
        "0005_reports", "0006_daily_usage_last_observed", "0007_monthly_usage",
        "0008_dashboard_figures_and_covering_index",
        "0009_quarantined_terminal_region", "0010_alarm_choices", "0011_licences_and_plans", "0012_licence_alarm_kind",
        "0013_quota_norms", "0014_quota_controls", "0015_water_tax", "0016_snapshot_links", "0017_picture_policies",
        "0018_groundwater_zones", "0019_work_order_lifecycle", "0020_protocol_profiles", "0021_kpi_targets",
        "0022_exchange_outbox", "0023_exchange_delivery", "0024_exchange_streams", "0025_open_data",
        "0026_frame_stream_seq", "0027_monthly_partitions",
    )),
})


@dataclass(frozen=True)
class OperationFacts:
    """What a lock rule needs to know about one migration operation (read from Django's operation by the caller).

    ``operation`` is the operation's class name (``AddIndex``, ``AddField``, ``RunSQL``...); ``table`` the table it
    changes (None for raw SQL). ``concurrently``: the index is built or dropped without blocking writes;
    ``atomic``: the migration runs in a transaction. For a field: ``not_null`` (the column is or becomes NOT NULL),
    ``was_not_null`` (it was before an AlterField), ``volatile_default`` (a database default that is not a constant,
    e.g. ``Now()``), ``indexed`` (the field brings an index, a unique constraint or a foreign key constraint),
    ``type_changed`` (AlterField changes the column's type). ``lock_review``: the reviewer's note of a RunSQL.
    """

    migration: str
    operation: str
    table: str | None = None
    concurrently: bool = False
    atomic: bool = True
    not_null: bool = False
    was_not_null: bool = False
    volatile_default: bool = False
    indexed: bool = False
    was_indexed: bool = False
    type_changed: bool = False
    lock_review: str = ""


@dataclass(frozen=True)
class Rule:
    """One refusal: its name, when it applies (to an operation on a large table) and why."""

    name: str
    applies: Callable[[OperationFacts], bool]
    reason: str


@dataclass(frozen=True)
class Violation:
    """A rule an operation breaks."""

    migration: str
    operation: str
    table: str | None
    rule: str
    reason: str

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation} on {self.table or 'raw SQL'}: {self.rule} ({self.reason})"


#: The rules for operations on LARGE_TABLES (RUNSQL_RULE applies to raw SQL on any table).
RULES = (
    Rule("index-not-concurrent",
         lambda f: f.operation in {"AddIndex", "RemoveIndex", "RenameIndex"} and not f.concurrently,
         "CREATE INDEX holds a SHARE lock that blocks every insert until the index is built (DROP INDEX an ACCESS "
         "EXCLUSIVE one); use core.migration_operations.AddIndexConcurrently / RemoveIndexConcurrently"),
    Rule("concurrent-in-transaction", lambda f: f.concurrently and f.atomic,
         "CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction block: set atomic = False on the migration"),
    Rule("constraint",
         lambda f: f.operation in {"AddConstraint", "AlterUniqueTogether", "AlterIndexTogether"},
         "a UNIQUE constraint builds its index under a SHARE lock and a CHECK scans the table under ACCESS "
         "EXCLUSIVE; build a unique index concurrently, or add the check NOT VALID and VALIDATE it (reviewed RunSQL)"),
    Rule("field-with-index",
         lambda f: f.operation == "AddField" and f.indexed
         or f.operation == "AlterField" and f.indexed and not f.was_indexed,
         "a field with db_index, unique or a foreign key builds an index (and validates a foreign key) while "
         "inserts wait; add it without, then the index concurrently and the foreign key NOT VALID (reviewed RunSQL)"),
    Rule("volatile-default", lambda f: f.operation == "AddField" and f.volatile_default,
         "a column with a volatile database default (e.g. Now()) rewrites every row under ACCESS EXCLUSIVE; a "
         "constant default is a catalogue change since PostgreSQL 11"),
    Rule("set-not-null", lambda f: f.operation == "AlterField" and f.not_null and not f.was_not_null,
         "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE; add a CHECK (col IS NOT NULL) NOT VALID, "
         "VALIDATE it, then SET NOT NULL (reviewed RunSQL)"),
    Rule("type-change", lambda f: f.operation == "AlterField" and f.type_changed,
         "changing a column's type rewrites the table and its indexes under ACCESS EXCLUSIVE; add a new column, "
         "fill it in batches, then switch"),
    Rule("rename", lambda f: f.operation in {"RenameField", "RenameModel", "AlterModelTable"},
         "a rename breaks the running gateway and job runner (old code) until they restart; add, copy, then drop"),
)
#: Raw SQL names no table: it needs a review wherever it runs.
RUNSQL_RULE = Rule("raw-sql-not-reviewed", lambda f: f.operation == "RunSQL" and not f.lock_review,
                   "raw SQL can take any lock; say which and why it is short in hints={'lock_review': ...}")


def violations(facts: OperationFacts, large_tables: frozenset[str] = LARGE_TABLES) -> list[Violation]:
    """The rules ``facts`` breaks (none for a grandfathered migration)."""
    if facts.migration in GRANDFATHERED:
        return []
    rules = [RUNSQL_RULE] if facts.operation == "RunSQL" else list(RULES) if facts.table in large_tables else []
    return [Violation(facts.migration, facts.operation, facts.table, rule.name, rule.reason)
            for rule in rules if rule.applies(facts)]
