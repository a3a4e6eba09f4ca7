"""A grid's party branch is its grid party organisations now (0006 moved the names); the text field goes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0006_party_organisations_from_grids"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="grid",
            name="party_branch",
        ),
    ]
