"""Every write to people goes through here: views, commands, tasks and the API alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, User
from turnout.core import audit, bulk
from turnout.core.dangerous import without_dangerous
from turnout.core.exports import csv_writer
from turnout.core.models import AuditEntry, SubjectKey
from turnout.people import erasure, suppression
from turnout.people.contact import format_phone
from turnout.people.models import (
    ConsentEvent,
    ContactResult,
    EmailAddress,
    ImportJob,
    ListItem,
    Membership,
    Person,
    PersonList,
    PhoneNumber,
    Subscription,
    Tag,
    Tagging,
)
from turnout.people.signals import people_merging, person_changed, person_erasing


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


class ContactInUse(ValueError):
    """The email or phone is already on another of the acting group's records (same contact,
    same person, within a group's own records)."""

    def __init__(self, field: str, person: Person) -> None:
        super().__init__(field)
        self.field = field
        self.person = person


class UnknownZip(ValueError):
    """A US ZIP code that is not in the packaged ZIP data."""


# Consent the person gave themselves: a form they filled in, a keyword they texted. Only such an
# opt-in restores a consent they withdrew; an import, an API call or a staffer never does (the
# TCPA punishes re-subscribing someone who revoked consent).
PERSONAL_SOURCES = frozenset({ConsentEvent.Source.FORM, ConsentEvent.Source.KEYWORD})
# The ledger's words on the other records of an address that opted out.
ELSEWHERE = "Opted out on another record of this address; an opt-out holds for every record."


def opt_in_allowed(*, source: str, status: str | None) -> bool:
    """May an opt-in from `source` be recorded on a contact whose status is `status` (None: not
    on this record yet, and no record of it is opted out)? The one rule, for every door."""
    return status != Subscription.UNSUBSCRIBED or source in PERSONAL_SOURCES


def contact_model(channel: str) -> tuple[type[EmailAddress] | type[PhoneNumber], str, str]:
    """(model, address column, status column) for a channel."""
    if channel == ConsentEvent.Channel.EMAIL:
        return EmailAddress, "address", "status"
    return PhoneNumber, "number", "sms_status"


def standing(*, channel: str, addresses: Iterable[str]) -> dict[str, str]:
    """What every record of these addresses says together, for a record about to gain one: an
    opt-out or a bounce of an address holds for every record that holds it, and for the erased
    records the suppression list stands for. {address: status} for the addresses that are
    unsubscribed or bouncing anywhere; the others are absent."""
    addresses = list(addresses)
    model, column, status = contact_model(channel)
    held: dict[str, str] = {}
    rows = model.objects.filter(**{f"{column}__in": list(addresses),
                                   f"{status}__in": [Subscription.UNSUBSCRIBED, Subscription.BOUNCING]})
    for address, value in rows.values_list(column, status):
        if held.get(address) != Subscription.UNSUBSCRIBED:
            held[address] = value
    # An address that opted out on records since erased is on the suppression list, and holds as
    # such a record would.
    for address in suppression.suppressed(channel=channel, addresses=addresses):
        held[address] = Subscription.UNSUBSCRIBED
    return held


@transaction.atomic
def record_consent(
    *,
    person: Person,
    channel: str,
    address: str,
    action: str,
    source: str,
    source_detail: str = "",
    text: str = "",
    actor: User | None = None,
    occurred_at: datetime | None = None,
) -> ConsentEvent | None:
    """Append an opt-in or opt-out to the ledger and refresh the derived status.

    An opt-out holds for every record of the address, whichever group holds it: each gets the
    ledger entry and the status (one STOP stops them all). An opt-in is this record's alone, and
    is refused (None, nothing written) when the person withdrew consent here and the opt-in is
    not their own act (`opt_in_allowed`). A bouncing address stays bouncing.
    """
    model, column, status_column = contact_model(channel)
    when = occurred_at or timezone.now()

    def entry(person_id: int) -> ConsentEvent:
        return ConsentEvent(person_id=person_id, channel=channel, address=address, action=action, source=source,
                            source_detail=source_detail[:200], consent_text=text, occurred_at=when,
                            recorded_by=actor)

    def elsewhere(person_id: int) -> ConsentEvent:
        # Another group's record learns that the address opted out, never who recorded it, where
        # or what they wrote: that would tell it which group holds the person.
        return ConsentEvent(person_id=person_id, channel=channel, address=address, action=action, source=source,
                            consent_text=ELSEWHERE, occurred_at=when)

    if action == ConsentEvent.Action.OPT_IN:
        current = (model.objects.filter(person=person, **{column: address}).values_list(status_column, flat=True)
                   .first())
        if current is None or not opt_in_allowed(source=source, status=current):
            return None  # an opt-in is for a record that holds the address
        event = entry(person.pk)
        event.save()
        model.objects.filter(person=person, **{column: address}).exclude(
            **{status_column: Subscription.BOUNCING}).update(**{status_column: Subscription.SUBSCRIBED})
        if current == Subscription.UNSUBSCRIBED and suppression.suppressed(channel=channel, addresses=[address]):
            suppression.note_consent_over(people=[person], channel=channel, source=source, actor=actor)
        return event
    holders = list(model.objects.filter(**{column: address}).exclude(person=person)
                   .values_list("person_id", flat=True).distinct())
    event = entry(person.pk)
    event.save()
    ConsentEvent.objects.bulk_create([elsewhere(pk) for pk in sorted(set(holders))])
    model.objects.filter(**{column: address}).exclude(**{status_column: Subscription.BOUNCING}).update(
        **{status_column: Subscription.UNSUBSCRIBED})
    return event


def undo_staff_opt_outs(*, events: Iterable[ConsentEvent], detail: str, actor: User | None = None) -> int:
    """Reverse opt-outs that staff recorded by mistake (an opt-out list uploaded in error): each
    record whose latest entry for the address is still that opt-out is subscribed again, with an
    opt-in entry saying why. Only staff's opt-outs can be reversed so; a record that opted out or
    in since (a STOP, a form) keeps its own latest word. How many records were restored. The
    caller passes only the opt-outs of records that consented before them."""
    restored = 0
    for event in events:
        if event.action != ConsentEvent.Action.OPT_OUT or event.source != ConsentEvent.Source.STAFF:
            continue
        model, column, status_column = contact_model(event.channel)
        latest = (ConsentEvent.objects.filter(person_id=event.person_id, channel=event.channel, address=event.address)
                  .order_by("-occurred_at", "-pk").values_list("pk", flat=True).first())
        if latest != event.pk:
            continue
        ConsentEvent.objects.create(person_id=event.person_id, channel=event.channel, address=event.address,
                                    action=ConsentEvent.Action.OPT_IN, source=ConsentEvent.Source.STAFF,
                                    source_detail=detail[:200], recorded_by=actor,
                                    consent_text="The opt-out recorded by staff was undone: the consent given "
                                                 "before it stands again.")
        restored += model.objects.filter(person_id=event.person_id, **{column: event.address,
                                                                       status_column: Subscription.UNSUBSCRIBED}
                                         ).update(**{status_column: Subscription.SUBSCRIBED})
    return restored


@transaction.atomic
def mark_bouncing(*, address: str) -> int:
    """An email address bounced hard: every record holding it stops being emailed. How many. A
    record that unsubscribed keeps saying so (a withdrawn consent is worth more than a bounce)."""
    return EmailAddress.objects.filter(address=address).exclude(status=Subscription.UNSUBSCRIBED).update(
        status=Subscription.BOUNCING)


def in_reach(group: Group) -> QuerySet[Person]:
    """The records a submission to `group` may match: people the group already holds, itself or
    below it. Nobody else's record is found, changed or revealed by an email or a number."""
    return Person.objects.in_group(group)


def _check_contacts_free(email: str, phone: str, *, among: QuerySet[Person], exclude: Person | None = None) -> None:
    """Refuse a contact already on another record `among` the acting group's own (same contact,
    same person, within one group's records)."""
    if exclude is not None:
        among = among.exclude(pk=exclude.pk)
    if email:
        found = among.filter(emails__address=email).first()
        if found:
            raise ContactInUse("email", found)
    if phone:
        found = among.filter(phones__number=phone).first()
        if found:
            raise ContactInUse("phone", found)


def _keepable(fields: dict[str, Any]) -> dict[str, Any]:
    """A person's fields less the custom fields Turnout does not keep (core.dangerous): whichever
    door sent them, they are not stored."""
    if not fields.get("custom_fields"):
        return fields
    return {**fields, "custom_fields": without_dangerous(fields["custom_fields"])}


def _new_contact(channel: str, *, person: Person, value: str, is_primary: bool, source: str,
                 **extra: Any) -> str | None:
    """Add an address or number to a record, starting from what every record of it says: an
    address opted out or bouncing anywhere is so on the new record too (that status, or None). One
    on the suppression list starts with its opt-out on the ledger, from `source` (the door)."""
    model, column, status_column = contact_model(channel)
    held = standing(channel=channel, addresses=[value]).get(value)
    if held:
        extra[status_column] = held
    model.objects.create(person=person, is_primary=is_primary, **{column: value}, **extra)
    if held == Subscription.UNSUBSCRIBED:
        for address, at in suppression.suppressed(channel=channel, addresses=[value]).items():
            suppression.ledger_entry(person_id=person.pk, channel=channel, address=address, at=at,
                                     source=source).save()
    return held


@transaction.atomic
def create_person(
    *,
    actor: User | None,
    group: Group,
    fields: dict[str, Any],
    email: str = "",
    phone: str = "",
    phone_kind: str = PhoneNumber.Kind.UNKNOWN,
    membership_status: str = Membership.Status.MEMBER,
    member_number: str = "",
    tags: Iterable[str] = (),
    email_consent_text: str = "",
    sms_consent_text: str = "",
    request: HttpRequest | None = None,
) -> Person:
    """Add one person to a group, refusing an email or phone already on another of its records."""
    hold_contacts([value for value in (email, phone) if value])
    _check_contacts_free(email, phone, among=in_reach(group))
    fields = _keepable(fields)
    person = Person(**{k: v for k, v in fields.items() if k != "postal_code"})
    if not person.set_postal_code(fields.get("postal_code", "")):
        raise UnknownZip(fields.get("postal_code", ""))
    person.save()
    source = ConsentEvent.Source.STAFF
    if email:
        _new_contact("email", person=person, value=email, is_primary=True, source=source)
        if email_consent_text:
            record_consent(person=person, channel="email", address=email, action="opt_in",
                           source=source, text=email_consent_text, actor=actor)
    if phone:
        _new_contact("sms", person=person, value=phone, is_primary=True, kind=phone_kind, source=source)
        if sms_consent_text:
            record_consent(person=person, channel="sms", address=phone, action="opt_in",
                           source=source, text=sms_consent_text, actor=actor)
    Membership.objects.create(person=person, group=group, status=membership_status, member_number=member_number)
    for name in tags:
        add_tag(person=person, group=group, name=name)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=person,
                 summary=f"Added to {group.name}", request=request, group=group)
    person_changed.send(sender=Person, person=person, created=True)
    return person


@transaction.atomic
def update_person(
    *, actor: User | None, person: Person, fields: dict[str, Any], request: HttpRequest | None = None
) -> Person:
    """Change a person's name, language, address or custom fields."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    changed = []
    for name, value in _keepable(fields).items():
        if name == "postal_code":
            continue
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    if "postal_code" in fields and fields["postal_code"] != person.postal_code:
        if not person.set_postal_code(fields["postal_code"]):
            raise UnknownZip(fields["postal_code"])
        changed.append("postal_code")
    if changed:
        person.save()
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person,
                     summary="Changed " + ", ".join(changed), request=request)
        person_changed.send(sender=Person, person=person, created=False)
    return person


@transaction.atomic
def add_email(*, actor: User | None, person: Person, address: str, consent_text: str = "",
              source: str = ConsentEvent.Source.STAFF, request: HttpRequest | None = None) -> EmailAddress:
    """Give a person another email address, optionally with their opt-in."""
    hold_contacts([address])
    _check_contacts_free(address, "", among=_sight_of(actor, person), exclude=person)
    if not person.emails.filter(address=address).exists():
        _new_contact("email", person=person, value=address, is_primary=not person.emails.exists(), source=source)
    email = person.emails.get(address=address)
    if consent_text:
        record_consent(person=person, channel="email", address=address, action="opt_in",
                       source=source, text=consent_text, actor=actor)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, summary="Added an email address",
                 request=request)
    person_changed.send(sender=Person, person=person, created=False)
    return email


@transaction.atomic
def add_phone(*, actor: User | None, person: Person, number: str, kind: str = PhoneNumber.Kind.UNKNOWN,
              consent_text: str = "", source: str = ConsentEvent.Source.STAFF,
              request: HttpRequest | None = None) -> PhoneNumber:
    """Give a person another phone number, optionally with their consent to texts."""
    hold_contacts([number])
    _check_contacts_free("", number, among=_sight_of(actor, person), exclude=person)
    if not person.phones.filter(number=number).exists():
        _new_contact("sms", person=person, value=number, is_primary=not person.phones.exists(), kind=kind,
                     source=source)
    phone = person.phones.get(number=number)
    if consent_text:
        record_consent(person=person, channel="sms", address=number, action="opt_in",
                       source=source, text=consent_text, actor=actor)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, summary="Added a phone number",
                 request=request)
    person_changed.send(sender=Person, person=person, created=False)
    return phone


def _sight_of(actor: User | None, person: Person) -> QuerySet[Person]:
    """Where a contact must stay one person's when a staffer adds it: among the records the
    staffer already sees, so the refusal names nothing they could not see anyway."""
    return Person.objects.visible_to(actor) if actor is not None else _reach_of(person)


def _reach_of(person: Person) -> QuerySet[Person]:
    """The records of every group that holds this person (for a write with no staffer)."""
    paths = list(Group.objects.filter(memberships__person=person).values_list("path", flat=True))
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(memberships__group__path__startswith=path)
    return Person.objects.filter(condition).distinct()


def tag_name(typed: str) -> str:
    """A tag's name as typed, made storable: no control characters (a NUL is refused by
    PostgreSQL), runs of any white space as one space, at most 100 characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in str(typed))
    return " ".join(printable.split())[:100].strip()


def group_tag(*, group: Group, name: str) -> tuple[Tag, bool]:
    """The acting group's tag with this name, made on first use: (tag, created). Another
    group's tag of the same name is another tag, and is never reused or revealed."""
    name = tag_name(name)
    if not name:
        raise ValueError("A tag needs a name.")
    return Tag.objects.get_or_create(group=group, name=name)


def add_tag(*, person: Person, group: Group, name: str, actor: User | None = None,
            request: HttpRequest | None = None) -> Tagging | None:
    """Tag a person with the acting group's tag of this name (made if new); twice is once.
    A name that is empty once cleaned tags nothing."""
    if not tag_name(name):
        return None
    tag, _created = group_tag(group=group, name=name)
    return apply_tag(person=person, tag=tag, actor=actor, request=request)


def apply_tag(*, person: Person, tag: Tag, actor: User | None = None, request: HttpRequest | None = None) -> Tagging:
    """Tag a person with a tag the caller has already checked the actor may use; twice is once.
    A staffer's tagging is audited, in the tag's group."""
    tagging, created = Tagging.objects.get_or_create(person=person, tag=tag)
    if created and actor is not None:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, summary=f"Added tag {tag.name}",
                     request=request, group=tag.group)
    return tagging


def add_tag_many(*, people: Iterable[Person], group: Group, names: Iterable[str], actor: User | None = None) -> int:
    """`add_tag` for many people and names at once (a worker settling a batch of forms): the acting
    group's tags of these names (made if new; a name empty once cleaned tags nothing), each person
    tagged once with each (twice is once), a staffer's taggings audited as `apply_tag` audits them.
    A few statements whatever the number of people; runs in the caller's transaction. How many
    taggings were added."""
    cleaned = list(dict.fromkeys(name for name in (tag_name(typed) for typed in names) if name))
    by_id = {person.pk: person for person in people}
    if not cleaned or not by_id:
        return 0
    tags = [group_tag(group=group, name=name)[0] for name in cleaned]
    had = set(Tagging.objects.filter(tag__in=tags, person_id__in=list(by_id)).values_list("person_id", "tag_id"))
    now = timezone.now()
    added = [(person, tag) for tag in tags for person in by_id.values() if (person.pk, tag.pk) not in had]
    bulk.insert_rows(Tagging, ["public_id", "person", "tag", "created_at"],
                     [(uuid.uuid4(), person.pk, tag.pk, now) for person, tag in added])
    if actor is not None and added:
        audit.record_many({"actor": actor, "action": AuditEntry.Action.CHANGE, "target": person,
                           "summary": f"Added tag {tag.name}", "group": group} for person, tag in added)
    return len(added)


def remove_tag(*, person: Person, tag: Tag, actor: User | None = None, request: HttpRequest | None = None) -> bool:
    """Take one tag off a person, audited like adding one; False when they did not have it."""
    removed, _by_model = Tagging.objects.filter(person=person, tag=tag).delete()
    if removed and actor is not None:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, summary=f"Removed tag {tag.name}",
                     request=request, group=tag.group)
    return bool(removed)


@transaction.atomic
def remove_phone(*, person: Person, number: str, group: Group, why: str, actor: User | None = None) -> bool:
    """Take a number off this record alone (a wrong number: it is someone else's, and their own
    records of it keep their consent); the ledger keeps its history. False when it was not on it."""
    phone = person.phones.filter(number=number).first()
    if phone is None:
        return False
    phone.delete()
    if phone.is_primary and (other := person.phones.order_by("pk").first()) is not None:
        PhoneNumber.objects.filter(pk=other.pk).update(is_primary=True)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, group=group,
                 summary=f"Removed a phone number from the record: {why}")
    return True


@transaction.atomic
def set_membership(*, actor: User | None, person: Person, group: Group, status: str,
                   member_number: str = "", request: HttpRequest | None = None) -> Membership:
    """Record a person's standing in a group."""
    membership, _created = Membership.objects.update_or_create(
        person=person, group=group, defaults={"status": status, "member_number": member_number}
    )
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person,
                 summary=f"Membership in {group.name}: {status}", request=request, group=group)
    person_changed.send(sender=Person, person=person, created=False)
    return membership


# Most cautious first: what a merged contact keeps when the two records say different things.
CAUTION: list[str] = [Subscription.BOUNCING, Subscription.UNSUBSCRIBED, Subscription.NO_CONSENT, Subscription.SUBSCRIBED]
# Strongest first: what a merged membership keeps.
STANDING: list[str] = [Membership.Status.MEMBER, Membership.Status.FORMER, Membership.Status.PROSPECT,
                       Membership.Status.SUPPORTER, Membership.Status.NON_MEMBER]


def _merge_keeps_sight(keep: Person, other: Person) -> bool:
    """Does every group holding either record already see both (itself or a group below it holds
    each)? Then the merge shows nobody anything new."""
    paths = {pk: list(Group.objects.filter(memberships__person_id=pk).values_list("path", flat=True))
             for pk in (keep.pk, other.pk)}
    return all(any(held.startswith(path) for held in paths[pk])
               for path in paths[keep.pk] + paths[other.pk] for pk in (keep.pk, other.pk))


@transaction.atomic
def merge_people(*, actor: User | None, keep: Person, other: Person,
                 request: HttpRequest | None = None) -> Person:
    """Fold `other` into `keep`: every email, phone, consent event, tag and membership survives.
    Only records that every group holding either already sees may merge: merging one local's
    record into another's would show each local the other's (a council sees both side by side
    instead; see `PersonQuerySet.same_human_as`)."""
    if keep.pk == other.pk:
        raise ValueError(_("A person cannot be merged with themselves."))
    if not _merge_keeps_sight(keep, other):
        raise ValueError(_("These are two groups' records of one person. Each group keeps its own record; "
                           "merge only duplicates within the same groups."))
    # Lock both rows in a fixed order so two merges of the same pair cannot deadlock.
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[keep.pk, other.pk]).order_by("pk")}
    keep, other = locked[keep.pk], locked[other.pk]
    other_id = str(other.public_id)

    for model, column, status in (EmailAddress, "address", "status"), (PhoneNumber, "number", "sms_status"):
        # A contact both records hold stays once, on `keep`, with the more cautious status: a
        # merge must never restore a consent withdrawn on one of the two.
        kept = dict(model.objects.filter(person=keep).values_list(column, status))
        for pk, value, state in model.objects.filter(person=other).values_list("pk", column, status):
            if value in kept:
                if CAUTION.index(state) < CAUTION.index(kept[value]):
                    model.objects.filter(person=keep, **{column: value}).update(**{status: state})
                model.objects.filter(pk=pk).delete()
        model.objects.filter(person=other).update(person=keep, is_primary=False)
    ConsentEvent.objects.filter(person=other).update(person=keep)
    ContactResult.objects.filter(person=other).update(person=keep)
    for tagging in Tagging.objects.filter(person=other):
        Tagging.objects.get_or_create(person=keep, tag_id=tagging.tag_id)
    kept_groups = {m.group_id: m for m in Membership.objects.filter(person=keep)}
    for membership in Membership.objects.filter(person=other):
        mine = kept_groups.get(membership.group_id)
        if mine is None:
            Membership.objects.filter(pk=membership.pk).update(person=keep)
            continue
        # The stronger standing survives: merging a member's record into a supporter's keeps a member.
        if STANDING.index(membership.status) < STANDING.index(mine.status):
            mine.status = membership.status
        mine.member_number = mine.member_number or membership.member_number
        mine.save(update_fields=["status", "member_number"])
    for name in ["given_name", "family_name", "preferred_name", "language", "address_line1",
                 "address_line2", "locality", "region", "postal_code", "latitude", "longitude", "time_zone"]:
        if not getattr(keep, name) and getattr(other, name):
            setattr(keep, name, getattr(other, name))
    keep.custom_fields = without_dangerous({**other.custom_fields, **keep.custom_fields})
    if keep.created_at > other.created_at:
        keep.created_at = other.created_at
    audit.move_keys(merged=other, into=keep)
    people_merging.send(sender=Person, keep=keep, other=other)
    other.delete()
    keep.save()
    audit.record(actor=actor, action=AuditEntry.Action.MERGE, target=keep,
                 summary=f"Merged {other_id} into this person", detail={"merged": other_id}, request=request)
    person_changed.send(sender=Person, person=keep, created=False)
    return keep


@transaction.atomic
def erase_person(*, actor: User | None, person: Person, request: HttpRequest | None = None) -> None:
    """Delete a person and everything about them; the audit log keeps only the id."""
    from turnout.people.tasks import scrub_after_erasure

    # Each app deletes what no cascade reaches and names the tables it deleted from.
    touched: set[type[models.Model]] = {
        model for _receiver, deleted in person_erasing.send(sender=Person, person=person) for model in cast(list[type[models.Model]], deleted or [])}
    lone_tags = erasure.forget(person)
    # Their opt-outs outlive them, as keyed hashes: the number imported again is not texted.
    suppression.keep_opt_outs(person)
    touched |= erasure.cascade_of(person) | {Tag, ImportJob, SubjectKey}
    keys = audit.keys_of(person)
    subject = keys.order_by("id").values_list("subject", flat=True).first()
    keys.delete()  # every audit entry about them is now unreadable, and their subject id names nobody
    person.delete()
    Tag.objects.filter(pk__in=lone_tags).delete()
    tables = sorted({model._meta.db_table for model in touched})
    transaction.on_commit(lambda: scrub_after_erasure.enqueue(tables=tables, erased_at=timezone.now().isoformat()))
    audit.record_erasure(actor=actor, subject=subject, request=request)


EXPORT_COLUMNS = [
    "id", "first_name", "last_name", "preferred_name", "email", "email_status", "phone", "phone_type",
    "sms_status", "address", "address_2", "city", "state", "zip_code", "country", "time_zone",
    "language", "groups", "membership_statuses", "member_numbers", "tags", "created_at",
]


def custom_field_names(people: QuerySet[Person]) -> list[str]:
    """The custom fields any of these people has, in one query, as the export's columns: those
    Turnout no longer keeps and those named like an export column left out."""
    try:
        sql, params = people.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter that matches no one (`.none()`)
        return []
    table = Person._meta.db_table
    if connection.vendor == "postgresql":
        query = (f"SELECT DISTINCT jsonb_object_keys(custom_fields) FROM {table} "  # noqa: S608
                 f"WHERE id IN ({sql}) AND jsonb_typeof(custom_fields) = 'object' AND custom_fields <> '{{}}'::jsonb")
    else:
        query = (f"SELECT DISTINCT j.key FROM {table} p, json_each(p.custom_fields) j "  # noqa: S608
                 f"WHERE p.id IN ({sql}) AND json_type(p.custom_fields) = 'object' AND p.custom_fields <> '{{}}'")
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        names = {name for (name,) in cursor.fetchall()}
    kept = without_dangerous(dict.fromkeys(names - set(EXPORT_COLUMNS), ""))
    return sorted(kept, key=lambda name: (name.casefold(), name))


def _custom_cell(value: Any) -> Any:
    return "" if value is None else value if isinstance(value, str | int | float) and not isinstance(value, bool) else str(value)


def export_people(*, actor: User | None, people: Any, out: Writable, summary: str,
                  request: HttpRequest | None = None, group: Group | None = None) -> int:
    """Write people as CSV (import-compatible columns, then one column per custom field, so every
    column an import read comes back out) and audit the export."""
    writer = csv_writer(out)
    custom = custom_field_names(people)
    writer.writerow([*EXPORT_COLUMNS, *custom])
    count = 0
    # Only the tags and memberships of the exporter's groups: another group's labels on a shared
    # person, and its hold on them, stay that group's.
    shown_taggings = Tagging.objects.select_related("tag")
    shown_memberships = Membership.objects.select_related("group")
    if actor is not None:
        shown_taggings = shown_taggings.filter(tag__in=Tag.objects.visible_to(actor))
        shown_memberships = shown_memberships.visible_to(actor)
    people = people.prefetch_related("emails", "phones", Prefetch("taggings", queryset=shown_taggings),
                                     Prefetch("memberships", queryset=shown_memberships)).order_by("pk")
    for person in people.iterator(chunk_size=2000):
        emails = list(person.emails.all())
        phones = list(person.phones.all())
        memberships = list(person.memberships.all())
        writer.writerow([
            person.public_id, person.given_name, person.family_name, person.preferred_name,
            emails[0].address if emails else "", emails[0].status if emails else "",
            format_phone(phones[0].number) if phones else "", phones[0].kind if phones else "",
            phones[0].sms_status if phones else "",
            person.address_line1, person.address_line2, person.locality, person.region,
            person.postal_code, person.country, person.time_zone, person.language,
            ";".join(m.group.slug for m in memberships),
            ";".join(m.status for m in memberships),
            ";".join(m.member_number for m in memberships if m.member_number),
            ";".join(sorted(t.tag.name for t in person.taggings.all())),
            person.created_at.isoformat(),
            *(_custom_cell((person.custom_fields or {}).get(name)) for name in custom),
        ])
        count += 1
    audit.record(actor=actor, action=AuditEntry.Action.EXPORT, summary=f"Exported {count} people: {summary}",
                 detail={"count": count}, request=request, group=group)
    return count


def people_filter(people: Any, *, q: str = "", tag: QuerySet[Tag] | None = None, group: Group | None = None,
                  status: str = "", near: tuple[float, float] | None = None, miles: float = 0,
                  person_list: PersonList | None = None, reader_groups: QuerySet[Group] | None = None) -> Any:
    """Narrow a visible queryset by the console's filters; `tag` is the tags (already limited to
    the reader's groups) whose name was asked for, as PeopleFilterForm cleans it. A membership
    status is read in the group filtered on, else in `reader_groups` (the reader's groups)."""
    if person_list is not None:
        people = people.filter(list_items__person_list=person_list)
    if q:
        people = people.search(q)
    if tag is not None:
        people = people.tagged(tag)
    if group is not None:
        people = people.in_group(group)
    if status:
        groups = (Group.objects.filter(path__startswith=group.path) if group is not None
                  else reader_groups if reader_groups is not None else Group.objects.all())
        people = people.with_membership_status(status, groups)
    if near is not None and miles:
        people = people.near(near[0], near[1], miles=miles)
    return people


@dataclass
class ContactChoice:
    """An address or number from a signup, with the status the sender gave (None: not given)."""

    value: str
    status: str | None = None  # "opt_in", "opt_out" or None
    kind: str = PhoneNumber.Kind.UNKNOWN


# The namespace of Turnout's advisory locks on contacts (the first of pg_advisory_xact_lock's two keys).
CONTACT_LOCKS = 2201


CONTACT_BUCKETS = 1024


def hold_contacts(values: Iterable[str]) -> None:
    """Two sign-ups of one address at once (a double click) must find one record, not make two.
    No unique index can say "one record per address among a group's people", so on PostgreSQL
    each address is locked for the transaction (sorted, so two sign-ups never wait on each other
    in a cycle). SQLite lets one writer in at a time, and a sign-up that read before another's
    write fails and is tried again by its caller."""
    values = sorted(set(values))
    if connection.vendor != "postgresql" or not values:
        return
    # Addresses share 1,024 locks (an import's chunk takes each at most once, well inside the
    # server's lock table), taken in one statement in a fixed order.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, b) FROM (SELECT DISTINCT abs(hashtext(v)) %% %s AS b "
                       "FROM unnest(%s::text[]) AS v) AS buckets ORDER BY b",
                       [CONTACT_LOCKS, CONTACT_BUCKETS, values])


def default_standing(source: str) -> str:
    """The membership a new sign-up gets when its door does not say: someone who filled in a
    public form, or whom another system sent through the API, is a supporter; staff and an import
    say who is a member (the API's body may too)."""
    if source in (ConsentEvent.Source.FORM, ConsentEvent.Source.API):
        return Membership.Status.SUPPORTER
    return Membership.Status.MEMBER


def changes_for(current: dict[str, Any], sent: dict[str, Any], *, overwrite: bool) -> dict[str, Any]:
    """Which of the sent values a submission writes on a record it matched: every value sent,
    when staff, an import or the API act for the group (`overwrite`); only blanks filled, when the
    submission came from a public form (anyone who knows an email may type it)."""
    return {name: value for name, value in sent.items()
            if value not in ("", None) and current.get(name) != value and (overwrite or not current.get(name))}


@transaction.atomic
def signup_person(
    *,
    actor: User | None,
    group: Group,
    fields: dict[str, Any],
    emails: Iterable[ContactChoice] = (),
    phones: Iterable[ContactChoice] = (),
    custom_fields: dict[str, Any] | None = None,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    source: str = ConsentEvent.Source.API,
    source_detail: str = "",
    consent_text: str = "",
    person: Person | None = None,
    membership: str | None = None,
    change_membership: bool = False,
) -> tuple[Person, bool]:
    """The one rule for what a submission may do to a person: which record it names, what it may
    fill or change, which consents it may record. Every door calls it. (person, created)

    The record is found by email, then phone, only among the group's own records (`in_reach`);
    otherwise a new record is made in the group: knowing an address never reaches, changes or
    reveals another group's record. Staff, imports and the API (`actor` given) change what they
    send; a public form only fills blanks. A new email is subscribed unless its status says
    otherwise; a phone is opted in only with an explicit status. Consent goes through
    `record_consent`: an opt-out holds for every record of the address, a withdrawn consent comes
    back only by the person's own act. A new membership is `membership`, else the door's default
    (`default_standing`); an existing one changes only when staff say so (`change_membership`):
    making someone a host or putting them on a roster never demotes a member. Pass `person` to
    apply the same rules to someone already chosen.
    """
    emails, phones = list(emails), list(phones)
    chosen = person is not None
    overwrite = actor is not None
    hold_contacts([c.value for c in emails] + [c.value for c in phones])
    if person is None:
        reach = in_reach(group)
        found = next((p for c in emails for p in [reach.filter(emails__address=c.value).first()] if p), None)
        if found is None:
            found = next((p for c in phones for p in [reach.filter(phones__number=c.value).first()] if p), None)
        person = found
    created = person is None
    if person is None:
        person = Person(**{k: v for k, v in fields.items() if k != "postal_code"})
        if not person.set_postal_code(fields.get("postal_code", "")):
            raise UnknownZip(fields.get("postal_code", ""))
        person.save()
    else:
        person = Person.objects.select_for_update().get(pk=person.pk)
        current = {name: getattr(person, name) for name in fields}
        for name, value in changes_for(current, fields, overwrite=overwrite).items():
            if name == "postal_code":
                if not person.set_postal_code(value):
                    raise UnknownZip(value)
            else:
                setattr(person, name, value)
    if custom_fields:
        # Not kept, whichever door sent them (the door tells the sender: core.dangerous); what an
        # earlier door kept of them goes as the fields are written.
        custom_fields = without_dangerous(custom_fields)
        custom_fields = {**custom_fields} if overwrite else {
            k: v for k, v in custom_fields.items() if k not in person.custom_fields}
        merged = without_dangerous({**person.custom_fields, **custom_fields})
        person.custom_fields = {k: v for k, v in merged.items() if v is not None}
    if not created or custom_fields:
        person.save()  # a signup is activity: the modified date moves even when nothing else did

    def consent(channel: str, address: str, action: str) -> None:
        record_consent(person=person, channel=channel, address=address, action=action, source=source,
                       source_detail=source_detail, text=consent_text, actor=actor)

    # Another of the acting group's own records holding a contact keeps it (same contact, same
    # person); what other groups hold is neither asked nor told.
    others = None if created else in_reach(group).exclude(pk=person.pk)
    mine_emails = {} if created else dict(person.emails.values_list("address", "status"))
    mine_phones = {} if created else dict(person.phones.values_list("number", "sms_status"))
    for choice in emails:
        if choice.value in mine_emails:
            if choice.status and mine_emails[choice.value] != _status_for(choice.status):
                consent("email", choice.value, choice.status)
            continue
        if others is not None and others.filter(emails__address=choice.value).exists():
            continue
        elsewhere = _new_contact("email", person=person, value=choice.value, is_primary=not mine_emails,
                                 source=source)
        mine_emails[choice.value] = ""
        if choice.status or not elsewhere:
            # Giving an address is taken as a yes to email, but not over an opt-out on record:
            # only an explicit new opt-in of the person's own restores that.
            consent("email", choice.value, choice.status or ConsentEvent.Action.OPT_IN)
    for choice in phones:
        if choice.value in mine_phones:
            if choice.status and mine_phones[choice.value] != _status_for(choice.status):
                consent("sms", choice.value, choice.status)
            continue
        if others is not None and others.filter(phones__number=choice.value).exists():
            continue
        _new_contact("sms", person=person, value=choice.value, is_primary=not mine_phones, kind=choice.kind,
                     source=source)
        mine_phones[choice.value] = ""
        if choice.status:
            consent("sms", choice.value, choice.status)
    if not chosen:
        held = Membership.objects.filter(person=person, group=group).first()
        if held is None:
            earlier = [] if created else list(Group.objects.filter(memberships__person=person,
                                                                   path__startswith=group.path))
            Membership.objects.create(person=person, group=group, status=membership or default_standing(source))
            # A group above that signs up one of its groups' people: those groups hear of it.
            for other in earlier:
                audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, group=other,
                             summary=f"Signed up with {group.name}, which holds {other.name}")
        elif change_membership and membership and actor is not None and held.status != membership:
            audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, group=group,
                         summary=f"Membership in {group.name}: {held.status} → {membership}")
            held.status = membership
            held.save(update_fields=["status"])
    # One audit entry names the whole signup, tags included, rather than one per tag. Tags are
    # the acting group's: added there, and removed only among what it may see (itself and below).
    added = list(add_tags)
    for name in added:
        add_tag(person=person, group=group, name=name)
    removed = [name for name in (remove_tags if overwrite else ()) if _untag_named(person, group, name)]
    summary = f"Signed up through the {source}" + (f" ({source_detail})" if source_detail else "")
    if added or removed:
        summary += "; tags" + "".join(f" +{n}" for n in added) + "".join(f" -{n}" for n in removed)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.CHANGE,
                 target=person, summary=summary, group=group)
    person_changed.send(sender=Person, person=person, created=created)
    return person, created


def _untag_named(person: Person, group: Group, name: str) -> bool:
    """Take off the tags of this name that the acting group may see (its own and those below)."""
    tags = Tag.objects.in_group(group).filter(name=name.strip())
    removed, _by_model = Tagging.objects.filter(person=person, tag__in=tags).delete()
    return bool(removed)


def _status_for(action: str) -> str:
    return Subscription.SUBSCRIBED if action == ConsentEvent.Action.OPT_IN else Subscription.UNSUBSCRIBED


@transaction.atomic
def save_list(*, actor: User, group: Group, name: str, people: Any, description: str = "") -> PersonList:
    """Save a fixed list of people (a queryset) in a group, in one set-based insert."""
    person_list = PersonList.objects.create(group=group, name=name, description=description, created_by=actor)
    ids = list(people.order_by().values_list("pk", flat=True).distinct())
    ListItem.objects.bulk_create([ListItem(person_list=person_list, person_id=pk) for pk in ids], batch_size=2000)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=person_list,
                 summary=f"Saved list “{name}” of {len(ids)} people", group=group)
    return person_list
