# Share codes and referrals now belong to turnout.sharing (sharing/migrations/0001_initial.py takes
# them into its state). Their tables are renamed, and every row stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('actions', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name='sharecode', table='sharing_sharecode'),
                migrations.AlterModelTable(name='referral', table='sharing_referral'),
            ],
            state_operations=[
                migrations.DeleteModel(name='ShareCode'),
                migrations.DeleteModel(name='Referral'),
            ],
        ),
    ]
