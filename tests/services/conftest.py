"""Fixtures of the services tests: the demo catalogue's restaurant bundle and a service centre's staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model


class _Seeded(Exception):
    """Raised to roll the session's seeding transaction back once its rows are copied."""


def _keys() -> dict[type[Model], set[Any]]:
    return {model: set(model.objects.values_list("pk", flat=True))
            for model in apps.get_models(include_auto_created=True) if not model._meta.proxy}


@pytest.fixture(scope="session")
def demo_catalogue_rows(django_db_setup: Any, django_db_blocker: Any) -> list[tuple[type[Model], list[Model]]]:
    """The rows ``seed_demo_catalogue`` creates, seeded once a session in a transaction that is rolled back.

    Seeding through the importer costs most of a second (about 800 queries for 89 bundles); over 160 tests that
    was two and a half minutes of every run. Each test now bulk-inserts these rows (a few queries per table).
    """
    from changji.services.demo_catalogue import seed_demo_catalogue

    rows: list[tuple[type[Model], list[Model]]] = []
    with django_db_blocker.unblock():
        before = _keys()
        try:
            with transaction.atomic():
                seed_demo_catalogue()
                for model, keys in _keys().items():
                    if new := keys - before[model]:
                        rows.append((model, list(model.objects.filter(pk__in=new).order_by("pk"))))
                raise _Seeded
        except _Seeded:
            pass
    return rows


def load_demo_catalogue(rows: list[tuple[type[Model], list[Model]]]) -> None:
    """Insert the seeded rows (foreign keys checked once all are in) and move the sequences past them."""
    with transaction.atomic(), connection.constraint_checks_disabled():
        for model, objects in rows:
            model.objects.bulk_create(objects)
        connection.check_constraints(table_names=[model._meta.db_table for model, _ in rows])
    statements = connection.ops.sequence_reset_sql(no_style(), [model for model, _ in rows])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


@pytest.fixture
def restaurant(db, demo_catalogue_rows):
    """The demo catalogue seeded; its 开办餐馆一件事 bundle (阜康市, 652302)."""
    from changji.services.models import Bundle

    load_demo_catalogue(demo_catalogue_rows)
    return Bundle.objects.get(code="YJS-CY")


@pytest.fixture
def staff(make_user, restaurant):
    """A window clerk and the reviewers of 市场监管 (SCJG) and 城管 (CGJ), listed on their departments."""
    from changji.services.models import Department

    clerk = make_user("clerk", "652302", role="window_clerk")
    reviewers = {}
    for code in ("SCJG", "CGJ"):
        reviewers[code] = make_user(f"reviewer-{code}", "652302", role="department_reviewer")
        Department.objects.get(code=f"652302-{code}").reviewers.add(reviewers[code])
    return clerk, reviewers


@pytest.fixture
def repair_shop(db):
    """开办机动车维修店一件事 (YJS-WX): every item 即办, the 备案 item inspected (tests/services/repair_shop)."""
    from tests.services.repair_shop import repair_bundle

    return repair_bundle()


@pytest.fixture
def window_clerk(make_user, repair_shop):
    """A window clerk of 阜康市 at 3号窗口, a window delegate of the repair bundle's departments."""
    from changji.services.models import ServiceWindow
    from tests.services.repair_shop import delegate

    clerk = make_user("wx-clerk", "652302", role="window_clerk")
    window = ServiceWindow.objects.create(region_id="652302", number=3, name="综合受理", service_types=["transport"])
    window.clerks.add(clerk)
    delegate(clerk, repair_shop)
    return clerk
