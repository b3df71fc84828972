"""Background work for public actions."""

from __future__ import annotations

from django.tasks import task

from turnout.actions import services


@task()
def send_autoresponse(*, submission_id: int) -> None:
    services.autorespond(submission_id=submission_id)
