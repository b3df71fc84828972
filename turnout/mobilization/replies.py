"""Answers to an activation by text: "Y", "SÍ", "1" say yes; "N", "NO", "2" say no.

Opt-out words are classified before this runs, so "NO MÁS" or "STOP" always opt out. Any
other text is not an answer and stays in the inbox for a person to read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from turnout.messaging import keywords
from turnout.messaging.models import Delivery, InboundMessage
from turnout.mobilization.models import Activation, Response
from turnout.mobilization.services import record_answer
from turnout.people.models import Person, PhoneNumber

YES_WORDS = {"Y", "YES", "SI", "1"}
NO_WORDS = {"N", "NO", "2"}
# A reply answers the latest activation texted to the number within this time.
ANSWER_WINDOW = timedelta(days=3)
# Outbox rows that went out (or are going): a suppressed, failed or still queued text asked nothing.
TEXTED = [Delivery.Status.SENDING, Delivery.Status.SENT, Delivery.Status.DELIVERED]


def answer_in(body: str) -> str | None:
    """"yes", "no" or None; only the whole message counts ("¡Sí!" is yes, "yes but late" is not)."""
    word = keywords.normalize(body)
    if word in YES_WORDS:
        return Response.Answer.YES
    if word in NO_WORDS:
        return Response.Answer.NO
    return None


def on_sms_reply(sender: Any, inbound: InboundMessage, **kwargs: Any) -> bool:
    """Record a Y/N reply to the latest recent activation texted to the number; True when it was one.

    Several groups' records may hold one number: the answer is the record's that the question
    went to, and so is the text (it moves to that record's conversation, whichever record the
    inbox first gave it to), so no group sees another's record or its answer."""
    answer = answer_in(inbound.body)
    if answer is None:
        return False
    asked = latest_question(inbound.from_number)
    if asked is None:
        return False
    activation_id, person_id = asked
    person = Person.objects.get(pk=person_id)
    inbound.person = person
    record_answer(activation=Activation.objects.get(pk=activation_id), person=person, answer=answer, inbound=inbound)
    return True


def latest_question(number: str) -> tuple[int, int] | None:
    """(activation id, person id): the latest activation sent within `ANSWER_WINDOW` whose text went
    out to this number, and the record it went to, among the records that hold the number now."""
    # Through each holder's outbox rows (the person index): a few rows, whatever the size of
    # the outbox.
    holders = PhoneNumber.objects.filter(number=number).values("person_id")
    return (Delivery.objects.filter(channel="sms", address=number, person__in=holders, status__in=TEXTED,
                                    message__activations__status=Activation.Status.SENT,
                                    message__activations__sent_at__gte=timezone.now() - ANSWER_WINDOW,
                                    message__activations__channels__in=[Activation.Channels.SMS,
                                                                        Activation.Channels.BOTH])
            .order_by("-message__activations__sent_at", "-pk")
            .values_list("message__activations", "person_id").first())
