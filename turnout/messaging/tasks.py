"""Background work for messaging: dispatching a message's outbox, acting on replies."""

from __future__ import annotations

from django.tasks import task

from turnout.core import batching
from turnout.messaging import sending, services


@task()
def dispatch_message(*, message_id: int) -> None:
    """Send what is due of one message; re-queues itself for deliveries waiting on quiet hours or retries."""
    sending.dispatch_due(message_id=message_id)


@task()
def dispatch_messages(*, message_ids: list[int]) -> None:
    """Send what is due of several messages made together (a batch of confirmations, `sending.answer_people`)."""
    sending.dispatch_many(message_ids=message_ids)


@task()
def start_scheduled(*, message_id: int) -> None:
    """Start a scheduled message when its time comes; does nothing if it was cancelled or moved."""
    sending.start_scheduled_message(message_id=message_id)


@task()
def offer_replies(*, last_look: bool = False) -> None:
    """Offer every waiting reply to the apps that act on replies (a burst asks for one run)."""
    batching.take_all(offer_replies, services.OFFER_ASKED_KEY, services.offer_waiting, last_look=last_look)
