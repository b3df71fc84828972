"""Background work for messaging: dispatching a message's outbox."""

from __future__ import annotations

from django.tasks import task

from turnout.messaging import sending


@task()
def dispatch_message(*, message_id: int) -> None:
    """Send what is due of one message; re-queues itself for deliveries waiting on quiet hours or retries."""
    sending.dispatch_due(message_id=message_id)


@task()
def start_scheduled(*, message_id: int) -> None:
    """Start a scheduled message when its time comes; does nothing if it was cancelled or moved."""
    sending.start_scheduled_message(message_id=message_id)
