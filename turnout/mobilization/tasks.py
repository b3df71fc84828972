"""Background work for mobilization: the second wave of an activation, at its moment."""

from __future__ import annotations

from django.tasks import task

from turnout.core import batching
from turnout.mobilization import services


@task()
def escalate_activation(*, activation_id: int) -> None:
    services.escalate(activation_id=activation_id)


@task()
def settle_pledge_forms(*, last_look: bool = False) -> None:
    """Settle every waiting pledge signature (a burst asks for one run: see `core.batching`)."""
    batching.take_all(settle_pledge_forms, services.SETTLE_ASKED_KEY, services.settle_pledges, last_look=last_look)
