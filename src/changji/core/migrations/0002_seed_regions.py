"""Seed the instance's region tree (GB/T 2260): the root region's ancestors, the root and its known children.

The root is the ``CHANGJI_ROOT_REGION`` setting (default 652300, Changji prefecture: the nation, Xinjiang,
the prefecture and its 7 counties); ``changji.core.regions`` holds the seed.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from changji.core import regions


def seed_regions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    regions.seed(apps.get_model("core", "Region"), using=schema_editor.connection.alias)


def unseed_regions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    regions.unseed(apps.get_model("core", "Region"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed_regions, unseed_regions)]
