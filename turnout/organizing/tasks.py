"""Background work for organizing: reminders that nobody may forget a worker who asked for help."""

from __future__ import annotations

from django.tasks import task

from turnout.organizing import services


@task()
def follow_up_request(*, request_id: int) -> None:
    services.follow_up_request(request_id=request_id)


@task()
def remind_follow_up(*, conversation_id: int) -> None:
    services.send_follow_up_reminder(conversation_id=conversation_id)
