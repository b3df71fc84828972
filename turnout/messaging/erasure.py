"""What messaging holds about a person that erasing the record would not reach by itself."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q
from django.dispatch import receiver

from turnout.messaging.models import Delivery, InboundMessage, Message, UnreadableWebhook
from turnout.people.erasure import Traces
from turnout.people.models import Person
from turnout.people.signals import person_erasing


@receiver(person_erasing, dispatch_uid="turnout.messaging.erasure")
def forget_texts(sender: Any, person: Person, **kwargs: Any) -> list[type[Model]]:
    """Texts they sent (matched to the record or sent from one of its numbers, whichever group's
    message they answered) and provider callbacks Turnout could not read that carry their number
    or address. Delivery rows go with the record (a cascade)."""
    numbers = list(person.phones.values_list("number", flat=True))
    traces = Traces(person)
    # A text matched to another record stays that record's (another group's, perhaps): only texts
    # matched to this one, or to nobody, go.
    InboundMessage.objects.filter(Q(person=person) | Q(from_number__in=numbers, person__isnull=True)).delete()
    # A message written to them alone (a reply in their conversation) may name them in its text.
    theirs = set(Delivery.objects.filter(person=person).values_list("message_id", flat=True))
    shared = set(Delivery.objects.filter(message_id__in=theirs).exclude(person=person)
                 .values_list("message_id", flat=True))
    Message.objects.filter(pk__in=theirs - shared).delete()
    unreadable = Q()
    # A callback's body may be form-encoded ("%2B1206…"): a number is matched by its last ten digits.
    for value in [*traces.national, *traces.addresses]:
        unreadable |= Q(body__icontains=value)
    if traces:
        UnreadableWebhook.objects.filter(unreadable).delete()
    return [InboundMessage, UnreadableWebhook, Message, Delivery]
