"""Drop the plaintext links between a card and its signer, and the card date on the roster row:
from here on a card names its worker only through the sealed reference and its blind index."""

import turnout.core.sealing
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("organizing", "0003_seal_existing_rows")]

    operations = [
        migrations.RemoveField(model_name="card", name="worker"),
        migrations.RemoveField(model_name="worker", name="card_signed_at"),
        migrations.AlterField(model_name="card", name="worker_ref",
                              field=turnout.core.sealing.SealedCharField(max_length=36)),
    ]
