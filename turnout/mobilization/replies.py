"""Answers to an activation by text: "Y", "SÍ", "1" say yes; "N", "NO", "2" say no.

Opt-out words are classified before this runs, so "NO MÁS" or "STOP" always opt out. Any
other text is not an answer and stays in the inbox for a person to read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from turnout.messaging import keywords
from turnout.messaging.models import InboundMessage
from turnout.mobilization.models import Activation, Recipient, Response
from turnout.mobilization.services import record_answer

YES_WORDS = {"Y", "YES", "SI", "1"}
NO_WORDS = {"N", "NO", "2"}
# A reply answers the latest activation texted to the person within this time.
ANSWER_WINDOW = timedelta(days=3)


def answer_in(body: str) -> str | None:
    """"yes", "no" or None; only the whole message counts ("¡Sí!" is yes, "yes but late" is not)."""
    word = keywords.normalize(body)
    if word in YES_WORDS:
        return Response.Answer.YES
    if word in NO_WORDS:
        return Response.Answer.NO
    return None


def on_sms_reply(sender: Any, inbound: InboundMessage, **kwargs: Any) -> bool:
    """Record a Y/N reply from a recipient of a recent texted activation; True when it was one."""
    answer = answer_in(inbound.body)
    if answer is None or inbound.person is None:
        return False
    # The activations narrowed by the person's recipient rows (the person index), with nothing
    # joined: a fraction of the cost of selecting the recipient with its activation, network and event.
    asked = Recipient.objects.filter(person=inbound.person).values("activation_id")
    activation = (Activation.objects.filter(pk__in=asked, status=Activation.Status.SENT,
                                            sent_at__gte=timezone.now() - ANSWER_WINDOW,
                                            channels__in=[Activation.Channels.SMS, Activation.Channels.BOTH])
                  .order_by("-sent_at").first())
    if activation is None:
        return False
    record_answer(activation=activation, person=inbound.person, answer=answer, inbound=inbound)
    return True
