"""Background work for events: RSVP forms waiting to be settled, confirmations after an RSVP
commits, reminders at their moment."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from turnout.events import services


@task()
def send_reminder(*, event_id: int, minutes: int, starts_at: str) -> None:
    services.send_reminder(event_id=event_id, minutes=minutes, starts_at=starts_at)


@task()
def send_confirmation(*, rsvp_id: int, promoted: bool = False) -> None:
    services.confirm(rsvp_id=rsvp_id, promoted=promoted)


@task()
def settle_rsvps(*, last_look: bool = False) -> None:
    """Settle every waiting RSVP form. Forms that arrive from now on ask for a new run; a web
    server whose cache the worker does not share (no Redis) asks at most once a second, so a
    form may commit just after this run ends without asking: one more look is taken two seconds
    later, and again as long as that look finds forms."""
    from django.core.cache import cache

    cache.delete(services.SETTLE_DEBOUNCE_KEY)
    if services.settle_waiting() or not last_look:
        settle_rsvps.using(run_after=timezone.now() + timedelta(seconds=2)).enqueue(last_look=True)
