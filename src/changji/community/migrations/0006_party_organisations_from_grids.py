"""Each grid's 网格党支部 (a name in a text field) becomes a grid party organisation covering its grids.

One organisation per distinct non-empty branch name of a community; a name shared by several grids of the
community is one organisation covering them all. Data only: PostgreSQL refuses to alter a table in the
transaction that updated its rows, so the field goes in 0007.
"""

from collections import defaultdict

from django.db import migrations
from django.utils import timezone

#: A grid's code is 15 characters; its community (village level) is the first 12.
COMMUNITY_CODE_LENGTH = 12


def organisations_from_grids(apps, schema_editor):
    """Create one organisation per (community, branch name), covering the grids that named it."""
    grid_model = apps.get_model("community", "Grid")
    organisation_model = apps.get_model("community", "GridPartyOrganisation")
    named = defaultdict(list)
    for code, branch in grid_model.objects.exclude(party_branch="").values_list("region_id", "party_branch"):
        if branch.strip():
            named[(code[:COMMUNITY_CODE_LENGTH], branch.strip())].append(code)
    today = timezone.localdate()
    for (community, name), grids in sorted(named.items()):
        organisation, _ = organisation_model.objects.get_or_create(
            region_id=community, name=name[:128], defaults={"founded_on": today})
        organisation.grids.add(*grids)


def branches_to_grids(apps, schema_editor):
    """Backwards: each grid names the first organisation (by name) that covers it."""
    grid_model = apps.get_model("community", "Grid")
    organisation_model = apps.get_model("community", "GridPartyOrganisation")
    for organisation in organisation_model.objects.order_by("-name"):
        grid_model.objects.filter(party_organisations=organisation).update(party_branch=organisation.name)


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0005_meeting_region_required"),
    ]

    operations = [
        migrations.RunPython(organisations_from_grids, branches_to_grids),
    ]
