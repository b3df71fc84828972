"""What events hold about a person that erasing the record would not reach by itself."""

from __future__ import annotations

import re
from typing import Any

from django.dispatch import receiver

from turnout.events.models import RsvpIntake
from turnout.people.models import Person
from turnout.people.signals import person_erasing


@receiver(person_erasing, dispatch_uid="turnout.events.erasure")
def forget_waiting_forms(sender: Any, person: Person, **kwargs: Any) -> list[type[RsvpIntake]]:
    """RSVP forms still waiting for the worker that carry their email or number (a settled form
    keeps no contents)."""
    emails = [v.lower() for v in person.emails.values_list("address", flat=True)]
    numbers = [re.sub(r"\D", "", v)[-10:] for v in person.phones.values_list("number", flat=True)]
    if not emails and not numbers:
        return []
    doomed = []
    # Forms for the person's groups' events: another group's form makes another group's record.
    waiting = RsvpIntake.objects.filter(outcome=RsvpIntake.Outcome.PENDING,
                                        event__group__in=person.memberships.values("group"))
    for intake in waiting.only("data"):
        values = [str(v).strip().lower() for v in intake.data.values()] if isinstance(intake.data, dict) else []
        typed = [re.sub(r"\D", "", v)[-10:] for v in values]
        if any(e in values for e in emails) or any(n and n in typed for n in numbers):
            doomed.append(intake.pk)
    RsvpIntake.objects.filter(pk__in=doomed).delete()
    return [RsvpIntake]
