"""Background work for public actions."""

from __future__ import annotations

from django.tasks import task

from turnout.actions import services
from turnout.core import batching


@task()
def send_autoresponse(*, submission_id: int) -> None:
    services.autorespond(submission_id=submission_id)


@task()
def settle_forms(*, last_look: bool = False) -> None:
    """Settle every waiting form submission and petition signature (a burst asks for one run: see
    `core.batching`)."""
    batching.take_all(settle_forms, services.SETTLE_ASKED_KEY, services.settle_waiting, last_look=last_look)
