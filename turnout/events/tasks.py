"""Background work for events: reminders at their moment before the start."""

from __future__ import annotations

from django.tasks import task

from turnout.events import services


@task()
def send_reminder(*, event_id: int, minutes: int, starts_at: str) -> None:
    services.send_reminder(event_id=event_id, minutes=minutes, starts_at=starts_at)
