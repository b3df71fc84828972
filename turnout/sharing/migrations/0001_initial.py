# Share codes and referrals, moved here from turnout.actions with their rows: the tables were
# renamed by actions/0002, so this migration only takes the models into sharing's state, renames
# the index to sharing's name and moves the content types (and any permissions on them) along.

import django.db.models.deletion
import django.utils.timezone
import turnout.sharing.models
from django.db import migrations, models


def move_content_types(apps, schema_editor, source='actions', target='sharing'):
    content_type = apps.get_model('contenttypes', 'ContentType')
    for model in ('sharecode', 'referral'):
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source='sharing', target='actions')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('actions', '0002_share_links_move_to_sharing'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('people', '0005_alter_consentevent_source'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ShareCode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(default=turnout.sharing.models.new_share_code, max_length=16, unique=True)),
                        ('person', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='share_code', to='people.person')),
                    ],
                ),
                migrations.CreateModel(
                    name='Referral',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('form', 'form'), ('petition', 'petition'), ('pledge', 'pledge'), ('event', 'event'), ('working_group', 'working group'), ('network', 'network')], max_length=20)),
                        ('action_id', models.PositiveBigIntegerField()),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='referrals_received', to='people.person')),
                        ('referrer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='referrals_made', to='people.person')),
                    ],
                    options={
                        'indexes': [models.Index(fields=['kind', 'action_id', 'referrer'], name='actions_ref_kind_c12e0e_idx')],
                        'constraints': [models.UniqueConstraint(fields=('person', 'kind', 'action_id'), name='one_credit_per_action')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RenameIndex(
            model_name='referral',
            new_name='sharing_ref_kind_4d7305_idx',
            old_name='actions_ref_kind_c12e0e_idx',
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=True),
    ]
