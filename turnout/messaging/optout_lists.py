"""Opt-out lists for the whole organization: staff upload numbers that must never be texted
(another tool's opt-outs, a carrier's list), download the organization's opt-outs, and undo an
upload made in error, each act on the audit log.

An uploaded number held by records is opted out on every one of them, as a STOP is; one held by
no record goes on the suppression list as a keyed hash (`people.suppression`), so the number
imported or signed up later starts opted out. Undoing an upload gives back only what it took:
records that had consent and whose latest word is still the upload's opt-out are subscribed
again, and the hashes it added come off the list."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, Role, User
from turnout.core import audit
from turnout.core.exports import csv_writer
from turnout.core.models import AuditEntry
from turnout.messaging import optouts
from turnout.messaging.models import OptOutList, OptOutListEntry
from turnout.people import suppression
from turnout.people.contact import InvalidContact, format_phone, normalize_phone
from turnout.people.models import ConsentEvent, Person, PhoneNumber, Subscription
from turnout.people.services import undo_staff_opt_outs

MAX_NUMBERS = 50_000
PHONE_HEADERS = ("phone", "number", "phone_number", "mobile", "cell", "telefono", "teléfono")


class OptOutListError(ValueError):
    """The file cannot be read as an opt-out list; the message says how to fix it."""


def read_numbers(text: str) -> tuple[list[str], list[tuple[int, str]]]:
    """The numbers in a CSV with a phone column (or one number per line): (E.164 numbers, each
    once; [(line, why)] for lines that are not numbers)."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error:
        raise OptOutListError(_("The file is not a CSV that can be read. Give one number per line, or a CSV with "
                                "a “phone” column.")) from None
    if not rows:
        raise OptOutListError(_("The file is empty. Give one number per line, or a CSV with a “phone” column."))
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in PHONE_HEADERS if name in header), None)
    start = 1 if column is not None else 0
    column = column or 0
    found: dict[str, None] = {}
    refused: list[tuple[int, str]] = []
    for line, row in enumerate(rows[start:], start=start + 1):
        value = row[column].strip() if len(row) > column else ""
        if not value:
            continue
        try:
            number, _kind = normalize_phone(value)
        except InvalidContact:
            refused.append((line, _("not a phone number")))  # what was there is not kept: it may be a name
            continue
        found[number] = None
    if len(found) > MAX_NUMBERS:
        raise OptOutListError(_("A list holds at most %(n)s numbers; split the file.") % {"n": f"{MAX_NUMBERS:,}"})
    if not found:
        raise OptOutListError(_("No phone numbers found. Give one number per line, or a CSV with a “phone” column."))
    return list(found), refused


@transaction.atomic
def upload(*, actor: User, group: Group, name: str, text: str) -> OptOutList:
    numbers, refused = read_numbers(text)
    made = OptOutList.objects.create(group=group, name=name[:200] or "opt-out list", created_by=actor,
                                     numbers=len(numbers), refused=[list(item) for item in refused[:200]])
    detail = f"opt-out list {made.public_id}"
    held = dict(PhoneNumber.objects.filter(number__in=numbers).values_list("number", "sms_status"))
    consenting = {(pk, number) for pk, number in PhoneNumber.objects.filter(
        number__in=numbers, sms_status=Subscription.SUBSCRIBED).values_list("person_id", "number")}
    # The ledger entries this upload writes: every record of each number gets one, opted out before
    # or not (`again`), so that undoing another upload never lifts this one's opt-out. They are the
    # entries written after this watermark, for these numbers, by staff: each number's records are
    # locked while theirs are written.
    watermark = ConsentEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for number in held:
        optouts.opt_out(channel="sms", address=number, source=ConsentEvent.Source.STAFF, detail=detail,
                        why="opted out", text=f"On the opt-out list “{made.name}” uploaded by {actor.email}",
                        again=True)
    events = [event for event in ConsentEvent.objects.filter(
        pk__gt=watermark, channel="sms", address__in=list(held), action=ConsentEvent.Action.OPT_OUT,
        source=ConsentEvent.Source.STAFF).order_by("pk") if (event.person_id, event.address) in consenting]
    unknown = [n for n in numbers if n not in held]
    new = set(suppression.add(channel="sms", addresses=unknown))
    OptOutListEntry.objects.bulk_create(
        [OptOutListEntry(upload=made, event=event) for event in events]
        + [OptOutListEntry(upload=made, digest=digest, added=digest in new)
           for digest in suppression.digests(channel="sms", addresses=unknown)])
    made.on_records, made.stopped = len(held), len(events)
    made.save(update_fields=["on_records", "stopped"])
    audit.record(actor=actor, action=AuditEntry.Action.IMPORT, target=made, group=group,
                 summary=f"Uploaded the opt-out list {made.name}: {len(numbers)} numbers, {len(held)} on records, "
                         f"{len(events)} records that had consent opted out, {len(new)} added to the "
                         "suppression list")
    return made


@transaction.atomic
def undo(*, actor: User, made: OptOutList) -> int:
    """Give back what the upload took; how many records were subscribed again."""
    made = OptOutList.objects.select_for_update().get(pk=made.pk)
    if made.undone_at is not None:
        raise OptOutListError(_("This list was undone already."))
    entries = list(made.entries.select_related("event"))
    restored = undo_staff_opt_outs(events=[e.event for e in entries if e.event is not None],
                                   detail=f"undo of opt-out list {made.public_id}", actor=actor)
    # A number comes off the suppression list only if an upload put it there (not an erasure) and
    # no other upload still standing holds it.
    mine = {e.digest for e in entries if e.digest}
    others = set(OptOutListEntry.objects.filter(digest__in=list(mine), upload__undone_at__isnull=True)
                 .exclude(upload=made).values_list("digest", flat=True))
    uploaded = set(OptOutListEntry.objects.filter(digest__in=list(mine - others), added=True)
                   .values_list("digest", flat=True))
    lifted = suppression.lift(uploaded)
    made.undone_at, made.undone_by = timezone.now(), actor
    made.save(update_fields=["undone_at", "undone_by"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=made, group=made.group,
                 summary=f"Undid the opt-out list {made.name}: {restored} records subscribed again, {lifted} "
                         "numbers taken off the suppression list")
    return restored


def export(*, actor: User, out: Any) -> int:
    """The opted-out numbers of every person the user may message: phone, when, and how. Audited."""
    people = Person.objects.visible_to(actor, Role.ORGANIZER)
    latest = ConsentEvent.objects.filter(person_id=OuterRef("person_id"), channel="sms", address=OuterRef("number"),
                                         action=ConsentEvent.Action.OPT_OUT).order_by("-occurred_at", "-pk")
    rows = (PhoneNumber.objects.filter(person__in=people, sms_status=Subscription.UNSUBSCRIBED)
            .values("number").annotate(at=Max(Subquery(latest.values("occurred_at")[:1])),
                                       source=Max(Subquery(latest.values("source")[:1])))
            .order_by("number"))
    writer = csv_writer(out)
    writer.writerow(["phone", "opted_out_at", "how"])
    count = 0
    for row in rows.iterator(chunk_size=2000):
        writer.writerow([format_phone(row["number"]), row["at"].isoformat() if row["at"] else "", row["source"] or ""])
        count += 1
    audit.record(actor=actor, action=AuditEntry.Action.EXPORT, summary=f"Downloaded the opt-out list: {count} numbers")
    return count
