"""Meetings held on one issue become meetings of the issue's community with that issue on their agenda.

Data only: PostgreSQL refuses to alter a table in the transaction that updated its rows, so the schema
changes around this step are in 0003 and 0005.
"""

from django.db import migrations

#: A grid's code is 15 characters; its community (village level) is the first 12.
COMMUNITY_CODE_LENGTH = 12


def meetings_to_communities(apps, schema_editor):
    """A meeting held on one issue becomes a meeting of the issue's community with that issue on its agenda.

    Its agreed actions name the issue; the old 社区参会人 is the residents' committee's (renamed field).
    """
    meeting_model = apps.get_model("community", "CoordinationMeeting")
    agenda_model = apps.get_model("community", "AgendaItem")
    action_model = apps.get_model("community", "AgreedAction")
    for meeting in meeting_model.objects.select_related("issue").iterator():
        meeting.region_id = meeting.issue.region_id[:COMMUNITY_CODE_LENGTH]
        meeting.recorded_at = meeting.held_at
        meeting.save(update_fields=["region", "recorded_at"])
        agenda_model.objects.create(meeting_id=meeting.pk, issue_id=meeting.issue_id)
        action_model.objects.filter(meeting_id=meeting.pk).update(issue_id=meeting.issue_id)


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0003_practice_meetings_visits_liaisons"),
    ]

    operations = [
        migrations.RunPython(meetings_to_communities, migrations.RunPython.noop),
    ]
