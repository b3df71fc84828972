"""Audit entries about a person sealed with that person's key; the append-only trigger covers the new columns."""

import django.utils.timezone
import turnout.core.sealing
import uuid
from django.db import migrations, models

from turnout.core import audit_trigger


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_alter_auditentry_action'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='sealed',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='subject',
            field=models.UUIDField(blank=True, db_index=True, null=True),
        ),
        migrations.CreateModel(
            name='SubjectKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('owner', turnout.core.sealing.SealedTextField()),
                ('owner_index', turnout.core.sealing.BlindIndexField(blank=True, db_index=True, editable=False, max_length=64, of='owner')),
                ('key', turnout.core.sealing.SealedTextField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.RunPython(audit_trigger.relock, migrations.RunPython.noop),
    ]
