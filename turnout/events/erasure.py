"""What events hold about a person that erasing the record would not reach by itself."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from turnout.events.models import RsvpIntake
from turnout.people.erasure import Traces, national_digits
from turnout.people.models import Person
from turnout.people.signals import person_erasing


@receiver(person_erasing, dispatch_uid="turnout.events.erasure")
def forget_waiting_forms(sender: Any, person: Person, **kwargs: Any) -> list[type[RsvpIntake]]:
    """RSVP forms still waiting for the worker, or failed and kept for staff, that carry their email
    or number (a settled form keeps no contents)."""
    traces = Traces(person)
    if not traces:
        return []
    doomed = []
    # Forms for the person's groups' events: another group's form makes another group's record.
    waiting = RsvpIntake.objects.filter(outcome__in=[RsvpIntake.Outcome.PENDING, RsvpIntake.Outcome.FAILED],
                                        event__group__in=person.memberships.values("group"))
    for intake in waiting.only("data"):
        values = [str(v).strip().lower() for v in intake.data.values()] if isinstance(intake.data, dict) else []
        typed = [national_digits(v) for v in values]
        if any(e in values for e in traces.addresses) or any(n and n in typed for n in traces.national):
            doomed.append(intake.pk)
    RsvpIntake.objects.filter(pk__in=doomed).delete()
    return [RsvpIntake]
