"""Background work for events: RSVP forms waiting to be settled, confirmations after an RSVP
commits, reminders at their moment."""

from __future__ import annotations

from django.tasks import task

from turnout.core import batching
from turnout.events import services


@task()
def send_reminder(*, event_id: int, minutes: int, starts_at: str) -> None:
    services.send_reminder(event_id=event_id, minutes=minutes, starts_at=starts_at)


@task()
def send_confirmation(*, rsvp_id: int, promoted: bool = False) -> None:
    services.confirm(rsvp_id=rsvp_id, promoted=promoted)


@task()
def settle_rsvps(*, last_look: bool = False, asked_at: str = "") -> None:
    """Settle the waiting RSVP forms (a burst asks for one run: see `core.batching`), for a couple of
    seconds at a time (`services.settle_for_a_while`)."""
    batching.take_all(settle_rsvps, services.SETTLE_ASKED_KEY, services.settle_for_a_while, last_look=last_look,
                      asked_at=asked_at)


@task()
def send_confirmations(*, rsvp_ids: list[int]) -> None:
    """The confirmations of a batch of RSVPs the worker settled together (`services.settle_batch`)."""
    services.confirm_many(rsvp_ids)
