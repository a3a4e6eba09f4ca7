"""The release's database, made once a session: migrated to the release's leaves and loaded with its fixture.

A fresh migrate costs most of a minute (Django renders the model states of every migration), so the tests here
copy this database (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) instead of making their own.
"""

from __future__ import annotations

import pytest

from tests.upgrade.release import scratch_database


@pytest.fixture(scope="session")
def release_database(django_db_setup, tmp_path_factory):
    """A database of the previous release holding its fixture (PostgreSQL: ``<test database>_release``)."""
    database = scratch_database(tmp_path_factory.mktemp("release-database"), "release")
    try:
        database.migrate_to_release()
        database.load()
        yield database
    finally:
        database.drop()
