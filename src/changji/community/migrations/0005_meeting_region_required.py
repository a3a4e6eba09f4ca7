"""A 四方联动 meeting belongs to a community; the issue it was once held on is now on its agenda (0004)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0004_meetings_to_communities"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="coordinationmeeting",
            name="issue",
        ),
        migrations.AlterField(
            model_name="coordinationmeeting",
            name="region",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.region",
                                    verbose_name="社区"),
        ),
    ]
