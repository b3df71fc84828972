"""What mobilization holds about a person that erasing the record would not reach by itself."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from turnout.mobilization.models import PledgeIntake
from turnout.people import intake
from turnout.people.models import Person
from turnout.people.signals import person_erasing


@receiver(person_erasing, dispatch_uid="turnout.mobilization.erasure")
def forget_waiting_pledges(sender: Any, person: Person, **kwargs: Any) -> list[type[PledgeIntake]]:
    """Pledge signatures still waiting for the worker that carry their email or number, for their
    groups' pledges (another group's form makes another group's record)."""
    intake.forget_waiting(person, PledgeIntake.objects.filter(pledge__group__in=person.memberships.values("group")))
    return [PledgeIntake]
