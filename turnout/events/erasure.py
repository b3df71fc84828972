"""What events hold about a person that erasing the record would not reach by itself."""

from __future__ import annotations

import json
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
    for intake in RsvpIntake.objects.filter(outcome=RsvpIntake.Outcome.PENDING).only("data"):
        text = json.dumps(intake.data, ensure_ascii=False).lower()
        typed = [re.sub(r"\D", "", str(v))[-10:] for v in intake.data.values()] if isinstance(intake.data, dict) else []
        if any(e in text for e in emails) or any(n and n in typed for n in numbers):
            doomed.append(intake.pk)
    RsvpIntake.objects.filter(pk__in=doomed).delete()
    return [RsvpIntake]
