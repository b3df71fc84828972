"""Seal what would name a worker to an employer who seized the database: scores, one-on-one
outcomes, the card's signature record and signer, who asked to organize which employer. Adds the
card's sealed signer reference, its blind index and `counts` flag, and each unit's score tally;
0003 fills them and seals the existing rows, 0004 drops the plaintext links."""

import turnout.core.sealing
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('organizing', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='card',
            name='counts',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='card',
            name='worker_index',
            field=turnout.core.sealing.BlindIndexField(blank=True, db_index=True, editable=False, max_length=64, of='worker_ref'),
        ),
        migrations.AddField(
            model_name='card',
            name='worker_ref',
            field=turnout.core.sealing.SealedCharField(max_length=36, null=True),
        ),
        migrations.AddField(
            model_name='unit',
            name='support_counts',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name='assessment',
            name='notes',
            field=turnout.core.sealing.SealedTextField(blank=True, null=True, verbose_name='notes'),
        ),
        migrations.AlterField(
            model_name='assessment',
            name='score',
            field=turnout.core.sealing.SealedIntegerField(choices=[(1, '1 — Leader / committed'), (2, '2 — Supporter'), (3, '3 — Undecided'), (4, '4 — Leaning against'), (5, '5 — Opposed')], verbose_name='support'),
        ),
        migrations.AlterField(
            model_name='card',
            name='email',
            field=turnout.core.sealing.SealedCharField(blank=True, max_length=254),
        ),
        migrations.AlterField(
            model_name='card',
            name='ip_address',
            field=turnout.core.sealing.SealedCharField(blank=True, max_length=45, null=True),
        ),
        migrations.AlterField(
            model_name='card',
            name='job_title',
            field=turnout.core.sealing.SealedCharField(blank=True, max_length=100, verbose_name='job'),
        ),
        migrations.AlterField(
            model_name='card',
            name='phone',
            field=turnout.core.sealing.SealedCharField(blank=True, max_length=30),
        ),
        migrations.AlterField(
            model_name='card',
            name='signed_name',
            field=turnout.core.sealing.SealedCharField(max_length=200, verbose_name='signature (typed name)'),
        ),
        migrations.AlterField(
            model_name='card',
            name='user_agent',
            field=turnout.core.sealing.SealedCharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name='conversation',
            name='next_step',
            field=turnout.core.sealing.SealedCharField(blank=True, max_length=300, verbose_name='next step'),
        ),
        migrations.AlterField(
            model_name='conversation',
            name='notes',
            field=turnout.core.sealing.SealedTextField(blank=True, null=True, verbose_name='notes'),
        ),
        migrations.AlterField(
            model_name='conversation',
            name='outcome',
            field=turnout.core.sealing.SealedCharField(choices=[('supportive', 'Supportive'), ('undecided', 'Undecided'), ('opposed', 'Opposed'), ('not_reached', 'Not reached'), ('committee', 'Joined the committee'), ('signed', 'Signed a card')], max_length=12, verbose_name='outcome'),
        ),
        migrations.AlterField(
            model_name='request',
            name='employer_name',
            field=turnout.core.sealing.SealedCharField(max_length=200, verbose_name='employer'),
        ),
        migrations.AlterField(
            model_name='request',
            name='story',
            field=turnout.core.sealing.SealedTextField(blank=True, null=True, verbose_name='what is going on'),
        ),
        migrations.AlterField(
            model_name='request',
            name='workplace_address',
            field=turnout.core.sealing.SealedCharField(blank=True, max_length=300, verbose_name='workplace address'),
        ),
        migrations.AlterField(
            model_name='worker',
            name='support',
            field=turnout.core.sealing.SealedIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='card',
            index=models.Index(fields=['unit', 'counts', 'signed_at'], name='card_unit_counts'),
        ),
    ]
