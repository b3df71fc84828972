"""Background work for organizing: reminders that nobody may forget a worker who asked for help,
and the copy of a signed card sent to the worker who signed it."""

from __future__ import annotations

from django.tasks import task

from turnout.organizing import services


@task()
def follow_up_request(*, request_id: int) -> None:
    services.follow_up_request(request_id=request_id)


@task()
def remind_follow_up(*, conversation_id: int) -> None:
    services.send_follow_up_reminder(conversation_id=conversation_id)


@task()
def send_card_copy(*, card_id: int) -> None:
    services.send_card_copy(card_id=card_id)
