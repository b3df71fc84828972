# Resource centers, moved here from turnout.actions with their rows: the tables were renamed by
# actions/0003, so this migration only takes the models into hubs' state and moves the content
# types (and any permissions on them) along.

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor, source='actions', target='hubs'):
    content_type = apps.get_model('contenttypes', 'ContentType')
    for model in ('hub', 'hubitem'):
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source='hubs', target='actions')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0003_group_texting_hours'),
        ('actions', '0003_resource_centers_move_to_hubs'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('events', '0001_initial'),
        ('mobilization', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Hub',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('slug', models.SlugField(help_text="The page's address: /hub/<address>/", max_length=80, unique=True, verbose_name='address')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('title_es', models.CharField(blank=True, max_length=200, verbose_name='title in Spanish')),
                        ('intro', models.TextField(blank=True, help_text='Markdown.', verbose_name='introduction')),
                        ('intro_es', models.TextField(blank=True, verbose_name='introduction in Spanish')),
                        ('is_published', models.BooleanField(default=False, verbose_name='published')),
                        ('campaign', models.ForeignKey(blank=True, help_text="Empty: the group's upcoming public events.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='events.eventcampaign', verbose_name='events from the campaign')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hubs', to='accounts.group')),
                    ],
                    options={
                        'ordering': ['title'],
                    },
                ),
                migrations.CreateModel(
                    name='HubItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveIntegerField(default=0, verbose_name='order')),
                        ('kind', models.CharField(choices=[('events', 'Upcoming events'), ('form', 'Form'), ('petition', 'Petition'), ('pledge', 'Pledge'), ('resolution', 'Resolution'), ('working_group', 'Working group'), ('link', 'Link'), ('file', 'File'), ('text', 'Text')], max_length=20, verbose_name='kind')),
                        ('heading', models.CharField(blank=True, max_length=200, verbose_name='heading')),
                        ('heading_es', models.CharField(blank=True, max_length=200, verbose_name='heading in Spanish')),
                        ('body', models.TextField(blank=True, help_text='Markdown.', verbose_name='text')),
                        ('body_es', models.TextField(blank=True, verbose_name='text in Spanish')),
                        ('url', models.URLField(blank=True, verbose_name='link')),
                        ('file', models.FileField(blank=True, upload_to='hubs/', verbose_name='file')),
                        ('form', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='actions.form')),
                        ('hub', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='hubs.hub')),
                        ('pledge', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='mobilization.pledge')),
                        ('petition', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='actions.petition')),
                        ('resolution', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='actions.resolution')),
                        ('working_group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='actions.workinggroup')),
                    ],
                    options={
                        'ordering': ['position', 'pk'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=True),
    ]
