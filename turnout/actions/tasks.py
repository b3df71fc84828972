"""Background work for public actions."""

from __future__ import annotations

from django.tasks import task

from turnout.actions import services
from turnout.core import batching


@task()
def send_autoresponse(*, submission_id: int) -> None:
    """One submission's autoresponse (a task queued before autoresponses were sent a batch at a time)."""
    services.autorespond(submission_ids=[submission_id])


@task()
def send_autoresponses(*, submission_ids: list[int]) -> None:
    """The autoresponses of new submissions to one form: a batch the worker settled together, or one."""
    services.autorespond(submission_ids=submission_ids)


@task()
def settle_forms(*, last_look: bool = False) -> None:
    """Settle every waiting form submission and petition signature (a burst asks for one run: see
    `core.batching`)."""
    batching.take_all(settle_forms, services.SETTLE_ASKED_KEY, services.settle_waiting, last_look=last_look)
