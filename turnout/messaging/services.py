"""Listening: inbound texts and delivery statuses from providers, handled once each.

Opt-outs take effect in the transaction that stores the inbound text; a status only moves
a delivery forward, so callbacks that arrive twice or out of order change nothing wrong.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from turnout.accounts.models import User
from turnout.core import audit, batching
from turnout.core.models import AuditEntry
from turnout.messaging import keywords, optouts, pacing
from turnout.messaging.models import Channel, Delivery, InboundMessage, UnreadableWebhook
from turnout.messaging.signals import sms_reply
from turnout.messaging.transports import OutgoingSms, TransportError, sms_transport
from turnout.people.contact import InvalidContact, normalize_email
from turnout.people.models import ConsentEvent, Person

logger = logging.getLogger(__name__)


def last_sender_name(number: str) -> str:
    """The public name of the group whose text last reached this number; the organization's name
    when none did. A keyword's answer names who the person is answering."""
    last = (Delivery.objects.filter(channel=Channel.SMS, address=number, sent_at__isnull=False)
            .order_by("-sent_at").select_related("message__group").first())
    return last.message.group.public_name if last else settings.ORGANIZATION_NAME


def stop_reply(name: str = "") -> str:
    return (f"{name or settings.ORGANIZATION_NAME}: you will get no more texts from us. Reply START to get them "
            "again. / No recibirá más mensajes. Responda START para volver a recibirlos.")


def start_reply(name: str = "") -> str:
    return f"{name or settings.ORGANIZATION_NAME}: you will get our texts again. Reply STOP to stop."


def help_reply(name: str = "") -> str:
    return (f"{name or settings.ORGANIZATION_NAME}. Reply STOP to stop texts. / Responda STOP (o PARAR) para no "
            "recibir más mensajes.")


def receive_sms(*, from_number: str, body: str, to_number: str = "", provider_id: str | None = None) -> InboundMessage:
    """Store an inbound text and act on it; the same provider id twice is handled once."""
    try:
        with transaction.atomic():
            inbound, new = _receive(from_number=from_number, body=body, to_number=to_number,
                                    provider_id=provider_id)
    except IntegrityError:  # the provider sent the same text twice at once
        return InboundMessage.objects.get(provider_id=provider_id)
    if new and inbound.keyword and _should_answer(inbound):
        send_reply(to=inbound.from_number, sender=inbound.to_number,
                   body={"stop": stop_reply, "start": start_reply, "help": help_reply}[inbound.keyword](
                       last_sender_name(inbound.from_number)))
    return inbound


def _receive(*, from_number: str, body: str, to_number: str,
             provider_id: str | None) -> tuple[InboundMessage, bool]:
    """(the stored text, whether it is new); a text seen before was acted on already."""
    if provider_id:
        existing = InboundMessage.objects.filter(provider_id=provider_id).first()
        if existing is not None:
            return existing, False
    known = optouts.holders(channel="sms", address=from_number)
    person_id = replying_person(from_number, known)
    keyword = keywords.classify(body) or ""
    # A reply from someone we know is offered to the apps that act on replies by a worker (see
    # `offer_waiting`): the provider is answered as soon as the text is stored, however many arrive.
    waiting = bool(known) and not keyword
    inbound = InboundMessage.objects.create(provider_id=provider_id or None, from_number=from_number,
                                            to_number=to_number, body=body, keyword=keyword, person_id=person_id,
                                            handled=bool(keyword), waiting=waiting)
    if waiting:
        from turnout.messaging.tasks import offer_replies  # the tasks module imports this one

        batching.ask_on_commit(offer_replies, OFFER_ASKED_KEY)
    said = body.strip()
    if keyword == "stop":
        # Every record of the number, whichever group holds it; texts already queued to it are
        # not sent (the dispatcher re-checks as well).
        optouts.opt_out(channel="sms", address=from_number, source=ConsentEvent.Source.KEYWORD,
                        detail=f"texted “{said[:40]}”", text=said[:500], why="opted out", person_id=person_id,
                        again=True)
    elif keyword == "start":
        optouts.restore_keyword_stops(number=from_number, text=said)
    return inbound, True


def replying_person(number: str, holders: list[int] | None = None) -> int | None:
    """The record a text from `number` belongs to: of the records holding the number (one per
    group that knows it), the one the latest text sent to it went to, or the only one. None when
    nobody holds it, or several do and none was texted: guessing would show one group's
    conversation to another."""
    people = optouts.holders(channel="sms", address=number) if holders is None else holders
    if len(people) <= 1:
        return people[0] if people else None
    return (Delivery.objects.filter(channel="sms", address=number, sent_at__isnull=False, person_id__in=people)
            .order_by("-sent_at", "-pk").values_list("person_id", flat=True).first())


# A burst of replies asks for one run of the worker, not one per text (see `core.batching`).
OFFER_ASKED_KEY = "messaging:offer-replies"


def offer_waiting(batch: int = 200) -> int:
    """Offer every waiting reply, oldest first (a person's Y then N stays in that order), to the
    apps that act on replies (`signals.sms_reply`); how many were offered."""
    offered = 0
    while ids := list(InboundMessage.objects.filter(waiting=True).order_by("id").values_list("id", flat=True)[:batch]):
        for pk in ids:
            try:
                offered += _offer(pk)
            except Exception:  # one text that cannot be acted on must not hold up the others
                logger.exception("Acting on reply %s failed; it is left in the inbox for a person", pk)
                offered += InboundMessage.objects.filter(pk=pk, waiting=True).update(waiting=False)
    return offered


@transaction.atomic
def _offer(inbound_id: int) -> bool:
    """One waiting reply offered, exactly once; False when another worker took it first."""
    # Only the text's own row is locked (PostgreSQL refuses FOR UPDATE on an outer join's nullable side).
    inbound = (InboundMessage.objects.select_for_update(of=("self",)).select_related("person")
               .filter(pk=inbound_id, waiting=True).first())
    if inbound is None:
        return False
    acted = any(answer for _receiver, answer in sms_reply.send(sender=InboundMessage, inbound=inbound))
    inbound.handled = inbound.handled or acted
    inbound.waiting = False
    # A receiver may have credited the text to another record of the number (the one its
    # question went to): the text then shows in that record's conversation.
    inbound.save(update_fields=["handled", "waiting", "person"])
    return True


def _should_answer(inbound: InboundMessage) -> bool:
    # Where the carrier already replied, a second answer risks the sender being blocked.
    carrier_answered = keywords.normalize(inbound.body) in keywords.CARRIER_ANSWERED
    return not (sms_transport().answers() and carrier_answered)


def send_reply(*, to: str, body: str, sender: str = "") -> str | None:
    """An immediate one-off text (keyword answers), from the number they wrote to when it is ours;
    failures are logged, not raised."""
    ours = {s.address for s in pacing.senders()}
    try:
        return sms_transport().send(OutgoingSms(delivery_id=f"reply-{uuid.uuid4()}", to=to,
                                                sender=sender if sender in ours else pacing.default_sender(to),
                                                body=body))
    except TransportError as exc:
        logger.warning("Could not answer %s: %s", to, exc.reason)
        return None


@transaction.atomic
def record_status(*, provider_id: str, status: str, error: str = "") -> Delivery | None:
    """Apply a provider's status to the delivery it names (text or email); never moves a status backwards."""
    delivery = Delivery.objects.select_for_update().filter(provider_id=provider_id).first()
    if delivery is None:
        return None
    if Delivery.RANK.get(status, -1) <= Delivery.RANK[delivery.status]:
        return delivery
    delivery.status = status
    delivery.error = error[:300]
    delivery.status_at = timezone.now()
    delivery.save(update_fields=["status", "error", "status_at"])
    return delivery


# What an email provider's report does to the address (Anymail's normalized event types).
BOUNCING_EVENTS = {"bounced"}
OPT_OUT_EVENTS = {"complained", "unsubscribed"}
DELIVERY_STATUS = {"delivered": "delivered", "bounced": "failed", "rejected": "failed", "failed": "failed",
                   "complained": "delivered", "unsubscribed": "delivered"}


@transaction.atomic
def record_email_event(*, event_type: str, recipient: str, message_id: str | None, reason: str = "",
                       esp: str = "") -> None:
    """An email provider's report, from its webhook: statuses move forward; a hard bounce marks the
    address bouncing, a complaint or an unsubscribe at the provider opts it out. Reports arrive
    twice and out of order; applying one again changes nothing."""
    try:
        address = normalize_email(recipient or "")
    except InvalidContact:
        address = ""
    if message_id and (status := DELIVERY_STATUS.get(event_type)):
        detail = f"{event_type}: {reason}" if reason and status == "failed" else (event_type if status == "failed" else "")
        record_status(provider_id=str(message_id), status=status, error=detail)
    if not address:
        return
    bounced = event_type in BOUNCING_EVENTS or (event_type == "rejected" and reason in ("bounced", "invalid"))
    opted_out = event_type in OPT_OUT_EVENTS or (event_type == "rejected" and reason in ("spam", "unsubscribed"))
    # The address, not the record the email went to: every record holding it stops.
    if bounced:
        optouts.bounced(address=address)
    elif opted_out:
        what = "marked our email as spam" if event_type == "complained" or reason == "spam" else "unsubscribed"
        optouts.opt_out(channel="email", address=address, source=ConsentEvent.Source.PROVIDER,
                        detail=f"{what} ({esp or 'email provider'})", why="unsubscribed",
                        person_id=_emailed_person(address, message_id))


def _emailed_person(address: str, message_id: str | None) -> int | None:
    """The record the reported email went to, when the report names it."""
    if not message_id:
        return None
    return (Delivery.objects.filter(provider_id=str(message_id), channel="email", address=address)
            .values_list("person_id", flat=True).first())


@transaction.atomic
def unsubscribe_email(*, address: str) -> bool:
    """Opt an address out of email on every record that holds it (one-click unsubscribe); queued
    emails to it are not sent. False when no record holds it."""
    return bool(optouts.opt_out(channel="email", address=address, source=ConsentEvent.Source.FORM,
                                detail="one-click unsubscribe link", why="unsubscribed"))


@transaction.atomic
def mark_replies_handled(*, actor: User, person: Person, request: HttpRequest | None = None) -> int:
    """Mark a person's unanswered replies handled; how many were."""
    handled = InboundMessage.objects.filter(person=person, handled=False).update(handled=True)
    if handled:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, request=request,
                     summary=f"Marked {handled} {'reply' if handled == 1 else 'replies'} handled")
    return handled


def keep_unreadable_webhook(*, source: str, body: bytes, reason: str) -> UnreadableWebhook:
    """Keep a provider callback that could not be read, for an operator to inspect (it is its own
    record: nobody acted, so nothing goes on the audit log)."""
    return UnreadableWebhook.objects.create(source=source, body=body.decode(errors="replace")[:20000],
                                            reason=reason[:300])
