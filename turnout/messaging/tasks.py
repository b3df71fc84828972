"""Background work for messaging: dispatching a message's outbox, acting on replies."""

from __future__ import annotations

from django.tasks import task

from turnout.core import batching
from turnout.messaging import sending, services


@task()
def dispatch_message(*, message_id: int) -> None:
    """Send what is due of one message; re-queues itself for deliveries waiting on quiet hours or retries."""
    sending.dispatch_due(message_id=message_id)


# A batch of answers (a thousand confirmations) takes the worker far longer to send than to write,
# and during a burst the next batches' settling and confirmations would queue behind it: their
# dispatch waits on a queue of its own, which the worker takes only when "default" is empty. On
# Redis the worker listens to the queues in that order; the database queue orders by priority.
SENDING_QUEUE = "sending"
SENDING_PRIORITY = -50


@task(queue_name=SENDING_QUEUE)
def dispatch_messages(*, message_ids: list[int]) -> None:
    """Send what is due of several messages made together (a batch of confirmations, `sending.answer_people`)."""
    sending.dispatch_many(message_ids=message_ids)


def dispatch_later(message_ids: list[int]) -> None:
    """Queue `dispatch_messages` for these messages behind every task waiting on the default queue."""
    later = dispatch_messages
    if later.get_backend().supports_priority:  # RQ refuses a priority: its queue order does the same
        later = later.using(priority=SENDING_PRIORITY)
    later.enqueue(message_ids=message_ids)


@task()
def start_scheduled(*, message_id: int) -> None:
    """Start a scheduled message when its time comes; does nothing if it was cancelled or moved."""
    sending.start_scheduled_message(message_id=message_id)


@task()
def offer_replies(*, last_look: bool = False) -> None:
    """Offer every waiting reply to the apps that act on replies (a burst asks for one run)."""
    batching.take_all(offer_replies, services.OFFER_ASKED_KEY, services.offer_waiting, last_look=last_look)
