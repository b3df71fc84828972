from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("mobilization", "0004_recipients_unchecked"),
    ]

    operations = [
        migrations.AddField(
            model_name="activation",
            name="followup_es",
            field=models.TextField(blank=True, verbose_name="details for everyone who says yes, in Spanish"),
        ),
    ]
