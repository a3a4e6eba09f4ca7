r"""Build the upgrade fixture: a database of a past release with rows in every table, written database-independently.

``tests/upgrade/test_upgrade.py`` loads the fixture into a fresh database migrated to that release's migration
leaves, migrates it to HEAD and checks that nothing was lost. Make one at each release, from a checkout of the
release, running the release's own code (this script imports only the standard library before it sets Django up
with whatever ``changji`` is first on the path)::

    git worktree add --detach /work/wt-release ca3091f
    PYTHONPATH=/work/wt-release/src /work/main/.venv/bin/python scripts/make_upgrade_fixture.py --release \
        /work/wt-release --out tests/upgrade/release-ca3091f.json.gz

It migrates a fresh SQLite database under a temporary directory, seeds the release's demo builders at a small size
(4 wells with 3 days of history, a 12-grid town, 20 service cases, 2 days of the service hall), fills the tables
the demo leaves empty with a few realistic rows each (``fill``: a round of the recurring jobs, then ORM rows),
and writes gzip-compressed JSON::

    {"release": "<commit>", "made_at": "<UTC ISO time>", "leaves": {"<app>": "<migration>"},
     "migration_sha256": {"src/changji/<app>/migrations/<file>": "<hex>"}, "empty_on_purpose": {},
     "tables": {"<table>": {"primary_key": "id", "columns": [["<name>", "<kind>"], ...], "rows": [[...], ...]}}}

Values are as SQLite stores them (datetimes as Django's UTC text, booleans 0/1, JSON as text) except bytes, which
are base64. ``kind`` (``int``, ``float``, ``decimal``, ``text``, ``bool``, ``datetime``, ``date``, ``time``,
``json``, ``bytes``, ``uuid``, ``duration``) is taken from the release's model field, so the loader can convert a
value for another database and compare it back. See README "Upgrades".
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: Django field type -> the fixture's column kind (a foreign key takes its target's).
KINDS = {
    "AutoField": "int", "BigAutoField": "int", "SmallAutoField": "int", "IntegerField": "int",
    "BigIntegerField": "int", "SmallIntegerField": "int", "PositiveIntegerField": "int",
    "PositiveBigIntegerField": "int", "PositiveSmallIntegerField": "int", "FloatField": "float",
    "DecimalField": "decimal", "BooleanField": "bool", "NullBooleanField": "bool", "DateTimeField": "datetime",
    "DateField": "date", "TimeField": "time", "JSONField": "json", "BinaryField": "bytes", "UUIDField": "uuid",
    "DurationField": "duration",
}

#: Tables left empty on purpose: the loader test accepts them without a row (table -> why).
EMPTY_ON_PURPOSE: dict[str, str] = {}


def main() -> int:
    """Parse the arguments, build the database at the release and write the fixture."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", required=True, type=Path, help="a checkout of the release (its worktree)")
    parser.add_argument("--out", required=True, type=Path, help="the fixture to write (.json.gz)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="build in this directory (kept) instead of a temporary one; reuse its database if made")
    options = parser.parse_args()
    release = options.release.resolve()
    commit = subprocess.run(["git", "-C", str(release), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="changji-upgrade-fixture-") as temporary:
        data_dir = str(options.data_dir or temporary)
        built = Path(data_dir, "changji.sqlite3").exists()
        os.environ.pop("DATABASE_URL", None)
        os.environ.update(CHANGJI_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="changji.settings",
                          CHANGJI_LOG_LEVEL="WARNING")
        import django

        django.setup()
        import changji

        if not Path(changji.__file__).resolve().is_relative_to(release):
            parser.error(f"changji is imported from {changji.__file__}, not the release: set PYTHONPATH={release}/src")
        for line in [] if built else build():
            print(line)
        print(fill())
        fixture = dump(commit)
    fixture["migration_sha256"] = {
        str(path.relative_to(release)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(release.glob("src/changji/*/migrations/*.py"))
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(options.out, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(fixture, handle, ensure_ascii=False, separators=(",", ":"))
    empty = [name for name, table in fixture["tables"].items() if not table["rows"]]
    print(f"wrote {options.out} ({options.out.stat().st_size:,} bytes): {len(fixture['tables'])} tables, "
          f"{sum(len(t['rows']) for t in fixture['tables'].values()):,} rows; empty: {', '.join(empty) or 'none'}")
    return 0


def build() -> list[str]:
    """Migrate and seed the release's demo data at a small size; fill what it leaves empty."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return [seed_core(), seed_water(), seed_services(), seed_community()]


def seed_core() -> str:
    """The demo administrator."""
    from changji.core.models import Role, User
    from changji.core.regions import root_region

    admin = User.objects.create_user(username="admin", password="changji-demo-2026", role=Role.PREFECTURE_ADMIN,
                                     region=root_region(), is_staff=True, is_superuser=True, last_name="州级管理员")
    return f"core: administrator {admin.username}"


def seed_water() -> str:
    """The water demo with 4 wells and 3 days of history."""
    from changji.water.demo import prepare_water_demo

    return prepare_water_demo(4, 3)


def seed_services() -> str:
    """The services catalogue and staff, 20 cases and two days of the hall."""
    from changji.core import localtime
    from changji.services import demo_hall
    from changji.services.demo_cases import seed_demo_cases
    from changji.services.demo_catalogue import seed_demo_catalogue, seed_demo_staff

    bundles = seed_demo_catalogue()
    staff = seed_demo_staff("changji-demo-2026")
    cases = seed_demo_cases(count=20)
    demo_hall.DAYS_BACK = 2  # the release's constant; the fixture keeps the hall small
    hall = demo_hall.seed_demo_hall(localtime.today())
    return f"services: {len(bundles)} bundles, {len(staff)} staff, {cases} cases, hall {hall}"


def seed_community() -> str:
    """A small demo town."""
    from changji.community import demo

    demo.DEPARTMENT_LAYERS = (("综治", 3, 3), ("城管", 4, 3))  # the release's constant; fewer departmental grids
    size = demo.TownSize(grids=12, communities=2, residents=60, members=20, units=6, wishes=10, activities=8,
                         issues=16, service_points=3, visits=20, meetings=6)
    made = demo.build_town(size, password="changji-demo-2026")
    return f"community: {made}"


def fill() -> str:
    """Run one round of the recurring jobs, then add a few realistic rows to each table still empty."""
    from django.core.management import call_command

    call_command("jobs", "--once", verbosity=0)
    counts = {}
    for function in (_fill_accounts, _fill_water, _fill_exchange, _fill_services, _fill_community):
        counts.update(function())
    return "filled: " + ", ".join(f"{table} {count}" for table, count in counts.items())


def _fill_accounts() -> dict[str, int]:
    """Groups and permissions, a session, an admin log entry, an API token, notices, axes' login records."""
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Group, Permission
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from changji.core.models import ApiToken, Notification, NotificationPreference, Region, User

    admin = User.objects.get(username="admin")
    clerk = User.objects.exclude(pk=admin.pk).order_by("pk").first()
    duty = Group.objects.create(name="值班员")
    duty.permissions.set(Permission.objects.filter(codename__in=["view_well", "view_alarm"]))
    clerk.groups.add(duty)
    clerk.user_permissions.add(Permission.objects.get(codename="view_terminal"))
    session = SessionStore()
    session.update({"_auth_user_id": str(admin.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})
    session.create()
    LogEntry.objects.log_actions(admin.pk, [clerk], CHANGE, change_message="[]", single_object=True)
    ApiToken.issue(admin, "省平台对接")
    now = timezone.now()
    Notification.objects.create(event="alarm.raised", channel="in_app", user=admin, recipient_name="州级管理员",
                                region=Region.objects.get(code="652300"), title="新告警：水表疑似被拆",
                                body="652301 一号井 水表疑似被拆，请核查。", target_type="alarm", target_id="1",
                                link="/water/alarms/", state="sent", attempts=1, created_at=now, sent_at=now)
    Notification.objects.create(event="alarm.raised", channel="sms", address="13900000000",
                                recipient_name="县级值班员", title="新告警", body="请核查。",
                                sms_params={"well": "一号井"}, state="failed", attempts=3, last_error="HTTP 503",
                                created_at=now)
    NotificationPreference.objects.create(user=admin, event="alarm.raised", channels=["in_app", "sms"],
                                          updated_at=now)
    common = {"user_agent": "Mozilla/5.0", "ip_address": "203.0.113.7", "username": "admin",
              "http_accept": "text/html", "path_info": "/accounts/login/"}
    attempt = AccessAttempt.objects.create(get_data="", post_data="username=admin", failures_since_start=2, **common)
    AccessAttemptExpiration.objects.create(access_attempt=attempt, expires_at=now + timedelta(hours=1))
    AccessFailureLog.objects.create(locked_out=False, **common)
    AccessLog.objects.create(session_hash="0" * 64, **common)
    return {"accounts": 14}


def _fill_water() -> dict[str, int]:
    """Commands, monthly usage, a control level, an allocation change, quarantine, work-order photo, open data."""
    import uuid

    from django.db.models import Sum
    from django.utils import timezone

    from changji.core.models import Region, User
    from changji.water.models import (
        Allocation,
        AllocationChange,
        Command,
        ControlLevel,
        DailyUsage,
        MonthlyUsage,
        OpenDataSetting,
        QuarantinedTerminal,
        Terminal,
        WorkOrder,
        WorkOrderPhoto,
    )

    admin, now = User.objects.get(username="admin"), timezone.now()
    terminal = Terminal.objects.order_by("pk").first()
    Command.objects.create(terminal=terminal, kind="pump_stop", state="confirmed", reason="超许可取水，远程关泵",
                           requested_by=admin, requested_by_name="州级管理员", created_at=now,
                           expires_at=now + timedelta(hours=1), attempts=1, last_sent_at=now, finished_at=now,
                           answer={"ok": True})
    Command.objects.create(terminal=terminal, kind="set_clock", params={"to": now.isoformat()}, state="expired",
                           requested_by_name="system", created_at=now - timedelta(hours=2),
                           expires_at=now - timedelta(hours=1), attempts=3, error="无应答")
    for well_id, month in {(row["well_id"], row["day"].replace(day=1))
                           for row in DailyUsage.objects.values("well_id", "day")}:
        total = DailyUsage.objects.filter(well_id=well_id, day__gte=month).aggregate(water=Sum("water_m3"))
        MonthlyUsage.objects.create(well_id=well_id, month=month, usage_m3=total["water"], water_m3=total["water"],
                                    estimated_days=0, agreement_judged=2, agreement_ok=2)
    ControlLevel.objects.create(well=terminal.well, control_depth_m=35.5, document="昌州水发〔2026〕12号",
                                updated_at=now, updated_by=admin)
    AllocationChange.objects.create(allocation=Allocation.objects.order_by("pk").first(), amount_m3=5000.0,
                                    reason="春灌追加", by_name="州级管理员", at=now, approved_by_name="局长",
                                    approver=admin, expires_on=now.date() + timedelta(days=90))
    QuarantinedTerminal.objects.create(protocol="szy206", address="6523019999", first_seen_at=now, last_seen_at=now,
                                       last_peer="198.51.100.4:40212", frame_count=3,
                                       region=Region.objects.get(code="652301"))
    WorkOrderPhoto.objects.create(order=WorkOrder.objects.order_by("pk").first(), client_id=uuid.uuid4(),
                                  image="work_orders/2026/12/photo.jpg", size_bytes=48213, sha256="a" * 64,
                                  taken_at=now, latitude=44.01, longitude=87.30, position_source="gps",
                                  uploaded_at=now, uploaded_by=admin)
    OpenDataSetting.objects.create(enabled=True, updated_at=now, updated_by=admin)
    return {"water": 9}


def _fill_exchange() -> dict[str, int]:
    """An upstream link with a formed batch and its delivery state, and a nonce seen from downstream."""
    from django.utils import timezone

    from changji.water.models import ExchangeNonce, OutboundBatch, StreamDelivery, UpstreamLink

    now = timezone.now()
    UpstreamLink.objects.create(name="新疆维吾尔自治区水利厅", base_url="https://xj.example.org/exchange/",
                                key_id="changji-652300", secret="s3cret-for-the-fixture", active=True,
                                batch_size=500, updated_at=now)
    OutboundBatch.objects.create(stream="registry", seq=1, first_entry_id=1, last_entry_id=31, rows=31,
                                 formed_at=now, delivered_at=now)
    StreamDelivery.objects.create(stream="registry", next_seq=2, formed_seq=1, attempts=0, last_delivered_at=now)
    ExchangeNonce.objects.create(key_id="changji-652301", nonce="8d5e0b6a4f2c", seen_at=now)
    return {"exchange": 4}


def _fill_services() -> dict[str, int]:
    """A material, an inspection and an e-licence on the demo's cases."""
    from django.utils import timezone

    from changji.services.models import ELicence, Inspection, Material, SubCase

    now = timezone.now()
    sub_cases = list(SubCase.objects.order_by("pk")[:2])
    Material.objects.create(case=sub_cases[0].case, code="M001", name="营业执照", file="materials/2026/12/licence.pdf",
                            sha256="b" * 64, seen_in_original=True, checked_by_name="窗口人员",
                            item_codes=[sub_cases[0].item.code], uploaded_at=now)
    Inspection.objects.create(sub_case=sub_cases[0], started_at=now, due_on=now.date() + timedelta(days=5),
                              inspectors="张三、李四", inspected_at=now, result="passed", findings="现场符合要求")
    ELicence.objects.create(sub_case=sub_cases[1], number="652302-2026-0001", name="食品经营许可证",
                            department=sub_cases[1].department, holder_name="阜康市演示餐饮店",
                            issued_on=now.date(), valid_until=now.date() + timedelta(days=5 * 365))
    return {"services": 3}


def _fill_community() -> dict[str, int]:
    """Post claims, unit agreements, wish events, an activity photo, a points period, an Open311 client."""
    from django.utils import timezone

    from changji.community.models import (
        Activity,
        ActivityPhoto,
        AgreementEntry,
        CoBuildingUnit,
        MicroWish,
        Open311Client,
        PartyMember,
        PeriodRanking,
        PointPeriod,
        Post,
        PostClaim,
        UnitAgreement,
        WishEvent,
    )
    from changji.core.models import Region

    now = timezone.now()
    town = Region.objects.get(code="652328100")
    PostClaim.objects.create(post=Post.objects.order_by("pk").first(),
                             member=PartyMember.objects.order_by("pk").first(), claimed_on=now.date())
    unit = CoBuildingUnit.objects.order_by("pk").first()
    agreement = UnitAgreement.objects.create(unit=unit, year=now.year, commitment="共建文明社区，认领两个服务项目",
                                             signed_on=now.date())
    AgreementEntry.objects.create(agreement=agreement, list_kind="needs", text="老旧小区照明改造")
    AgreementEntry.objects.create(agreement=agreement, list_kind="projects", text="义诊进社区", done_on=now.date())
    wish = MicroWish.objects.order_by("pk").first()
    WishEvent.objects.create(wish=wish, at=now, from_state="open", to_state="claimed", note="党员认领")
    ActivityPhoto.objects.create(activity=Activity.objects.order_by("pk").first(),
                                 photo="activities/2026/12/photo.jpg", caption="活动现场")
    period = PointPeriod.objects.create(region=town, name="2026年第四季度", starts_on=now.date().replace(day=1),
                                        ends_on=now.date().replace(day=28), closed_at=now)
    PeriodRanking.objects.create(period=period, rank=1, holder_kind="unit", holder_id=unit.pk,
                                 holder_name=unit.name, points=120)
    Open311Client.objects.create(name="12345 热线", key_digest="c" * 64, region=town, active=True, created_at=now)
    return {"community": 11}


def _kinds() -> dict[str, dict[str, str]]:
    """Table -> column -> kind, from the release's models (auto-created many-to-many tables included)."""
    from django.apps import apps
    from django.db.migrations.recorder import MigrationRecorder

    tables: dict[str, dict[str, str]] = {}
    for model in [*apps.get_models(include_auto_created=True), MigrationRecorder.Migration]:
        columns = tables.setdefault(model._meta.db_table, {})
        for field in model._meta.local_fields:
            target = field
            while target.remote_field is not None and hasattr(target, "target_field"):
                target = target.target_field
            columns[field.column] = KINDS.get(target.get_internal_type(), "text")
    return tables


def _value(kind: str, value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def dump(commit: str) -> dict[str, Any]:
    """Every table's columns and rows, the migration leaves, the release commit."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    kinds = _kinds()
    leaves = {app: name for app, name in MigrationLoader(connection).graph.leaf_nodes()}
    tables: dict[str, Any] = {}
    with connection.cursor() as django_cursor:
        names_of_tables = sorted(connection.introspection.table_names(django_cursor))
    connection.close()
    # A plain connection reads the values as stored (Django's registers converters for dates, booleans, decimals).
    with closing(sqlite3.connect(connection.settings_dict["NAME"])) as raw:
        cursor = raw.cursor()
        for table in names_of_tables:
            info = cursor.execute(f'PRAGMA table_info("{table}")').fetchall()
            names = [row[1] for row in info]
            primary = [row[1] for row in info if row[5]]
            missing = set(names) - set(kinds.get(table, {}))
            if missing:
                raise SystemExit(f"{table}: no model field for column(s) {sorted(missing)}")
            order = ", ".join(f'"{name}"' for name in primary or names)
            rows = cursor.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
            tables[table] = {
                "primary_key": primary[0] if len(primary) == 1 else None,
                "columns": [[name, kinds[table][name]] for name in names],
                "rows": [[_value(kinds[table][name], v) for name, v in zip(names, row, strict=True)] for row in rows],
            }
    return {"release": commit, "made_at": datetime.now(UTC).isoformat(timespec="seconds"), "leaves": leaves,
            "empty_on_purpose": EMPTY_ON_PURPOSE, "tables": tables}


if __name__ == "__main__":
    sys.exit(main())
