"""The participation rollup of an existing installation, computed once from its served rows.

Data only (PostgreSQL refuses schema changes in the transaction that wrote rows, so 0008 creates the table).
The same computation as ``community.venues.participation.rebuild``, on the historical models.
"""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Substr

#: A community's code is the first 12 characters of its own code and of each of its grids'.
COMMUNITY_CODE_LENGTH = 12


def served_to_participation(apps, schema_editor):
    """One row per community, year and resident served by the community's activities that year."""
    served_model = apps.get_model("community", "ActivityServed")
    participation_model = apps.get_model("community", "ResidentParticipation")
    pairs = (served_model.objects.values(community_code=Substr("activity__region_id", 1, COMMUNITY_CODE_LENGTH),
                                         served_year=F("activity__held_on__year"), served_resident=F("resident_id"))
             .distinct().order_by())
    participation_model.objects.bulk_create(
        [participation_model(community_id=p["community_code"], year=p["served_year"], resident_id=p["served_resident"])
         for p in pairs.iterator(chunk_size=5000)], batch_size=5000)


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0008_resident_participation"),
    ]

    operations = [
        migrations.RunPython(served_to_participation, migrations.RunPython.noop),
    ]
