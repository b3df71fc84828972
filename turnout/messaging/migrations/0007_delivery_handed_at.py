from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0006_message_outbox_summary"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="handed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
