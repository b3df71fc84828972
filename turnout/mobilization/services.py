"""Writes for rapid mobilization: joining a network, activating it, answers, pledges and triggers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, User
from turnout.accounts.services import email_staff
from turnout.core import audit, bulk, geo, records
from turnout.core.models import AuditEntry, Intake
from turnout.events import services as events
from turnout.events.models import Event, EventCampaign, Rsvp, Status, Visibility
from turnout.messaging import merge, outbox, quiet_hours, segments, sending
from turnout.messaging.models import Delivery, InboundMessage, Message
from turnout.mobilization.models import (
    PLEDGE_COUNTS,
    Activation,
    Member,
    Network,
    Plan,
    Pledge,
    PledgeIntake,
    Recipient,
    Response,
    Signature,
    packed,
    unpacked,
)
from turnout.people import intake
from turnout.people.contact import InvalidContact
from turnout.people.models import EmailAddress, Person, PhoneNumber, Subscription, Tag, Tagging
from turnout.people.services import UnknownZip
from turnout.people.signup import PublicSignup, contacts, sign_up
from turnout.sharing.models import Referral, new_share_code
from turnout.sharing.services import claim_code, claim_codes, credit, credit_many


class MobilizationError(ValueError):
    """Something the organizer or the form must change; the message says what."""


class NeedsTextConsent(MobilizationError):
    """Only a phone number was given, without agreeing to texts: the network could never call on them."""

    def __init__(self) -> None:
        super().__init__(_("The network calls on people by text: tick the box to agree to texts, or give an "
                           "email address as well. Without either we could never reach you."))


# --- the network --------------------------------------------------------------------------------


def _contacts(signup: PublicSignup) -> tuple[str, str]:
    """The email and mobile number as stored; MobilizationError says what is wrong with one."""
    try:
        return contacts(signup.email, signup.phone)
    except InvalidContact as exc:
        raise MobilizationError(str(exc)) from None


@dataclass
class JoinRequest:
    request: PublicSignup
    travel_miles: int = 10
    availability: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


@transaction.atomic
def join_network(*, network: Network, join: JoinRequest) -> tuple[Member, bool]:
    """Add someone from the public form (or update what they told us last time): (member, created).
    Someone who gives only a phone number must agree to texts: without that the network could
    never call on them (MobilizationError, nothing stored)."""
    email, phone = _contacts(join.request)
    if phone and not email and not join.request.sms_consent_text:
        raise NeedsTextConsent
    person = sign_up(network.group, join.request, email, phone, f"Joined: {network.name}")
    return _enroll(network, person, source="form", travel_miles=join.travel_miles,
                   availability=join.availability, skills=join.skills, languages=join.languages)


@transaction.atomic
def enroll_member(*, actor: User, network: Network, person: Person, travel_miles: int = 10,
                  availability: list[str] | None = None, skills: list[str] | None = None,
                  languages: list[str] | None = None, source: str = "api") -> tuple[Member, bool]:
    """Put one person staff may change in the network, with what it needs to know of them (or
    update it), as the join page does; on the audit log like a bulk add. (member, created)"""
    if not reachable(person):
        raise MobilizationError(_("%(name)s has no email address and has not agreed to texts: the network "
                                  "could never reach them. Record their consent to texts, or an email "
                                  "address.") % {"name": person.display_name})
    member, created = _enroll(network, person, source=source, travel_miles=travel_miles,
                              availability=availability, skills=skills, languages=languages)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=network, group=network.group,
                 subject=person, summary=(f"Added {person.display_name} to the network" if created
                          else f"Changed what the network knows of {person.display_name}"))
    return member, created


def reachable(person: Person) -> bool:
    """Whether an activation could reach the person: a number they agreed to be texted at, or an
    email address they have not left."""
    return (person.phones.filter(sms_status=Subscription.SUBSCRIBED).exists()
            or person.emails.exclude(status__in=[Subscription.UNSUBSCRIBED, Subscription.BOUNCING]).exists())


def _enroll(network: Network, person: Person, *, source: str, travel_miles: int,
            availability: list[str] | None, skills: list[str] | None,
            languages: list[str] | None) -> tuple[Member, bool]:
    """A member row for the person (in the caller's transaction); a list left as None is kept."""
    values: dict[str, Any] = {"travel_miles": travel_miles}
    for name, chosen in (("availability", availability), ("skills", skills), ("languages", languages)):
        if chosen is not None:
            values[name] = packed(chosen)
    member, created = Member.objects.get_or_create(network=network, person=person,
                                                   defaults={**values, "source": source})
    if not created:
        for name, value in values.items():
            setattr(member, name, value)
        member.save(update_fields=list(values))
    return member, created


@transaction.atomic
def add_members(*, actor: User, network: Network, people: QuerySet[Person], captain: User | None = None) -> int:
    """Put everyone in `people` in the network (staff, in bulk); returns how many were new."""
    before = Member.objects.filter(network=network).count()
    Member.objects.bulk_create([Member(network=network, person_id=pk, source="staff", captain=captain)
                                for pk in people.order_by().values_list("pk", flat=True)],
                               batch_size=5000, ignore_conflicts=True)
    added = Member.objects.filter(network=network).count() - before
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=network,
                 summary=f"Added {added} people to the network", group=network.group)
    return added


@transaction.atomic
def assign_captain(*, actor: User, network: Network, member_ids: list[int], captain: User | None) -> int:
    """Give members to a captain (or take them back); returns how many changed."""
    changed = Member.objects.filter(network=network, pk__in=member_ids).update(captain=captain)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=network,
                 summary=f"{changed} members given to {captain.email if captain else 'no captain'}",
                 group=network.group)
    return changed


# --- activations ------------------------------------------------------------------------------------


def audience(activation: Activation, miles: float | None = None) -> QuerySet[Member]:
    """The members an activation reaches, each annotated with `distance` (miles, or None without a place).

    With a place, nobody beyond their own travel radius is asked; `miles` (default: the
    activation's) narrows further. Availability, skills and languages match any of those chosen.
    """
    members = Member.objects.filter(network=activation.network)
    for name in ("availability", "skills", "languages"):
        chosen = unpacked(getattr(activation, name))
        if chosen:
            condition = Q()
            for value in chosen:
                condition |= Q(**{f"{name}__contains": f",{value},"})
            members = members.filter(condition)
    if activation.tag:
        # The name means the network's group's tag (or one of its groups' below), never another group's.
        tags = Tag.objects.in_group(activation.network.group).named(activation.tag)
        members = members.filter(Exists(Tagging.objects.filter(person=OuterRef("person_id"), tag__in=tags)))
    if activation.latitude is None or activation.longitude is None:
        # Typed in SQL: PostgreSQL takes a bare NULL for text, which the recipients' float column refuses.
        return members.annotate(distance=Cast(Value(None), FloatField()))
    lat, lon = activation.latitude, activation.longitude
    members = members.annotate(distance=geo.distance_expression(lat, lon, "person__latitude", "person__longitude"))
    limit = miles if miles is not None else activation.miles
    if limit:
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, limit)
        members = members.filter(person__latitude__gte=min_lat, person__latitude__lte=max_lat,
                                 person__longitude__gte=min_lon, person__longitude__lte=max_lon,
                                 distance__lte=limit)
    return members.filter(distance__lte=F("travel_miles"))


# --- what staff build: networks, activations, pledges, plans --------------------------------------
# `fields` are a staff form's cleaned data or an API body's, by model field name; validation is the door's.


@transaction.atomic
def create_network(*, actor: User, group: Group, fields: dict[str, Any],
                   request: HttpRequest | None = None) -> Network:
    """Start a rapid mobilization network in `group`."""
    return records.create(Network, actor=actor, fields=fields, summary="Created the network", request=request,
                          group=group, created_by=actor)


@transaction.atomic
def update_network(*, actor: User, network: Network, fields: dict[str, Any],
                   request: HttpRequest | None = None) -> Network:
    """Change a network's name or the description its join page shows."""
    return records.update(network, actor=actor, fields=fields, summary="Changed the network", request=request)


def _prepare_activation(activation: Activation, *, actor: User, fields: dict[str, Any],
                        new_event: dict[str, Any] | None) -> list[str]:
    if not fields.get("ignore_quiet_hours", activation.ignore_quiet_hours):
        fields = {**fields, "override_reason": ""}  # a reason is kept only for the override it explains
    changed = records.assign(activation, fields)
    check_activation_text(body=activation.body, body_es=activation.body_es, followup=activation.followup,
                          followup_es=activation.followup_es)
    place = geo.lookup_zip(activation.postal_code) if activation.postal_code else None
    if activation.postal_code and place is None:
        raise MobilizationError(_("We do not know this ZIP code."))
    activation.latitude, activation.longitude = (place.latitude, place.longitude) if place else (None, None)
    if new_event is not None:
        activation.event = events.save_event(actor=actor, event=Event(
            group=activation.network.group, title=activation.title, venue=new_event["venue"],
            address=new_event.get("address", ""), postal_code=activation.postal_code,
            starts_at=new_event["starts_at"], visibility=Visibility.UNLISTED))
        changed.append("event")
    return changed


@transaction.atomic
def create_activation(*, actor: User, network: Network, fields: dict[str, Any],
                      new_event: dict[str, Any] | None = None, request: HttpRequest | None = None) -> Activation:
    """Draft a call to a network; `new_event` (venue, address, starts_at) makes an unlisted event
    for it at the action's ZIP code. Nothing is sent until `activate`."""
    activation = Activation(network=network, created_by=actor)
    _prepare_activation(activation, actor=actor, fields=fields, new_event=new_event)
    activation.save()
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=activation, request=request,
                 group=network.group, summary=f"Drafted the activation “{activation.title}” to {network.name}")
    return activation


@transaction.atomic
def update_activation(*, actor: User, activation: Activation, fields: dict[str, Any],
                      new_event: dict[str, Any] | None = None, request: HttpRequest | None = None) -> Activation:
    """Change a draft activation; one already sent cannot change."""
    activation = (Activation.objects.select_for_update(of=("self",)).select_related("network__group")
                  .get(pk=activation.pk))
    if activation.status != Activation.Status.DRAFT:
        raise MobilizationError(_("This activation was sent already."))
    changed = _prepare_activation(activation, actor=actor, fields=fields, new_event=new_event)
    activation.save()
    if changed:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=activation, request=request,
                     group=activation.network.group, summary="Changed the draft activation: " + ", ".join(changed))
    return activation


@transaction.atomic
def create_pledge(*, actor: User, group: Group, fields: dict[str, Any], request: HttpRequest | None = None) -> Pledge:
    """Start a pledge people may sign from its public page."""
    return records.create(Pledge, actor=actor, fields=fields, summary="Created the pledge", request=request,
                          group=group, created_by=actor)


@transaction.atomic
def update_pledge(*, actor: User, pledge: Pledge, fields: dict[str, Any], request: HttpRequest | None = None) -> Pledge:
    """Change a pledge's text, goal or whether it takes signatures."""
    return records.update(pledge, actor=actor, fields=fields, summary="Changed the pledge", request=request)


@transaction.atomic
def check_plan_text(*, subject: str, body: str, body_es: str = "") -> None:
    """MobilizationError when a plan's message cannot go out as written: a merge field Turnout
    cannot fill in its texts, or any merge field in its subject (which goes out as written)."""
    try:
        merge.check_subject(subject)
        merge.check(body, body_es)
    except merge.UnknownMergeField as exc:
        raise MobilizationError(str(exc)) from None


def create_plan(*, actor: User, group: Group, fields: dict[str, Any], request: HttpRequest | None = None) -> Plan:
    """Make a standby plan: what its trigger publishes and whom it tells. Its message is checked
    now (`check_plan_text`), not when the trigger is pulled."""
    check_plan_text(subject=fields.get("subject", ""), body=fields.get("body", ""),
                    body_es=fields.get("body_es", ""))
    return records.create(Plan, actor=actor, fields=fields, summary="Made the standby plan", request=request,
                          group=group, created_by=actor)


# --- what an activation says, in each language ---------------------------------------------------

# The organizer's own words already asking for the answer: the instruction is not added twice.
ASKS_FOR_ANSWER = {"en": re.compile(r"\breply\s+(y|yes)\b", re.IGNORECASE),
                   "es": re.compile(r"\bresponda\s+(s[ií]|y)\b", re.IGNORECASE)}


def reply_instruction(language: str) -> str:
    """How to answer by text, in `language` ("Reply Y if you can come, N if you cannot.")."""
    with translation.override(language):
        return _("Reply Y if you can come, N if you cannot.")


def _is_instruction_alone(text: str) -> bool:
    """Only the reply instruction (once the form's prefilled text): it says nothing of the action."""
    said = " ".join(text.split()).casefold()
    return bool(said) and said in {reply_instruction(code).casefold() for code in ("en", "es")}


def check_activation_text(*, body: str, body_es: str = "", followup: str = "", followup_es: str = "") -> None:
    """MobilizationError when the texts cannot go out as written: a merge field Turnout cannot
    fill, or a message that is only the reply instruction."""
    try:
        merge.check(body, body_es, followup, followup_es)
    except merge.UnknownMergeField as exc:
        raise MobilizationError(str(exc)) from None
    if _is_instruction_alone(body) or _is_instruction_alone(body_es):
        raise MobilizationError(_("Say what the action is, where and when: how to answer Y or N is added "
                                  "to the text for you."))


def activation_text(activation: Activation, language: str, channel: str = "sms") -> str:
    """The text a member whose language is `language` gets: the organizer's Spanish, or the
    English when they wrote none, and (by text) how to answer, in the member's language."""
    body = activation.body.strip()
    if language == "es" and activation.body_es.strip() and not _is_instruction_alone(activation.body_es):
        body = activation.body_es.strip()
    if channel != "sms":  # only texts are answered
        return body
    asks = ASKS_FOR_ANSWER["es" if language == "es" else "en"]
    if asks.search(body):
        return body
    return f"{body}\n{reply_instruction('es' if language == 'es' else 'en')}"


@dataclass
class LanguagePreview:
    language: str  # "en" or "es"
    label: str
    sample_name: str  # whose text is shown: one of the people it goes to, merge fields filled
    text: str
    cost: segments.SegmentCount  # of a first text, with the footer naming the organization
    people: int  # members of the audience who get this language's version
    textable: int
    emailable: int
    followup: str  # what a yes gets back


@dataclass
class ActivationPreview:
    members: int
    textable: int
    emailable: int
    languages: list[LanguagePreview] = field(default_factory=list)


def preview(activation: Activation) -> ActivationPreview:
    """How many members the audience holds, and how many numbers and addresses it would text or
    email: each once, however many of the members hold it (as the outbox sends); and each
    language's text as one of its people gets it, what it costs, and how many it goes to."""
    people = Person.objects.filter(pk__in=audience(activation).values("person_id"))
    cap = activation.sample_size if activation.samples else None

    def capped(n: int) -> int:
        # A drill's sample is drawn at sending: at most this many of each.
        return min(n, cap) if cap else n

    channel = "email" if activation.channels == Activation.Channels.EMAIL else "sms"
    languages = []
    for code, label, group in (("en", _("English (and every other language)"), people.exclude(language="es")),
                               ("es", _("Spanish"), people.filter(language="es"))):
        sample = group.order_by("pk").first() or Person(given_name=_("Alex"), language=code)
        text = merge.fill(activation_text(activation, code, channel), sample)
        languages.append(LanguagePreview(
            language=code, label=str(label), sample_name=sample.given_name if sample.pk else "", text=text,
            cost=segments.count(text + outbox.first_text_footer()), people=capped(group.count()),
            textable=capped(outbox.reach("sms", group)[2]), emailable=capped(outbox.reach("email", group)[2]),
            followup=merge.fill(_followup_text(activation, code), sample)))
    return ActivationPreview(members=capped(people.count()), textable=capped(outbox.reach("sms", people)[2]),
                             emailable=capped(outbox.reach("email", people)[2]), languages=languages)


def _add_recipients(activation: Activation, wave: int, miles: float | None = None, nearest: int | None = None) -> int:
    """One set-based INSERT … SELECT of the audience into the recipients (people reached already
    stay in their first wave), or only of the `nearest` so many; returns how many were added.
    Run under the activation's lock, so nobody else adds to its recipients meanwhile."""
    members = audience(activation, miles).order_by().values_list("person_id", "distance")  # type: ignore[misc]
    if activation.samples:
        members = members.order_by("?")[:activation.sample_size]
    elif nearest is not None:
        members = members.order_by("distance", "person_id")[:nearest]  # type: ignore[misc]
    members_sql, params = members.query.sql_with_params()
    sql = ("INSERT INTO mobilization_recipient (activation_id, person_id, miles, wave) "  # noqa: S608
           f"SELECT %s, sub.person_id, sub.distance, %s FROM ({members_sql}) sub WHERE NOT EXISTS "
           "(SELECT 1 FROM mobilization_recipient r WHERE r.activation_id = %s AND r.person_id = sub.person_id)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [activation.pk, wave, *params, activation.pk])
        added = cursor.rowcount
        if connection.vendor == "postgresql" and added > 10_000:
            # The outbox is made next from these rows: without fresh statistics the planner takes
            # 100,000 rows for a handful and joins them one by one.
            cursor.execute("ANALYZE mobilization_recipient")
    return added


def wave_people(activation: Activation, wave: int) -> QuerySet[Recipient]:
    """The people a wave reached, as its recipients' rows (the outbox takes them as they are)."""
    return Recipient.objects.filter(activation=activation, wave=wave)


def activate(*, actor: User, activation: Activation) -> int:
    """Send the activation to its audience now: the recipients, one outbox row per person and
    channel, the dispatcher queued. The nearest people (`ACTIVATION_FIRST_CHUNK`) are committed
    and sent to first, so their texts leave while everyone else's outbox is written
    (`finish_activation`): a rally's first minutes matter most, and the nearest get there first.
    Returns how many people it went to."""
    with transaction.atomic():
        activation = Activation.objects.select_for_update().get(pk=activation.pk)
        if activation.status != Activation.Status.DRAFT:
            raise MobilizationError(_("This activation was sent already."))
        # A draft's Spanish that is only the reply instruction (as the form once prefilled it) is
        # left for the English: an emergency is no time to refuse it.
        check_activation_text(body=activation.body, followup=activation.followup, followup_es=activation.followup_es,
                              body_es="" if _is_instruction_alone(activation.body_es) else activation.body_es)
        first = _add_recipients(activation, wave=1,
                                nearest=None if activation.samples else settings.ACTIVATION_FIRST_CHUNK)
        if not first:
            raise MobilizationError(_("Nobody in the network matches this audience."))
        channels = ["sms", "email"] if activation.channels == Activation.Channels.BOTH else [activation.channels]
        for channel in channels:
            message = Message.objects.create(
                group=activation.network.group, channel=channel, subject=activation.title[:200],
                body=activation_text(activation, "en", channel), body_es=activation_text(activation, "es", channel),
                topic=f"activation:{activation.pk}:{channel}",
                created_by=actor, ignore_quiet_hours=activation.ignore_quiet_hours,
                override_reason=activation.override_reason)
            activation.messages.add(message)
            # On record once, with everyone it reached, by `finish_activation`.
            sending.start_sending(actor=None, message=message, audience=wave_people(activation, 1))
        activation.status, activation.sent_at = Activation.Status.SENT, timezone.now()
        activation.outbox_complete = False
        activation.save(update_fields=["status", "sent_at", "outbox_complete"])
        if activation.escalate_below and activation.escalate_after:
            from turnout.mobilization.tasks import escalate_activation

            run_after = activation.sent_at + timedelta(minutes=activation.escalate_after)
            pk = activation.pk
            transaction.on_commit(lambda: escalate_activation.using(run_after=run_after).enqueue(activation_id=pk))
    return first + finish_activation(activation_id=activation.pk, actor=actor)


@transaction.atomic
def finish_activation(*, activation_id: int, actor: User | None) -> int:
    """Everyone in a sent activation's audience not yet in its outbox, added; its audit entry.
    Run by `activate` just after the nearest people's texts are on their way, and by the worker
    for an activation whose sender stopped in between. Returns how many people were added."""
    activation = Activation.objects.select_for_update().filter(pk=activation_id, outbox_complete=False).first()
    if activation is None:
        return 0
    added = 0 if activation.samples else _add_recipients(activation, wave=1)
    if added:
        for message in _channel_messages(activation):
            sending.send_more(message=message, audience=wave_people(activation, 1))
    activation.outbox_complete = True
    activation.save(update_fields=["outbox_complete"])
    reached = activation.recipients.filter(wave=1).count()
    summary = f"Activated {activation.network.name}: {reached} people" + (" (drill)" if activation.is_drill else "")
    if activation.ignore_quiet_hours:
        summary += f"; quiet hours overridden: {activation.override_reason}"
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=activation, summary=summary,
                 group=activation.network.group)
    return added


def finish_unfinished() -> int:
    """Finish every activation whose sender stopped between its nearest people and the rest
    (run by the worker at start and every minute); how many were finished."""
    left = list(Activation.objects.filter(outbox_complete=False, sent_at__lt=timezone.now() - timedelta(minutes=1))
                .values_list("pk", flat=True))
    for pk in left:
        finish_activation(activation_id=pk, actor=None)
    return len(left)


def _channel_messages(activation: Activation) -> list[Message]:
    return [m for m in activation.messages.all() if m.topic.startswith(f"activation:{activation.pk}:")
            and m.topic.rsplit(":", 1)[1] in ("sms", "email")]


@transaction.atomic
def escalate(*, activation_id: int) -> int:
    """The second wave, when fewer than the set number said yes in time: members within the wider
    radius who were not asked yet, and/or an email to each captain whose people have not answered
    (how many, and the link to their page of names and numbers: no names in the email). Runs once;
    returns how many people it reached or put on a captain's list."""
    activation = Activation.objects.select_for_update().filter(pk=activation_id).first()
    if activation is None or activation.escalated_at is not None or not activation.escalate_below:
        return 0
    yeses = activation.responses.filter(answer=Response.Answer.YES).count()
    activation.escalated_at = timezone.now()
    activation.save(update_fields=["escalated_at"])
    if yeses >= activation.escalate_below:
        return 0
    reached = _add_recipients(activation, wave=2, miles=activation.escalate_miles) if activation.escalate_miles else 0
    if reached:
        for message in _channel_messages(activation):
            sending.send_more(message=message, audience=wave_people(activation, 2))
    calls = _ask_captains(activation) if activation.escalate_captains else {}
    summary = f"Second wave: {yeses} yes of {activation.escalate_below} wanted; {reached} more people"
    if calls:
        summary += f"; {len(calls)} captains asked to call {sum(calls.values())} people"
    audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=activation, summary=summary,
                 group=activation.network.group)
    return reached + sum(calls.values())


def _ask_captains(activation: Activation) -> dict[int, int]:
    """Email each captain how many of their people were asked and have not answered: {captain id: count}."""
    silent = Member.objects.filter(
        network=activation.network, captain__isnull=False, captain__is_active=True,
        person__in=Recipient.objects.filter(activation=activation).values("person")).exclude(
        person__in=Response.objects.filter(activation=activation).values("person"))
    counts = Counter(silent.values_list("captain", flat=True))
    link = settings.BASE_URL + reverse("mobilization:captain")
    for captain_id, address in User.objects.filter(pk__in=counts).values_list("pk", "email"):
        email_staff(_("Calls needed: %(title)s") % {"title": activation.title},
                    _("%(n)s of your people have not answered \"%(title)s\" and fewer people than needed have "
                      "said yes. Please call them now: their names and numbers are on your page.\n\n%(link)s") % {
                        "n": counts[captain_id], "title": activation.title, "link": link}, [address])
    return dict(counts)


def _followup_text(activation: Activation, language: str = "en") -> str:
    """The details for a yes, in `language`: the organizer's Spanish, else their English, else a
    thank-you; then the linked event's what, when and where, with its dates in that language."""
    with translation.override(language):
        own = activation.followup.strip()
        if language == "es" and activation.followup_es.strip():
            own = activation.followup_es.strip()
        parts = [own or _("Thank you for saying yes!")]
        if activation.event is not None:
            event = activation.event
            parts.append(f"{event.title}: {events.when_text(event)}"
                         + (f", {event.place_line()}" if event.kind == Event.Kind.IN_PERSON else ""))
            parts.append(settings.BASE_URL + event.public_url())
    return "\n".join(parts)


def _followup_message(activation: Activation) -> Message:
    """The details every yes gets: one message per activation, each new yes added to its outbox."""
    topic = f"activation:{activation.pk}:followup"
    message = Message.objects.filter(topic=topic).first()
    if message is None:
        message = Message.objects.create(group=activation.network.group, channel="sms",
                                         subject=activation.title[:200], body=_followup_text(activation),
                                         body_es=_followup_text(activation, "es"),
                                         topic=topic, ignore_quiet_hours=True,
                                         override_reason="the details someone asked for by saying yes")
        activation.messages.add(message)
    return message


@transaction.atomic
def record_answer(*, activation: Activation, person: Person, answer: str,
                  inbound: InboundMessage | None = None) -> Response:
    """A yes or no; a later answer replaces an earlier one. A first yes becomes an RSVP to the
    linked event (not in a drill) and gets the details by text."""
    previous = Response.objects.select_for_update().filter(activation=activation, person=person).first()
    said_yes = previous is not None and previous.answer == Response.Answer.YES
    if previous is None:
        response = Response.objects.create(activation=activation, person=person, answer=answer, inbound=inbound)
    else:
        response = previous
        if previous.answer != answer:
            Response.objects.filter(pk=previous.pk).update(answer=answer, inbound=inbound,
                                                           answered_at=timezone.now())
            response.answer = answer
    if answer != Response.Answer.YES:
        if said_yes and activation.event and not activation.is_drill:
            seat = Rsvp.objects.filter(event=activation.event, person=person).first()
            if seat is not None and seat.source == "activation":
                events.cancel_rsvp(seat)
        return response
    if activation.event is not None and not activation.is_drill:
        events.take_seat(activation.event, person, source="activation", notify=False)
    sending.send_more(message=_followup_message(activation), audience=Person.objects.filter(pk=person.pk))
    return response


@transaction.atomic
def send_update(*, actor: User, activation: Activation, body: str, body_es: str = "") -> int:
    """Text (and email, when the activation went by email) everyone who said yes: "moved to the north entrance"."""
    yeses = Person.objects.filter(Exists(Response.objects.filter(
        activation=activation, answer=Response.Answer.YES, person=OuterRef("pk"))))
    try:
        merge.check(body, body_es)
    except merge.UnknownMergeField as exc:
        raise MobilizationError(str(exc)) from None
    count = yeses.count()
    if not count:
        raise MobilizationError(_("Nobody has said yes yet."))
    channels = ["sms", "email"] if activation.channels == Activation.Channels.BOTH else [activation.channels]
    for channel in channels:
        message = Message.objects.create(
            group=activation.network.group, channel=channel, subject=_("Update: %(title)s") % {"title": activation.title},
            body=body, body_es=body_es, topic=f"activation:{activation.pk}:update", created_by=actor,
            ignore_quiet_hours=True, override_reason="an update for people on their way to an action")
        activation.messages.add(message)
        sending.start_sending(actor=actor, message=message, audience=yeses)
    return count


# Distance bands of the board (an en dash between the numbers, as in print).
BANDS = [(5, "0\u20135"), (10, "5\u201310"), (25, "10\u201325"), (50, "25\u201350")]


# An outbox row that went out: a person "asked" was texted or emailed, not only chosen.
WENT_OUT = [Delivery.Status.SENT, Delivery.Status.DELIVERED]


def asked(activation: Activation) -> QuerySet[Delivery]:
    """The outbox rows of the activation's text and email that went out (one or two per person asked)."""
    return Delivery.objects.filter(message__in=[m.pk for m in _channel_messages(activation)], status__in=WENT_OUT)


def asked_people_count() -> Subquery:
    """How many people an activation (the outer query's row) asked: for a list of activations."""
    return Subquery(Delivery.objects.filter(
        Q(message__topic__endswith=":sms") | Q(message__topic__endswith=":email"),
        message__activations=OuterRef("pk"), status__in=WENT_OUT)
        .order_by().values("message__activations").annotate(n=Count("person", distinct=True)).values("n")[:1])


@dataclass
class Board:
    recipients: int  # chosen by the audience, whether or not anything reached them yet
    asked: int  # texted or emailed: the text or email went out
    waves: dict[int, int]
    channels: list[tuple[Message, dict[str, int]]]
    yes: int
    no: int
    no_answer: int
    bands: list[tuple[str, int, int, int]]  # (band, people, yes, no)
    timeline: list[tuple[int, int]]  # (minutes after sending, yeses so far)
    yeses: list[tuple[Response, float | None, Member | None, str]]  # (answer, miles, member, phone)


def board(activation: Activation) -> Board:
    """The live count: what went out, who answered, by distance band and over time, and who is coming."""
    chosen = Recipient.objects.filter(activation=activation)
    # Only the people something went out to count as asked (and by band and wave): someone with no
    # number, who opted out, or whose text waits for quiet hours to end was not asked yet.
    recipients = chosen.filter(Exists(asked(activation).filter(person=OuterRef("person_id"))))
    waves = dict(recipients.values_list("wave").annotate(n=Count("pk")).values_list("wave", "n"))
    answers = dict(activation.responses.values_list("answer").annotate(n=Count("pk")).values_list("answer", "n"))
    band = Case(*[When(miles__lt=limit, then=Value(label)) for limit, label in BANDS],
                When(miles__isnull=False, then=Value("50+")), default=Value("—"))
    answer = Subquery(Response.objects.filter(activation=activation, person=OuterRef("person_id")).values("answer")[:1])
    cells = Counter[tuple[str, str | None]]()
    for label, said, n in recipients.annotate(band=band, said=answer).values_list("band", "said").annotate(
            n=Count("pk")).values_list("band", "said", "n"):
        cells[(label, said)] += n
    order = [label for _limit, label in BANDS] + ["50+", "—"]
    bands = []
    for label in order:
        people = sum(n for (b, _said), n in cells.items() if b == label)
        if people:
            bands.append((label, people, cells[(label, "yes")], cells[(label, "no")]))
    timeline: list[tuple[int, int]] = []
    if activation.sent_at:
        buckets = Counter[int]()
        for at in activation.responses.filter(answer=Response.Answer.YES).values_list("answered_at", flat=True):
            buckets[max(0, int((at - activation.sent_at).total_seconds() // 300)) * 5] += 1
        running = 0
        for minute in sorted(buckets):
            running += buckets[minute]
            timeline.append((minute, running))
    yes_rows = list(activation.responses.filter(answer=Response.Answer.YES).select_related("person")
                    .order_by("answered_at")[:500])
    miles = dict(recipients.filter(person__in=[r.person_id for r in yes_rows]).values_list("person_id", "miles"))
    members = {m.person_id: m for m in Member.objects.filter(network=activation.network,
                                                             person__in=[r.person_id for r in yes_rows])}
    phones = phones_of([r.person_id for r in yes_rows])
    total = sum(waves.values())
    silent = recipients.exclude(Exists(Response.objects.filter(activation=activation, person=OuterRef("person_id"))))
    return Board(recipients=chosen.count(), asked=total, waves=waves,
                 channels=[(m, outbox.progress(m)) for m in _channel_messages(activation)],
                 yes=answers.get("yes", 0), no=answers.get("no", 0),
                 no_answer=silent.count(), bands=bands, timeline=timeline,
                 yeses=[(r, miles.get(r.person_id), members.get(r.person_id), phones.get(r.person_id, ""))
                        for r in yes_rows])


def phones_of(people: list[int]) -> dict[int, str]:
    """Each person's number to call: the primary first."""
    found: dict[int, str] = {}
    for person_id, number in PhoneNumber.objects.filter(person__in=people).order_by("-is_primary", "pk") \
            .values_list("person_id", "number"):
        found.setdefault(person_id, number)
    return found


# --- pledges ------------------------------------------------------------------------------------------


@transaction.atomic
def sign_pledge(*, pledge: Pledge, request: PublicSignup, ref: str = "") -> tuple[Signature, bool]:
    """A signature from the public page; the same person again signs once. (signature, created)
    A new signature credits whoever shared the link (`ref`)."""
    if not pledge.is_open:
        raise MobilizationError(_("This pledge is no longer taking signatures."))
    return _sign_pledge(pledge, request, ref=ref)


def _sign_pledge(pledge: Pledge, request: PublicSignup, *, ref: str) -> tuple[Signature, bool]:
    """`sign_pledge` once the pledge is known to take it (now, or when a waiting form was received)."""
    email, phone = _contacts(request)
    person = sign_up(pledge.group, request, email, phone, f"Pledge: {pledge.title}")
    return _take_pledge_signature(pledge, person, ref=ref)


def _take_pledge_signature(pledge: Pledge, person: Person, *, ref: str) -> tuple[Signature, bool]:
    """One signature per person (in the caller's transaction); a new one credits the referrer."""
    signature, created = Signature.objects.get_or_create(pledge=pledge, person=person)
    if created:
        credit(code=ref, person=person, kind=Referral.Kind.PLEDGE, action_id=pledge.pk)
        PLEDGE_COUNTS.expire(pledge.public_id)
    return signature, created


def _take_new_pledge_signatures(pledge: Pledge, signers: Sequence[tuple[Person, str]]) -> None:
    """`_take_pledge_signature` for people the caller has just signed up, each (person, ref), in its
    transaction and set-based: nobody new has signed, so each signature is new; the referrers are
    credited and the pledge's count forgotten once. A few statements whatever the number."""
    if not signers:
        return
    now = timezone.now()
    bulk.insert_rows(Signature, ["pledge", "person", "signed_at"], [(pledge.pk, person.pk, now) for person, _r in signers])
    credit_many(kind=Referral.Kind.PLEDGE, action_id=pledge.pk, credits=signers)
    PLEDGE_COUNTS.expire(pledge.public_id)


# A crowd signing at once is answered as fast as one row can be written: the page stores the
# signature (`sign_pledge_later`) and a worker settles the waiting ones in batches
# (`settle_pledges`) under the rules of `sign_pledge`.

# A burst of signatures asks for one settling run, not one per form (see `core.batching`).
SETTLE_ASKED_KEY = "mobilization:settle-pledges"


def sign_pledge_later(*, pledge: Pledge, data: dict[str, Any]) -> str:
    """Keep a pledge signature as sent (the person's fields and `ref`) for a worker to settle as
    `sign_pledge` would; the share code kept for the person's own link. A closed pledge is
    refused here; a pledge that closes once the person was thanked still takes theirs."""
    from turnout.mobilization.tasks import settle_pledge_forms  # the tasks module imports this one

    if not pledge.is_open:
        raise MobilizationError(_("This pledge is no longer taking signatures."))
    code = new_share_code()
    try:
        intake.store(PledgeIntake, {"pledge": pledge.pk, "data": {**data, "share_code": code},
                                    "received_at": timezone.now()},
                     task=settle_pledge_forms, asked_key=SETTLE_ASKED_KEY)
    except IntegrityError:  # the pledge was deleted a moment ago, while this process still had it in hand
        raise MobilizationError(_("This pledge is no longer taking signatures.")) from None
    return code


def settle_pledges(batch: int = intake.SETTLE_BATCH) -> int:
    """Settle every waiting pledge signature, oldest first, a batch at a time
    (`people.intake.settle_waiting`: a failed batch is settled one by one, a bad form is left
    waiting); how many were settled."""
    return intake.settle_waiting(PledgeIntake, lambda ids, failed: settle_pledge_batch(ids, failed=failed),
                                 _pledge_door_for, batch=batch)


def settle_pledge(intake_id: int) -> bool:
    """Settle one waiting pledge signature through `sign_pledge`, exactly once."""
    return intake.settle_one(PledgeIntake, intake_id, _pledge_door_for)


@transaction.atomic
def settle_pledge_batch(ids: list[int], *, failed: set[int] | None = None) -> int:
    """Settle these waiting signatures in one transaction, under the rules of `sign_pledge`
    (`people.intake.settle_together`: new people set-based, then the pledge's own rule for them
    all, set-based; anyone else through `sign_pledge` itself); how many were settled."""
    forms = list(PledgeIntake.objects.select_for_update().filter(pk__in=ids, outcome="").order_by("id"))
    pages: dict[int, list[Intake]] = {}
    for form in forms:
        pages.setdefault(form.pledge_id, []).append(form)
    return intake.settle_together(PledgeIntake, [(_pledge_door(pk), waiting) for pk, waiting in pages.items()],
                                  failed)


def _pledge_door_for(form: Intake) -> intake.Door:
    assert isinstance(form, PledgeIntake)
    return _pledge_door(form.pledge_id)


def _pledge_door(pledge_id: int) -> intake.Door:
    """How the signatures of one pledge are settled: `sign_pledge`'s rules."""
    pledge = Pledge.objects.select_related("group").get(pk=pledge_id)

    def take_many(taken: list[tuple[Intake, PublicSignup, Person]]) -> list[str]:
        # The codes first: a signature in the batch sent through the link of an earlier one credits it.
        claim_codes((person, waiting.data.get("share_code", "")) for waiting, _signup, person in taken)
        _take_new_pledge_signatures(pledge, [(person, waiting.data.get("ref", "")) for waiting, _s, person in taken])
        return [Intake.Outcome.TAKEN] * len(taken)

    def alone(waiting: Intake) -> None:
        signup = intake.signup_of(waiting.data)
        with translation.override(signup.language or "en"):
            try:
                with transaction.atomic():
                    signature, created = _sign_pledge(pledge, signup, ref=waiting.data.get("ref", ""))
            except UnknownZip:
                waiting.outcome, waiting.reason = Intake.Outcome.REFUSED, _("We do not know this ZIP code.")
            except MobilizationError as exc:
                waiting.outcome, waiting.reason = Intake.Outcome.REFUSED, str(exc)[:200]
            else:
                waiting.outcome = Intake.Outcome.TAKEN if created else Intake.Outcome.EXISTING
                claim_code(person=signature.person, code=waiting.data.get("share_code", ""))

    return intake.Door(group=pledge.group, detail=f"Pledge: {pledge.title}", together=True,
                       take_many=take_many, alone=alone)


# --- standby plans and their trigger -------------------------------------------------------------------


def plan_events(plan: Plan) -> QuerySet[Event]:
    """The plan's standby events, its campaigns' included."""
    return Event.objects.filter(Q(pk__in=plan.events.values("pk")) | Q(campaign__in=plan.campaigns.all()),
                                status=Status.STANDBY).select_related("group")


def plan_audience(plan: Plan, events_live: QuerySet[Event] | None = None) -> QuerySet[Person]:
    """Everyone the plan tells, once each: pledge signers, members of its networks, and people
    signed up for its events."""
    condition = Q(Exists(Signature.objects.filter(pledge__in=plan.pledges.all(), person=OuterRef("pk")))) | Q(
        Exists(Member.objects.filter(network__in=plan.networks.all(), person=OuterRef("pk"))))
    if plan.tell_rsvps:
        chosen = events_live if events_live is not None else plan_events(plan)
        condition |= Q(Exists(Rsvp.objects.filter(event__in=chosen.values("pk"), person=OuterRef("pk"),
                                                  status__in=[Rsvp.Status.GOING, Rsvp.Status.WAITLIST])))
    return Person.objects.filter(condition)


def plan_day(plan: Plan, now: datetime) -> date:
    """The one calendar date of the day of action, the same at every site: the plan's date, or
    `start_days_after` days after the trigger's date in the plan's own zone."""
    if plan.start_date is not None:
        return plan.start_date
    return now.astimezone(ZoneInfo(plan.zone)).date() + timedelta(days=plan.start_days_after or 0)


def _notify_day(plan: Plan, now: datetime) -> date:
    return now.astimezone(ZoneInfo(plan.zone)).date() + timedelta(days=plan.notify_days_after)


def _site_start(plan: Plan, event: Event, now: datetime) -> datetime | None:
    """When the site starts once the trigger is pulled at `now`: the plan's local time on its one
    date, on the site's own clock (None: the site keeps its own time)."""
    if plan.start_local_time is None:
        return None
    return events.wall_clock(plan_day(plan, now), plan.start_local_time, event.time_zone)


@dataclass(frozen=True)
class Target:
    """One person the trigger tells, on one channel, about one site."""

    person_id: int
    channel: str  # "sms" or "email"
    address: str
    zone: str | None  # where quiet hours are read: the person's zone, else their number's; None: unknown
    site_id: int | None  # None: no site known for them (no place on record), or the plan has none
    far: bool = False  # the nearest site, farther than the plan's distance


@dataclass
class Telling:
    """Who is told what: the people the trigger reaches, each once, with their site."""

    sites: dict[int, Event]
    targets: list[Target]
    too_far: int  # no site within the plan's distance, and the plan says to tell them nothing
    unreachable: int  # no consenting number or address

    def groups(self) -> dict[tuple[int | None, bool, str], list[Target]]:
        """One message per site, distance and channel: (site id, far, channel) -> its people."""
        found: dict[tuple[int | None, bool, str], list[Target]] = {}
        for target in self.targets:
            found.setdefault((target.site_id, target.far, target.channel), []).append(target)
        return found


def telling(plan: Plan, live: list[Event]) -> Telling:
    """Each person the plan covers, with the one site they are told and how they are reached:
    the site they signed up for, else the nearest within the plan's distance; someone farther
    is told the nearest or nothing, as the plan says. Text where they agreed to texts, else
    email; each number or address once per message, as the outbox sends it."""
    audience = plan_audience(plan, Event.objects.filter(pk__in=[e.pk for e in live]))
    sites = {e.pk: e for e in live}
    placed = [e for e in live if e.latitude is not None and e.longitude is not None]
    # One pass over the audience, each person's site sign-up and consenting number and address
    # looked up by their own indexed rows (the audience's conditions are not evaluated again).
    first = {"person": OuterRef("pk")}
    people = audience.order_by("pk").annotate(
        signed_up=Subquery(Rsvp.objects.filter(event__in=list(sites), status__in=[
            Rsvp.Status.GOING, Rsvp.Status.WAITLIST], **first).order_by("pk").values("event_id")[:1]),
        phone=Subquery(PhoneNumber.objects.filter(sms_status=Subscription.SUBSCRIBED, **first)
                       .order_by("-is_primary", "pk").values("number")[:1]),
        email=Subquery(EmailAddress.objects.filter(status=Subscription.SUBSCRIBED, **first)
                       .order_by("-is_primary", "pk").values("address")[:1]),
    ).values_list("pk", "latitude", "longitude", "time_zone", "signed_up", "phone", "email")
    nearest: dict[tuple[float, float], tuple[Event, float]] = {}  # people share their ZIP's point
    seen: dict[tuple[int | None, bool, str], set[str]] = {}
    targets: list[Target] = []
    too_far = unreachable = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Three indexed look-ups a row, for 50,000 rows, run in about a second; compiling
                # the query first (JIT, tempted by the planner's count of rows) took twice that.
                cursor.execute("SET LOCAL jit = off")
        rows = list(people)
    for person_id, latitude, longitude, zone, signed_up, phone, email in rows:
        site_id, far = signed_up, False
        if site_id is None and placed and latitude is not None and longitude is not None:
            point = (latitude, longitude)
            if point not in nearest:
                nearest[point] = min(((e, geo.distance_miles(latitude, longitude, e.latitude, e.longitude))  # type: ignore[arg-type]
                                      for e in placed), key=lambda pair: pair[1])
            site, miles = nearest[point]
            if miles > plan.site_miles:
                if plan.far_away != Plan.FarAway.NEAREST:
                    too_far += 1
                    continue
                far = True
            site_id = site.pk
        if phone:
            channel, address, where = "sms", phone, zone or geo.time_zone_for_phone(phone)
        elif email:
            channel, address, where = "email", email, zone or None
        else:
            unreachable += 1
            continue
        addresses = seen.setdefault((site_id, far, channel), set())
        if address in addresses:
            continue  # the outbox sends each number or address once per message
        addresses.add(address)
        targets.append(Target(person_id=person_id, channel=channel, address=address, zone=where,
                              site_id=site_id, far=far))
    return Telling(sites=sites, targets=targets, too_far=too_far, unreachable=unreachable)


def _told_at(plan: Plan, target: Target, now: datetime, hours: quiet_hours.Window) -> datetime:
    """When the target's message may reach them: at once, or the plan's local time in their zone
    (unknown: the plan's), and a text no sooner than quiet hours end where they are."""
    when = now
    if plan.notify_local_time is not None:
        when = max(now, events.wall_clock(_notify_day(plan, now), plan.notify_local_time, target.zone or plan.zone))
    if target.channel == "sms" and not quiet_hours.is_open(when, target.zone, hours):
        when = quiet_hours.next_opening(when, target.zone, hours)
    return when


@dataclass
class ZoneTiming:
    """People in one time zone told at one moment."""

    zone: str  # IANA name; "" when unknown
    texts: int
    emails: int
    when: datetime | None  # None: at once
    held_by_quiet_hours: bool
    local: str  # the moment on the zone's own clock (unknown: the plan's)


@dataclass
class PlanSummary:
    events: list[tuple[Event, str]]  # (event, when it will happen, in its own zone)
    campaigns: list[EventCampaign]
    day: date | None  # the day of action's one date, when the plan sets the sites' time
    texted: int
    emailed: int
    zones: list[ZoneTiming]
    too_far: int
    unreachable: int
    samples: list[tuple[str, str]] = field(default_factory=list)  # (language, text) as the first site's people get it

    @property
    def people(self) -> int:
        return self.texted + self.emailed


def _local_text(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{formats.date_format(local, 'D, M j, P')} {local.tzname()}"


def summarize(plan: Plan, now: datetime | None = None) -> PlanSummary:
    """Exactly what pulling the trigger now would do, for the confirmation screen (and a drill):
    the sites' new times, and per time zone who is told now and who waits, until when."""
    now = now or timezone.now()
    live = list(plan_events(plan).order_by("starts_at"))
    rows = [(event, events.when_text(event, _site_start(plan, event, now))) for event in live]
    told = telling(plan, live)
    hours = quiet_hours.window(plan.group)
    cells: Counter[tuple[str, datetime, str]] = Counter()
    moments: dict[tuple[str | None, str], datetime] = {}  # the moment depends on the zone and channel only
    for target in told.targets:
        key = (target.zone, target.channel)
        if key not in moments:
            moments[key] = _told_at(plan, target, now, hours)
        cells[(target.zone or "", moments[key], target.channel)] += 1
    zones: dict[tuple[str, datetime], ZoneTiming] = {}
    for (zone, when, channel), n in sorted(cells.items(), key=lambda item: (item[0][0], item[0][1])):
        row = zones.get((zone, when))
        if row is None:
            held = plan.notify_local_time is None or when > max(now, events.wall_clock(
                _notify_day(plan, now), plan.notify_local_time, zone or plan.zone))
            row = zones[(zone, when)] = ZoneTiming(zone=zone, texts=0, emails=0, when=when if when > now else None,
                                                   held_by_quiet_hours=held and when > now,
                                                   local=_local_text(when, zone or plan.zone))
        if channel == "sms":
            row.texts += n
        else:
            row.emails += n
    texted = sum(1 for t in told.targets if t.channel == "sms")
    samples = []
    if told.targets:
        first = told.targets[0]
        site = told.sites.get(first.site_id) if first.site_id is not None else None
        start = _site_start(plan, site, now) if site is not None else None
        samples = [("en", _message_text(plan.body, _site_lines(plan, site, first.far, "en", start))),
                   ("es", _message_text(plan.body_es or plan.body, _site_lines(plan, site, first.far, "es", start)))]
    return PlanSummary(events=rows, campaigns=list(plan.campaigns.filter(status=Status.STANDBY)),
                       day=plan_day(plan, now) if plan.start_local_time is not None else None,
                       texted=texted, emailed=len(told.targets) - texted, zones=list(zones.values()),
                       too_far=told.too_far, unreachable=told.unreachable, samples=samples)


def _message_text(body: str, site_lines: str) -> str:
    return f"{body.rstrip()}\n{site_lines}"


def _find_link(plan: Plan) -> str:
    """Where someone with no known site finds theirs: the plan's one campaign, else the map of events."""
    campaigns = list(plan.campaigns.all()[:2])
    path = campaigns[0].public_url() if len(campaigns) == 1 else reverse("find_events")
    return settings.BASE_URL + path


def _site_lines(plan: Plan, site: Event | None, far: bool, language: str, start: datetime | None = None) -> str:
    """What each person is told of their own site, in their language: its name, address, local
    date and time, and the link to its page."""
    with translation.override(language):
        group = plan.group.name
        if site is None:
            return _("%(group)s: find your site here: %(link)s") % {"group": group, "link": _find_link(plan)}
        lines = [(_("%(group)s: the nearest site to you is %(site)s, %(address)s.") if far else
                  _("%(group)s: your site is %(site)s, %(address)s.")) % {
            "group": group, "site": site.title, "address": site.place_line()},
            _("When: %(when)s, local time there.") % {"when": events.when_text(site, start)},
            _("Details: %(link)s") % {"link": settings.BASE_URL + site.public_url()}]
        return "\n".join(lines)


@dataclass
class TriggerResult:
    state: str  # "triggered", "awaiting approval", "already triggered"
    events: int = 0
    texted: int = 0
    emailed: int = 0


CHUNK = 500  # people named in one outbox statement, well under every database's limit on parameters


@transaction.atomic
def pull_trigger(*, actor: User, plan: Plan) -> TriggerResult:
    """Make the plan happen: every standby event and campaign live, all on one date (at the
    plan's local time on each site's clock), and everyone it covers told once about their own
    site, at their own local time. Pulling it again does nothing; a plan that needs two people
    waits for a second admin."""
    plan = Plan.objects.select_for_update().select_related("group").get(pk=plan.pk)
    if plan.status == Plan.Status.TRIGGERED:
        return TriggerResult(state="already triggered")
    if plan.requires_two_people:
        if plan.status == Plan.Status.ARMED:
            plan.status, plan.requested_by = Plan.Status.AWAITING_APPROVAL, actor
            plan.save(update_fields=["status", "requested_by"])
            audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=plan, group=plan.group,
                         summary="Asked to pull the trigger; waiting for a second admin")
            return TriggerResult(state="awaiting approval")
        if plan.requested_by_id == actor.pk:
            raise MobilizationError(_("A second admin must approve this trigger."))
    now = timezone.now()
    live = list(plan_events(plan))
    for event in live:
        start = _site_start(plan, event, now)
        if start is not None:
            length = (event.ends_at - event.starts_at) if event.ends_at else None
            event.starts_at, event.ends_at = start, (start + length if length else None)
        event.status, event.went_live_at = Status.SCHEDULED, now
        events.save_event(actor=actor, event=event, notify=False)
    moved: dict[str, Any] = {"status": Status.SCHEDULED, "went_live_at": now, "updated_at": now}
    if plan.start_local_time is not None:
        moved.update(local_date=plan_day(plan, now), local_start=plan.start_local_time)
    EventCampaign.objects.filter(pk__in=plan.campaigns.values("pk"), status=Status.STANDBY).update(**moved)
    told = telling(plan, live)
    counts = {"sms": 0, "email": 0}
    for (site_id, far, channel), targets in told.groups().items():
        site = told.sites.get(site_id) if site_id is not None else None
        message = Message.objects.create(
            group=plan.group, channel=channel, subject=plan.subject[:200],
            body=_message_text(plan.body, _site_lines(plan, site, far, "en")),
            body_es=_message_text(plan.body_es or plan.body, _site_lines(plan, site, far, "es")),
            topic=f"plan:{plan.pk}:{channel}", created_by=actor)
        plan.messages.add(message)
        ids = [t.person_id for t in targets]
        counts[channel] += sending.start_sending(actor=actor, message=message,
                                                 audience=Person.objects.filter(pk__in=ids[:CHUNK]))
        for offset in range(CHUNK, len(ids), CHUNK):
            counts[channel] += outbox.materialize(message, Person.objects.filter(pk__in=ids[offset:offset + CHUNK]))
        if plan.notify_local_time is not None:
            _hold_until_local_time(message, plan, targets, now)
    plan.status, plan.triggered_by, plan.triggered_at = Plan.Status.TRIGGERED, actor, now
    plan.outcome = {"events": len(live), "texted": counts["sms"], "emailed": counts["email"],
                    "too_far": told.too_far}
    plan.save(update_fields=["status", "triggered_by", "triggered_at", "outcome"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=plan, group=plan.group,
                 summary=f"Pulled the trigger: {len(live)} events live, {counts['sms']} texted, "
                         f"{counts['email']} emailed" + (f" (approved; asked by {plan.requested_by.email})"
                                                          if plan.requested_by and plan.requires_two_people else ""))
    return TriggerResult(state="triggered", events=len(live), texted=counts["sms"], emailed=counts["email"])


def _hold_until_local_time(message: Message, plan: Plan, targets: list[Target], now: datetime) -> None:
    """Each person's delivery waits for the plan's local time in their zone (unknown: the plan's),
    on the one notify date (one UPDATE per zone and chunk)."""
    assert plan.notify_local_time is not None
    day = _notify_day(plan, now)
    by_moment: dict[datetime, list[int]] = {}
    for target in targets:
        when = events.wall_clock(day, plan.notify_local_time, target.zone or plan.zone)
        if when > now:
            by_moment.setdefault(when, []).append(target.person_id)
    for when, ids in by_moment.items():
        for offset in range(0, len(ids), CHUNK):
            Delivery.objects.filter(message=message, person__in=ids[offset:offset + CHUNK]).update(not_before=when)
