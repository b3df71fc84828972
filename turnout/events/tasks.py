"""Background work for events: confirmations after an RSVP commits, reminders at their moment."""

from __future__ import annotations

from django.tasks import task

from turnout.events import services


@task()
def send_reminder(*, event_id: int, minutes: int, starts_at: str) -> None:
    services.send_reminder(event_id=event_id, minutes=minutes, starts_at=starts_at)


@task()
def send_confirmation(*, rsvp_id: int, promoted: bool = False) -> None:
    services.confirm(rsvp_id=rsvp_id, promoted=promoted)
