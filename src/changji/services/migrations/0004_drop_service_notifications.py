# The applicant's notices go through the platform's outbox (core.Notification, services.notices) now.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('services', '0003_centre_and_catalogue'),
    ]

    operations = [
        migrations.DeleteModel(
            name='Notification',
        ),
    ]
