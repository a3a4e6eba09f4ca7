"""Quarantined terminals get the region their address names, so county operators see their own (core.scope)."""

from django.db import migrations, models
import django.db.models.deletion

PREFECTURE_CODE = "652300"


def backfill(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    QuarantinedTerminal = apps.get_model("water", "QuarantinedTerminal")
    counties = set(Region.objects.filter(level=3).values_list("code", flat=True))
    fallback = Region.objects.filter(code=PREFECTURE_CODE).values_list("code", flat=True).first()
    for terminal in QuarantinedTerminal.objects.filter(region__isnull=True):
        code = terminal.address[:6]
        terminal.region_id = code if code in counties else fallback
        terminal.save(update_fields=["region"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_grid_level_and_community_roles"),
        ("water", "0008_dashboard_figures_and_covering_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="quarantinedterminal",
            name="region",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="core.region", verbose_name="所属区划"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
