"""Starting, running and cancelling a message: the services views, the API and tasks call."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from turnout.accounts.models import Group, User
from turnout.core import audit, batching, bulk, records
from turnout.core.models import AuditEntry
from turnout.messaging import merge, outbox, services
from turnout.messaging.models import Channel, Delivery, Message
from turnout.people.models import Person


def _draft(message: Message, fields: dict[str, Any]) -> list[str]:
    """Set a draft's fields, under the rules every draft keeps; the names of those that changed."""
    ignoring = fields.get("ignore_quiet_hours", message.ignore_quiet_hours)
    reason = str(fields.get("override_reason", message.override_reason)).strip()
    # A reason is kept only for the override it explains, and an override is kept only with its reason.
    changed = records.assign(message, {**fields, "override_reason": reason if ignoring else ""})
    if message.channel == Channel.EMAIL and not message.subject:
        raise ValueError("An email needs a subject.")
    if message.ignore_quiet_hours and not message.override_reason:
        raise ValueError("Say why this cannot wait for quiet hours to end: the reason is kept in the audit log.")
    merge.check(message.body, message.body_es)
    merge.check_subject(message.subject)
    return changed


@transaction.atomic
def create_message(*, actor: User, group: Group, fields: dict[str, Any],
                   request: HttpRequest | None = None) -> Message:
    """Draft a text or an email from `group`; `fields` are the message's own (channel, subject,
    body, body_es, audience, ignore_quiet_hours, override_reason). Nothing is sent until
    `start_sending` or `schedule`."""
    message = Message(group=group, created_by=actor)
    _draft(message, fields)
    message.save()
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=message, request=request, group=group,
                 summary=f"Drafted {'an email' if message.channel == Channel.EMAIL else 'a text'} from {group.name}")
    return message


@transaction.atomic
def update_message(*, actor: User, message: Message, fields: dict[str, Any],
                   request: HttpRequest | None = None) -> Message:
    """Change a draft; a message scheduled, sending or sent cannot change."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != Message.Status.DRAFT:
        raise ValueError(f"Only a draft can be changed; this message is {message.get_status_display()}.")
    changed = _draft(message, fields)
    message.save()
    if changed:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=message, request=request,
                     group=message.group, summary="Changed the draft: " + ", ".join(changed))
    return message


def send_test_text(*, actor: User, message: Message, to: str, request: HttpRequest | None = None) -> None:
    """Send a draft to the staffer's own phone, marked as a test, rendered for them; nothing is
    recorded as a delivery."""
    sample = Person(given_name=actor.first_name, family_name=actor.last_name, language=actor.language)
    services.send_reply(to=to, body="[TEST] " + outbox.render(message, sample) + outbox.first_text_footer(message.group.public_name))
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=message, request=request,
                 summary="Sent a test text to the sender's own number", group=message.group)


@transaction.atomic
def start_sending(*, actor: User | None, message: Message, audience: QuerySet[Any]) -> int:
    """Make the outbox for this audience and queue the dispatcher; returns how many were targeted."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in (Message.Status.DRAFT, Message.Status.SCHEDULED):
        raise ValueError(f"This message is already {message.get_status_display()}.")
    # Staff's own texts (a draft written before the check, or changed in the database) are checked
    # again here, before anyone is sent a text with braces in it. Turnout's own messages quote what
    # people typed (an event's title) and are filled as they are.
    if not message.topic:
        merge.check(message.body, message.body_es)
        merge.check_subject(message.subject)
    targeted = outbox.materialize(message, audience)
    message.status = Message.Status.SENDING
    message.save(update_fields=["status"])
    summary = f"Started sending to {targeted} people"
    if message.ignore_quiet_hours:
        summary += f" with the quiet-hours override ({message.override_reason or 'emergency'})"
    if actor is not None or not message.topic:  # Turnout's own messages are on record as Message rows
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=message, summary=summary,
                     group=message.group)
    # One dispatcher per worker process meant to share a large send (TURNOUT_DISPATCHERS):
    # each claims its own batches, and the senders' pace is shared through their clocks.
    transaction.on_commit(lambda: _enqueue(message.pk, copies=settings.DISPATCHERS))
    return targeted


def _enqueue(message_id: int, run_after: Any = None, copies: int = 1) -> None:
    from turnout.messaging.tasks import dispatch_message

    task = dispatch_message.using(run_after=run_after) if run_after else dispatch_message
    for _ in range(max(1, copies)):
        task.enqueue(message_id=message_id)


def dispatch_due(*, message_id: int) -> None:
    """Reclaim dead workers' batches, send everything due, then wait for what is deferred."""
    outbox.reclaim_expired()
    _dispatch_one(message_id)


# How long one `dispatch_many` task sends before it queues the rest of its messages as a new task
# and hands the worker back: what waits on the default queue (the next batch's settling and
# confirmations) is then held up by this much at most, not by a thousand messages.
DISPATCH_SLICE = timedelta(seconds=2)


def dispatch_many(*, message_ids: list[int], for_at_most: timedelta = DISPATCH_SLICE) -> None:
    """`dispatch_due` for several messages in turn (a batch of answers, `answer_people`), dead
    workers' batches reclaimed once for them all; after `for_at_most` the rest is queued again."""
    from turnout.messaging.tasks import dispatch_later

    outbox.reclaim_expired()
    until = time.monotonic() + for_at_most.total_seconds()
    for index, message_id in enumerate(message_ids):
        if index and time.monotonic() > until:
            dispatch_later(message_ids[index:])
            return
        _dispatch_one(message_id)


def _dispatch_one(message_id: int) -> None:
    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.status != Message.Status.SENDING:
        return
    outbox.dispatch(message)
    waiting = outbox.next_due(message)
    if waiting is not None:
        _enqueue(message.pk, run_after=max(waiting, timezone.now()))
    else:
        finish_if_done(message)


def finish_if_done(message: Message) -> bool:
    """Mark a sending message sent once nothing of it waits or is being sent; whether it was.

    The message's row is locked first, as `outbox.materialize` locks it before adding people
    (`send_more`: a texter's next click, an activation's next yes): a delivery added while the
    dispatcher finished is either seen here, or added after this commits and sets the message
    sending again. Without the lock, a text added in that moment would wait on a message
    marked sent, which no dispatcher looks at again."""
    with transaction.atomic():
        if Message.objects.select_for_update().filter(pk=message.pk, status=Message.Status.SENDING).first() is None:
            return False
        if Delivery.objects.filter(message=message, status__in=[Delivery.Status.QUEUED,
                                                                Delivery.Status.SENDING]).exists():
            return False
        Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT)
        return True


@transaction.atomic
def cancel(*, actor: User | None, message: Message) -> int:
    """Stop a message mid-send: nothing not yet sent goes out. Returns how many were stopped."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    stopped = Delivery.objects.filter(message=message, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SUPPRESSED, error="cancelled", status_at=timezone.now())
    message.status = Message.Status.CANCELLED
    message.save(update_fields=["status"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=message,
                 summary=f"Cancelled; {stopped} not sent", group=message.group)
    return stopped


@transaction.atomic
def schedule(*, actor: User | None, message: Message, when: Any) -> Message:
    """Send the draft at `when`, to the audience as it is then."""
    from turnout.messaging.tasks import start_scheduled

    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in (Message.Status.DRAFT, Message.Status.SCHEDULED):
        raise ValueError(f"This message is already {message.get_status_display()}.")
    message.status, message.scheduled_for = Message.Status.SCHEDULED, when
    message.save(update_fields=["status", "scheduled_for"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=message,
                 summary=f"Scheduled for {when:%Y-%m-%d %H:%M %Z}", group=message.group)
    transaction.on_commit(lambda: start_scheduled.using(run_after=when).enqueue(message_id=message.pk))
    return message


def start_scheduled_message(*, message_id: int) -> None:
    """At its time, a scheduled message goes to its audience as its author may reach it then."""
    from turnout.messaging import audience

    message = Message.objects.select_related("created_by").filter(pk=message_id).first()
    if message is None or message.status != Message.Status.SCHEDULED or message.created_by is None:
        return  # cancelled, sent already, or its author is gone
    if message.scheduled_for and message.scheduled_for > timezone.now():
        return  # rescheduled later: the later task sends it
    people = audience.people_for(message.created_by, message.audience)
    start_sending(actor=message.created_by, message=message, audience=people)


def reply(*, actor: User, person: Person, body: str) -> Delivery | None:
    """Answer someone in a conversation they started; None when they may not be texted."""
    from turnout.accounts.models import Group, Role

    group = Group.objects.visible_to(actor, Role.HOST).filter(memberships__person=person).first()
    if group is None:
        return None
    # The message, its outbox row and the audit entry in one transaction; the provider is called
    # after it commits, never while it holds locks.
    with transaction.atomic():
        message = _one_text(group=group, person=person, body=body, created_by=actor,
                            reason="a reply in a conversation the person started")
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, summary="Replied by text",
                     group=group)
    outbox.dispatch(message)
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT)
    return Delivery.objects.filter(message=message, status=Delivery.Status.SENT).first()


def _one_text(*, group: Group, person: Person, body: str, reason: str, created_by: User | None = None,
              topic: str = "", senders: list[str] | None = None) -> Message:
    """A text to one person in a conversation they started: its message and outbox row (consent
    applies; quiet hours do not, for an answer to their own text, with `reason` on record)."""
    message = Message.objects.create(group=group, channel="sms", body=body, status=Message.Status.SENDING,
                                     created_by=created_by, ignore_quiet_hours=True, override_reason=reason[:300],
                                     topic=topic, senders=senders or [])
    outbox.materialize(message, Person.objects.filter(pk=person.pk))
    return message


def text_in_conversation(*, group: Group, person: Person, body: str, reason: str, topic: str = "",
                         senders: list[str] | None = None, dispatch: bool = True) -> Message:
    """`reply` for a conversation held by someone without a staff account (a volunteer texter):
    the text goes out by the worker once the caller's transaction commits, from one of `senders`
    (the campaign's numbers) when given. `dispatch` False: the caller queues the dispatch itself
    (texting asks for one run for every texter's texts, not a task per text)."""
    message = _one_text(group=group, person=person, body=body, reason=reason, topic=topic, senders=senders)
    if dispatch:
        transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def send_automatic(*, group: Any, channel: str, body: str, topic: str, audience: QuerySet[Person],
                   subject: str = "", body_es: str = "", urgent_reason: str = "") -> Message:
    """A message Turnout sends by itself (a confirmation, a reminder, a notice of change): the same
    outbox, consent and pacing as a blast. `urgent_reason` lets it through quiet hours (logged)."""
    message = Message.objects.create(group=group, channel=channel, subject=subject[:200], body=body, body_es=body_es,
                                     topic=topic, ignore_quiet_hours=bool(urgent_reason),
                                     override_reason=urgent_reason[:300])
    start_sending(actor=None, message=message, audience=audience)
    return message


def answer_person(*, group: Any, person: Person, subject: str, body: str, topic: str, reason: str) -> None:
    """Answer one person's own action (a confirmation, an autoresponse) by email, and by text
    where they agreed to texts; it goes out even in quiet hours, with `reason` on record."""
    audience = Person.objects.filter(pk=person.pk)
    send_automatic(group=group, channel="email", subject=subject, body=body, topic=topic, audience=audience,
                   urgent_reason=reason)
    send_automatic(group=group, channel="sms", body=body, topic=topic, audience=audience, urgent_reason=reason)


@dataclass(frozen=True)
class Answer:
    """One person's answer for `answer_people`: what `answer_person` takes."""

    group: Group
    person_id: int
    subject: str
    body: str
    topic: str
    reason: str


ANSWER_CHANNELS = ("email", "sms")


def answer_people(answers: list[Answer]) -> list[int]:
    """`answer_person` for many people at once, in a handful of statements, whoever they are.

    Each answer is its own email and text message, as `answer_person` makes them, with the same
    outbox rows: each person's one address per channel chosen as a send chooses it, suppressed
    ("no consent") where they have not agreed to that channel, and none where they have no
    address. Messages and deliveries are each written in one statement, and the messages with
    something to send are dispatched by one task once the transaction commits (a message with
    nothing to send is written as sent, as its dispatch would leave it). Must run in a
    transaction; returns the messages' ids."""
    people = Person.objects.filter(pk__in=batching.ids_in({answer.person_id for answer in answers}))
    chosen = {channel: outbox.addresses(channel, people) for channel in ANSWER_CHANNELS}
    now = timezone.now()
    # Plain inserts, not the ORM's: building a thousand model instances and compiling their
    # INSERT cost more than the database spends writing them.
    ids = iter(bulk.allocate_ids(Message, len(answers) * len(ANSWER_CHANNELS)))
    messages: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    due: list[int] = []
    made: list[int] = []
    for answer in answers:
        for channel in ANSWER_CHANNELS:
            message_id = next(ids)
            found = chosen[channel].get(answer.person_id)
            status = Message.Status.SENDING if found and found[1] else Message.Status.SENT
            messages.append((message_id, uuid.uuid4(), now, now, answer.group.pk, channel,
                             answer.subject[:200] if channel == Channel.EMAIL else "", answer.body, "", status, {},
                             bool(answer.reason), answer.reason[:300], answer.topic, {}, []))
            made.append(message_id)
            if status == Message.Status.SENDING:
                due.append(message_id)
            if found:
                address, consents = found
                rows.append((uuid.uuid4(), message_id, answer.person_id, channel, address, "",
                             Delivery.Status.QUEUED if consents else Delivery.Status.SUPPRESSED, "",
                             "" if consents else "no consent", 0, "", False, 0, now, now))
    bulk.insert_rows(Message, ["id", "public_id", "created_at", "updated_at", "group", "channel", "subject", "body",
                               "body_es", "status", "audience", "ignore_quiet_hours", "override_reason", "topic",
                               "outbox_summary", "senders"], messages)
    bulk.insert_rows(Delivery, ["public_id", "message", "person", "channel", "address", "sender", "status",
                                "provider_id", "error", "attempts", "claimed_by", "possible_duplicate", "segments",
                                "created_at", "status_at"], rows)
    if due:
        from turnout.messaging.tasks import dispatch_later

        transaction.on_commit(lambda: dispatch_later(due))
    return made


def send_more(*, message: Message, audience: QuerySet[Any], dispatch: bool = True) -> int:
    """Add people to a message already under way (the details for each new yes): the outbox takes
    each person once, so someone it reached already is not sent it again. Returns how many were added.
    `dispatch` False: the caller queues the dispatch itself (as `text_in_conversation`)."""
    added = outbox.materialize(message, audience)
    if added and not dispatch:
        Message.objects.filter(pk=message.pk).exclude(status=Message.Status.CANCELLED).update(
            status=Message.Status.SENDING)
    elif added:
        Message.objects.filter(pk=message.pk).exclude(status=Message.Status.CANCELLED).update(
            status=Message.Status.SENDING)
        # A large addition (the rest of an activation) is shared by the dispatchers as a new send is.
        copies = settings.DISPATCHERS if added > outbox.BATCH else 1
        transaction.on_commit(lambda: _enqueue(message.pk, copies=copies))
    return added


RECOVER_CHUNK = 1000


def recover() -> int:
    """After a worker died: requeue its expired claims and restart dispatch of every message still sending.

    Run by `turnout worker` at start and every minute while it runs; safe to run anywhere,
    any number of times (a message with nothing due is left alone).
    """
    from turnout.messaging.tasks import dispatch_later

    outbox.reclaim_expired()
    due = Delivery.objects.filter(message=OuterRef("pk"), status=Delivery.Status.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
    # One question for every message, and one task per thousand: after a burst of confirmations,
    # tens of thousands of messages may be waiting for dispatch tasks already queued, and a
    # question and a task for each would bury the work queued behind them.
    ids = list(Message.objects.filter(status=Message.Status.SENDING).filter(Exists(due))
               .order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), RECOVER_CHUNK):
        dispatch_later(ids[start:start + RECOVER_CHUNK])
    return len(ids)
