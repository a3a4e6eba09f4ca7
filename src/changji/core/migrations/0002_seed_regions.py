"""Seed the region tree: the nation, Xinjiang, Changji prefecture and its 7 counties (GB/T 2260)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from changji.core.regions import SEED_REGIONS


def seed_regions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Region = apps.get_model("core", "Region")
    paths: dict[str, str] = {}
    for code, name, level, parent_code in SEED_REGIONS:
        path = (paths[parent_code] if parent_code else "") + f"{code}/"
        paths[code] = path
        Region.objects.update_or_create(
            code=code, defaults={"name": name, "level": level, "parent_id": parent_code, "path": path}
        )


def unseed_regions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Region = apps.get_model("core", "Region")
    for code, *_ in reversed(SEED_REGIONS):
        Region.objects.filter(code=code).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed_regions, unseed_regions)]
