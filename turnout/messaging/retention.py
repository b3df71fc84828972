"""What messaging keeps only as long as it is needed: texts received, outbox rows, unreadable
callbacks. `turnout.site.retention` runs these on the operator's schedule."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from turnout.core.retention import BATCH, delete_in_batches
from turnout.messaging import outbox
from turnout.messaging.models import Delivery, InboundMessage, Message, UnreadableWebhook

FINISHED = [Message.Status.SENT, Message.Status.CANCELLED]
# A provider's reason for a failure may quote the number or address; what outlives the rows does not.
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d[\d ().-]{5,}\d")
KEPT_REASONS = 20


def prune_inbound(*, handled_before: datetime | None, unhandled_before: datetime | None,
                  batch: int = BATCH, dry_run: bool = False) -> dict[str, int]:
    """Remove texts received before the cutoffs: handled ones (acted on, a keyword, or marked
    handled) before `handled_before`, replies nobody handled before `unhandled_before`; a text not
    yet offered to the apps that act on replies stays. None keeps that kind. The messages they
    replied to keep counting them. How many of each."""
    kept = InboundMessage.objects.filter(waiting=False)
    counts = {"handled": 0, "unhandled": 0}
    for kind, before in (("handled", handled_before), ("unhandled", unhandled_before)):
        if before is None:
            continue
        old = kept.filter(handled=kind == "handled", received_at__lt=before)
        if dry_run:
            counts[kind] = old.count()
            continue
        while taken := _remove_inbound_batch(old, batch):
            counts[kind] += taken
    return counts


@transaction.atomic
def _remove_inbound_batch(old: QuerySet[InboundMessage], batch: int) -> int:
    """Delete one batch of old texts received, first counting each as a reply on the messages whose
    replies it counted toward (`outbox.tally`), so their figures stay as they were."""
    texts = list(old.select_for_update().order_by("pk").values_list("pk", "person_id", "received_at")[:batch])
    if not texts:
        return 0
    replied = {person for _pk, person, _at in texts if person is not None}
    # Outbox rows already removed counted their replies then; only rows still here count them live.
    recipients = Delivery.objects.filter(person__in=replied, sent_at__isnull=False,
                                         message__created_at__lte=max(at for _pk, _person, at in texts))
    sent_to: dict[int, list[tuple[int, datetime]]] = {}
    for message_id, person, created_at in recipients.values_list("message_id", "person_id", "message__created_at"):
        sent_to.setdefault(person, []).append((message_id, created_at))
    replies = Counter(message_id for _pk, person, at in texts
                      for message_id, created_at in sent_to.get(person, []) if created_at <= at)
    for message in Message.objects.select_for_update().filter(pk__in=replies).order_by("pk"):
        progress = message.outbox_summary.setdefault("progress", {})
        progress["replies"] = progress.get("replies", 0) + replies[message.pk]
        message.save(update_fields=["outbox_summary"])
    _total, per_model = InboundMessage.objects.filter(pk__in=[pk for pk, _person, _at in texts]).delete()
    return per_model.get(InboundMessage._meta.label, 0)


def prune_deliveries(*, finished_before: datetime, batch: int = BATCH, dry_run: bool = False) -> int:
    """Remove the outbox rows (one per person) of messages sent or cancelled whose last row changed
    before `finished_before`; each message keeps what they counted. How many rows."""
    done = (Message.objects.filter(status__in=FINISHED, created_at__lt=finished_before)
            .annotate(last=Max("deliveries__status_at")).filter(last__lt=finished_before))
    if dry_run:
        return Delivery.objects.filter(message__in=list(done.values_list("pk", flat=True))).count()
    removed = 0
    for message_id in done.values_list("pk", flat=True):
        while taken := _remove_outbox_batch(message_id, batch):
            removed += taken
    return removed


@transaction.atomic
def _remove_outbox_batch(message_id: int, batch: int) -> int:
    """Count one batch of a finished message's outbox rows into the message and delete them, in one
    transaction: a run stopped midway leaves every row either counted and gone, or still there."""
    # The message's lock keeps two runs (two workers) from counting the same rows twice.
    message = Message.objects.select_for_update().filter(pk=message_id, status__in=FINISHED).first()
    if message is None:  # sending again (more people were added) or gone
        return 0
    # The rows' locks make a provider's late status report wait, then find nothing.
    ids = list(Delivery.objects.select_for_update().filter(message=message).order_by("pk")
               .values_list("pk", flat=True)[:batch])
    if not ids:
        return 0
    rows = Delivery.objects.filter(pk__in=ids)
    kept = message.outbox_summary
    progress = Counter(kept.get("progress", {}))
    progress.update(outbox.tally(message, rows))
    reasons = Counter(dict(kept.get("failures", [])))
    for error in rows.filter(status=Delivery.Status.FAILED).values_list("error", flat=True):
        reasons[ADDRESS.sub("…", error)] += 1
    started = [datetime.fromisoformat(kept["started_at"])] if kept.get("started_at") else []
    started += [at for at in [rows.order_by("created_at").values_list("created_at", flat=True).first()] if at]
    message.outbox_summary = {"progress": dict(progress), "failures": reasons.most_common(KEPT_REASONS),
                              "started_at": min(started).isoformat()}
    message.outbox_removed_at = timezone.now()
    message.save(update_fields=["outbox_summary", "outbox_removed_at"])
    _total, per_model = rows.delete()
    return per_model.get(Delivery._meta.label, 0)


def prune_unreadable_webhooks(*, before: datetime, batch: int = BATCH, dry_run: bool = False) -> int:
    """Remove provider callbacks that could not be read, received before `before`; how many."""
    return delete_in_batches(UnreadableWebhook.objects.filter(received_at__lt=before), batch=batch,
                             dry_run=dry_run)
