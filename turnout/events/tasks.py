"""Background work for events: reminders at their moment before the start."""

from __future__ import annotations

from django.tasks import task

from turnout.events import services


@task()
def send_reminder(*, event_id: int, minutes: int, starts_at: str) -> None:
    services.send_reminder(event_id=event_id, minutes=minutes, starts_at=starts_at)


@task()
def send_confirmation(*, rsvp_id: int, promoted: bool = False) -> None:
    from turnout.events.models import Rsvp

    answer = Rsvp.objects.filter(pk=rsvp_id).first()
    if answer is not None:
        services.confirm(answer, promoted=promoted)
