# Resource centers now belong to turnout.hubs (hubs/migrations/0001_initial.py takes them into its
# state). Their tables are renamed, and every row stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('actions', '0002_share_links_move_to_sharing'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name='hub', table='hubs_hub'),
                migrations.AlterModelTable(name='hubitem', table='hubs_hubitem'),
            ],
            state_operations=[
                migrations.DeleteModel(name='HubItem'),
                migrations.DeleteModel(name='Hub'),
            ],
        ),
    ]
