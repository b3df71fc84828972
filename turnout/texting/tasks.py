"""Background work for texting: sending what texters sent, many texters' texts in one run."""

from __future__ import annotations

from django.tasks import task

from turnout.core import batching
from turnout.messaging.tasks import SENDING_QUEUE
from turnout.texting import services


@task(queue_name=SENDING_QUEUE)
def dispatch_texts(*, last_look: bool = False, asked_at: str = "") -> None:
    """Send every texter's texts waiting in the outbox: hundreds of texters' clicks a second ask
    for one run, not a task each (`services.dispatch_waiting`)."""
    batching.take_all(dispatch_texts, services.DISPATCH_ASKED_KEY, services.dispatch_waiting,
                      last_look=last_look, asked_at=asked_at)


@task()
def write_walks(*, campaign_id: int) -> None:
    """Write a workplace walk's door results as its organizing campaign's one-on-ones and
    assessments, once they are on the records (`doors.write_walks`); safe to run twice."""
    from turnout.texting import doors

    doors.write_walks(campaign_id=campaign_id)
