import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Its own transaction: PostgreSQL cannot alter the tag table while the split's rows
    # still have foreign-key checks pending.

    dependencies = [
        ("accounts", "0003_group_texting_hours"),
        ("people", "0006_tag_group"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="tag",
            options={"ordering": ["name", "id"]},
        ),
        migrations.AlterField(
            model_name="tag",
            name="group",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="tags",
                                    to="accounts.group"),
        ),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.UniqueConstraint(fields=("group", "name"), name="one_tag_name_per_group"),
        ),
    ]
