"""Every write to people goes through here: views, commands, tasks and the API alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, Role, User
from turnout.core import audit
from turnout.core.exports import csv_writer
from turnout.core.models import AuditEntry
from turnout.people.contact import format_phone
from turnout.people.models import (
    ConsentEvent,
    EmailAddress,
    ListItem,
    Membership,
    Person,
    PersonList,
    PhoneNumber,
    Subscription,
    Tag,
    Tagging,
)
from turnout.people.signals import person_changed


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


class ContactInUse(ValueError):
    """The email or phone already belongs to another person (same contact, same person)."""

    def __init__(self, field: str, person: Person) -> None:
        super().__init__(field)
        self.field = field
        self.person = person


class UnknownZip(ValueError):
    """A US ZIP code that is not in the packaged ZIP data."""


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
) -> ConsentEvent:
    """Append an opt-in or opt-out to the ledger and refresh the derived status."""
    event = ConsentEvent.objects.create(
        person=person,
        channel=channel,
        address=address,
        action=action,
        source=source,
        source_detail=source_detail[:200],
        consent_text=text,
        occurred_at=occurred_at or timezone.now(),
        recorded_by=actor,
    )
    apply_consent_status(channel=channel, addresses=[address], action=action)
    return event


def apply_consent_status(*, channel: str, addresses: list[str], action: str) -> None:
    """Set the status derived from the ledger's latest entry for these addresses (one query)."""
    status = Subscription.SUBSCRIBED if action == ConsentEvent.Action.OPT_IN else Subscription.UNSUBSCRIBED
    if channel == ConsentEvent.Channel.EMAIL:
        EmailAddress.objects.filter(address__in=addresses).update(status=status)
    else:
        PhoneNumber.objects.filter(number__in=addresses).update(sms_status=status)


def _check_contacts_free(email: str, phone: str, exclude: Person | None = None) -> None:
    if email:
        found = EmailAddress.objects.filter(address=email).select_related("person").first()
        if found and found.person != exclude:
            raise ContactInUse("email", found.person)
    if phone:
        found_phone = PhoneNumber.objects.filter(number=phone).select_related("person").first()
        if found_phone and found_phone.person != exclude:
            raise ContactInUse("phone", found_phone.person)


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
    """Add one person to a group, refusing an email or phone that is someone else's."""
    _check_contacts_free(email, phone)
    person = Person(**{k: v for k, v in fields.items() if k != "postal_code"})
    if not person.set_postal_code(fields.get("postal_code", "")):
        raise UnknownZip(fields.get("postal_code", ""))
    person.save()
    source = ConsentEvent.Source.STAFF
    if email:
        EmailAddress.objects.create(person=person, address=email, is_primary=True)
        if email_consent_text:
            record_consent(person=person, channel="email", address=email, action="opt_in",
                           source=source, text=email_consent_text, actor=actor)
    if phone:
        PhoneNumber.objects.create(person=person, number=phone, kind=phone_kind, is_primary=True)
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
    for name, value in fields.items():
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
    _check_contacts_free(address, "", exclude=person)
    email, _created = EmailAddress.objects.get_or_create(
        address=address, defaults={"person": person, "is_primary": not person.emails.exists()}
    )
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
    _check_contacts_free("", number, exclude=person)
    phone, _created = PhoneNumber.objects.get_or_create(
        number=number, defaults={"person": person, "kind": kind, "is_primary": not person.phones.exists()}
    )
    if consent_text:
        record_consent(person=person, channel="sms", address=number, action="opt_in",
                       source=source, text=consent_text, actor=actor)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, summary="Added a phone number",
                 request=request)
    person_changed.send(sender=Person, person=person, created=False)
    return phone


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


def remove_tag(*, person: Person, tag: Tag, actor: User | None = None, request: HttpRequest | None = None) -> bool:
    """Take one tag off a person, audited like adding one; False when they did not have it."""
    removed, _by_model = Tagging.objects.filter(person=person, tag=tag).delete()
    if removed and actor is not None:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, summary=f"Removed tag {tag.name}",
                     request=request, group=tag.group)
    return bool(removed)


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


@transaction.atomic
def merge_people(*, actor: User | None, keep: Person, other: Person,
                 request: HttpRequest | None = None) -> Person:
    """Fold `other` into `keep`: every email, phone, consent event, tag and membership survives."""
    if keep.pk == other.pk:
        raise ValueError(_("A person cannot be merged with themselves."))
    # Lock both rows in a fixed order so two merges of the same pair cannot deadlock.
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[keep.pk, other.pk]).order_by("pk")}
    keep, other = locked[keep.pk], locked[other.pk]
    other_id = str(other.public_id)

    EmailAddress.objects.filter(person=other).update(person=keep, is_primary=False)
    PhoneNumber.objects.filter(person=other).update(person=keep, is_primary=False)
    ConsentEvent.objects.filter(person=other).update(person=keep)
    for tagging in Tagging.objects.filter(person=other):
        Tagging.objects.get_or_create(person=keep, tag_id=tagging.tag_id)
    kept_groups = {m.group_id: m for m in Membership.objects.filter(person=keep)}
    for membership in Membership.objects.filter(person=other):
        mine = kept_groups.get(membership.group_id)
        if mine is None:
            Membership.objects.filter(pk=membership.pk).update(person=keep)
        elif not mine.member_number and membership.member_number:
            mine.member_number = membership.member_number
            mine.save(update_fields=["member_number"])
    for name in ["given_name", "family_name", "preferred_name", "language", "address_line1",
                 "address_line2", "locality", "region", "postal_code", "latitude", "longitude", "time_zone"]:
        if not getattr(keep, name) and getattr(other, name):
            setattr(keep, name, getattr(other, name))
    keep.custom_fields = {**other.custom_fields, **keep.custom_fields}
    if keep.created_at > other.created_at:
        keep.created_at = other.created_at
    other.delete()
    keep.save()
    audit.record(actor=actor, action=AuditEntry.Action.MERGE, target=keep,
                 summary=f"Merged {other_id} into this person", detail={"merged": other_id}, request=request)
    person_changed.send(sender=Person, person=keep, created=False)
    return keep


@transaction.atomic
def erase_person(*, actor: User | None, person: Person, request: HttpRequest | None = None) -> None:
    """Delete a person and everything about them; the audit log keeps only the id."""
    person_id = str(person.public_id)
    person.delete()
    audit.record(actor=actor, action=AuditEntry.Action.ERASE, summary="Erased a person at their request",
                 detail={"person": person_id}, request=request)


EXPORT_COLUMNS = [
    "id", "first_name", "last_name", "preferred_name", "email", "email_status", "phone", "phone_type",
    "sms_status", "address", "address_2", "city", "state", "zip_code", "country", "time_zone",
    "language", "groups", "membership_statuses", "member_numbers", "tags", "created_at",
]


def export_people(*, actor: User | None, people: Any, out: Writable, summary: str,
                  request: HttpRequest | None = None, group: Group | None = None) -> int:
    """Write people as CSV (import-compatible columns) and audit the export."""
    writer = csv_writer(out)
    writer.writerow(EXPORT_COLUMNS)
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
        ])
        count += 1
    audit.record(actor=actor, action=AuditEntry.Action.EXPORT, summary=f"Exported {count} people: {summary}",
                 detail={"count": count}, request=request, group=group)
    return count


def people_filter(people: Any, *, q: str = "", tag: QuerySet[Tag] | None = None, group: Group | None = None,
                  status: str = "", near: tuple[float, float] | None = None, miles: float = 0,
                  person_list: PersonList | None = None) -> Any:
    """Narrow a visible queryset by the console's filters; `tag` is the tags (already limited to
    the reader's groups) whose name was asked for, as PeopleFilterForm cleans it."""
    if person_list is not None:
        people = people.filter(list_items__person_list=person_list)
    if q:
        people = people.search(q)
    if tag is not None:
        people = people.tagged(tag)
    if group is not None:
        people = people.in_group(group)
    if status:
        people = people.with_membership_status(status)
    if near is not None and miles:
        people = people.near(near[0], near[1], miles=miles)
    return people


@dataclass
class ContactChoice:
    """An address or number from a signup, with the status the sender gave (None: not given)."""

    value: str
    status: str | None = None  # "opt_in", "opt_out" or None
    kind: str = PhoneNumber.Kind.UNKNOWN


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
) -> tuple[Person, bool]:
    """Find a person by email, then phone, or add them; apply what they sent. (person, created)

    A new email is subscribed unless its status says otherwise; an existing one changes
    only when a status is given. A phone is opted in to texts only with an explicit
    status: consent to texts must be given, never assumed. Someone the actor could not
    already change only gains: blanks filled, contacts added, opt-outs honoured; an opt-in
    they withdrew elsewhere is not restored by another group. Pass `person` to apply the
    same rules to someone already chosen.
    """
    emails, phones = list(emails), list(phones)
    # Every address and number sent, looked up once: for matching and for adding.
    known_emails = {e.address: e for e in EmailAddress.objects.filter(address__in=[c.value for c in emails])}
    known_phones = {p.number: p for p in PhoneNumber.objects.filter(number__in=[c.value for c in phones])}
    chosen = person is not None
    if person is None:
        found = next((known_emails[c.value] for c in emails if c.value in known_emails), None) or next(
            (known_phones[c.value] for c in phones if c.value in known_phones), None)
        person = found.person if found else None
    created = person is None
    owned = True
    if person is None:
        person = Person(**{k: v for k, v in fields.items() if k != "postal_code"})
        if not person.set_postal_code(fields.get("postal_code", "")):
            raise UnknownZip(fields.get("postal_code", ""))
        person.save()
    else:
        person = Person.objects.select_for_update().get(pk=person.pk)
        # Someone already known to groups where the actor holds no organizer role joins the
        # actor's group, but what those groups recorded is not overwritten: the signup only
        # fills blanks. (A group must not be able to rename or move another group's member.)
        owned = actor is None or Person.objects.visible_to(actor, Role.ORGANIZER).filter(pk=person.pk).exists()
        for name, value in fields.items():
            if name != "postal_code" and value not in ("", None) and (owned or not getattr(person, name)):
                setattr(person, name, value)
        new_zip = fields.get("postal_code")
        if (new_zip and new_zip != person.postal_code and (owned or not person.postal_code)
                and not person.set_postal_code(new_zip)):
            raise UnknownZip(new_zip)
        if not owned and custom_fields:
            custom_fields = {k: v for k, v in custom_fields.items() if k not in person.custom_fields}
    if custom_fields:
        merged = {**person.custom_fields, **custom_fields}
        person.custom_fields = {k: v for k, v in merged.items() if v is not None}
    if not created or custom_fields:
        person.save()  # a signup is activity: the modified date moves even when nothing else did

    def consent(channel: str, address: str, action: str) -> None:
        record_consent(person=person, channel=channel, address=address, action=action, source=source,
                       source_detail=source_detail, text=consent_text, actor=actor)

    # A new person has no addresses, numbers or memberships yet: no need to ask.
    has_email, has_phone = (False, False) if created else (None, None)
    for choice in emails:
        existing = known_emails.get(choice.value)
        if existing is None:
            if has_email is None:
                has_email = person.emails.exists()
            EmailAddress.objects.create(person=person, address=choice.value, is_primary=not has_email)
            has_email = True
            consent("email", choice.value, choice.status or ConsentEvent.Action.OPT_IN)
        elif (existing.person_id == person.pk and choice.status and existing.status != _status_for(choice.status)
              and (owned or choice.status == ConsentEvent.Action.OPT_OUT)):
            consent("email", choice.value, choice.status)
    for choice in phones:
        existing_phone = known_phones.get(choice.value)
        if existing_phone is None:
            if has_phone is None:
                has_phone = person.phones.exists()
            PhoneNumber.objects.create(person=person, number=choice.value, kind=choice.kind,
                                       is_primary=not has_phone)
            has_phone = True
            if choice.status:
                consent("sms", choice.value, choice.status)
        elif (existing_phone.person_id == person.pk and choice.status
              and existing_phone.sms_status != _status_for(choice.status)
              and (owned or choice.status == ConsentEvent.Action.OPT_OUT)):
            consent("sms", choice.value, choice.status)
        # A number that is someone else's stays theirs: same contact, same person.
    if not chosen and (created or not Membership.objects.filter(person=person, group=group).exists()):
        earlier = [] if created else list(Group.objects.filter(memberships__person=person))
        Membership.objects.create(person=person, group=group)  # they signed up with this group
        if not owned:
            # The groups that already had this person hear that another group now sees them.
            for other in earlier:
                audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=person, group=other,
                             summary=f"Joined {group.name} by a signup there; {group.name} can now see this person")
    # One audit entry names the whole signup, tags included, rather than one per tag. Tags are
    # the acting group's: added there, and removed only among what it may see (itself and below).
    added = list(add_tags)
    for name in added:
        add_tag(person=person, group=group, name=name)
    removed = [name for name in (remove_tags if owned else ()) if _untag_named(person, group, name)]
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
