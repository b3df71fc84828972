"""What actions hold about a person that erasing the record would not reach by itself."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from turnout.actions.models import ActionIntake
from turnout.people import intake
from turnout.people.models import Person
from turnout.people.signals import person_erasing


@receiver(person_erasing, dispatch_uid="turnout.actions.erasure")
def forget_waiting_forms(sender: Any, person: Person, **kwargs: Any) -> list[type[ActionIntake]]:
    """Form submissions and petition signatures still waiting for the worker that carry their
    email or number, for their groups' pages (another group's form makes another group's record)."""
    groups = person.memberships.values("group")
    intake.forget_waiting(person, ActionIntake.objects.filter(form__group__in=groups)
                          | ActionIntake.objects.filter(petition__group__in=groups))
    return [ActionIntake]
