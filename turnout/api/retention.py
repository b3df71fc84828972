"""Webhook deliveries carry people's details to other systems; once delivered or given up on they
are kept a few weeks (for the webhook's page and its retry button), then removed.
`turnout.site.retention` runs this on the operator's schedule."""

from __future__ import annotations

from datetime import datetime

from turnout.api.models import WebhookDelivery
from turnout.core.retention import BATCH, delete_in_batches


def prune_webhook_deliveries(*, before: datetime, batch: int = BATCH, dry_run: bool = False) -> int:
    """Remove webhook deliveries delivered or given up on, made before `before`; one still being
    retried stays. How many."""
    done = WebhookDelivery.objects.filter(status__in=[WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED],
                                          created_at__lt=before)
    return delete_in_batches(done, batch=batch, dry_run=dry_run)
