"""Background work for the API: queuing and sending webhook deliveries."""

from __future__ import annotations

from django.tasks import task

from turnout.api import webhooks


@task()
def queue_person_webhooks(*, person_id: int, event: str) -> None:
    """Queue a delivery about one person to each webhook that may hear about them."""
    webhooks.queue_person(person_id=person_id, event=event)


@task()
def deliver_webhook(*, delivery_id: int) -> None:
    """Try one webhook delivery; safe to run twice (a sent delivery is not sent again)."""
    webhooks.deliver(delivery_id)
