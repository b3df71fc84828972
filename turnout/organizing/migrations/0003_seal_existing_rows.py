"""Seal the rows written before 0002 (they were plaintext and still read as such), point each card
at its signer through the sealed reference and blind index, and fill `counts` and the tallies."""

from typing import Any

from django.db import migrations

from turnout.core.sealing import blind_index

SEALED = {
    "Card": ["signed_name", "email", "phone", "ip_address", "user_agent", "job_title"],
    "Assessment": ["score"],
    "Worker": ["support"],
    "Request": ["employer_name", "workplace_address"],
    "Conversation": ["outcome", "next_step"],
}


def seal(apps: Any, schema_editor: Any) -> None:
    Card = apps.get_model("organizing", "Card")
    Worker = apps.get_model("organizing", "Worker")
    Unit = apps.get_model("organizing", "Unit")
    for name, fields in SEALED.items():
        model = apps.get_model("organizing", name)
        rows = model.objects.all()
        if name == "Card":
            rows, fields = rows.select_related("worker"), [*fields, "worker_ref", "worker_index"]
        batch = []
        for row in rows.iterator(chunk_size=2000):
            if name == "Card":
                # PostgreSQL's inet turned to text keeps its mask: 203.0.113.9/32.
                if row.ip_address and "/" in row.ip_address:
                    row.ip_address = row.ip_address.split("/")[0]
                row.worker_ref = str(row.worker.public_id)
                row.worker_index = blind_index(row.worker_ref)
            batch.append(row)  # read as plaintext (no key opens it), written sealed
            if len(batch) == 1000:
                model.objects.bulk_update(batch, fields)
                batch = []
        if batch:
            model.objects.bulk_update(batch, fields)
    # Each eligible worker's newest card counts; each unit tallies its eligible workers' latest scores.
    newest: dict[int, tuple[Any, int]] = {}
    for pk, worker_id, signed_at in Card.objects.filter(worker__eligible=True).values_list(
            "pk", "worker_id", "signed_at"):
        if worker_id not in newest or (signed_at, pk) > newest[worker_id]:
            newest[worker_id] = (signed_at, pk)
    Card.objects.filter(pk__in=[pk for _at, pk in newest.values()]).update(counts=True)
    tallies: dict[int, list[int]] = {}
    for unit_id, support in Worker.objects.filter(eligible=True).values_list("unit_id", "support"):
        tally = tallies.setdefault(unit_id, [0] * 5)
        if support:
            tally[int(support) - 1] += 1
    for unit in Unit.objects.all():
        unit.support_counts = tallies.get(unit.pk, [0] * 5)
        unit.save(update_fields=["support_counts"])


class Migration(migrations.Migration):
    dependencies = [("organizing", "0002_seal_cards_and_scores")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
