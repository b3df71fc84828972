"""Background work for mobilization: the second wave of an activation, at its moment."""

from __future__ import annotations

from django.tasks import task

from turnout.mobilization import services


@task()
def escalate_activation(*, activation_id: int) -> None:
    services.escalate(activation_id=activation_id)
