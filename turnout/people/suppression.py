"""The suppression list: an opt-out outlives the erasure of the records that held it.

Erasing a person deletes their numbers, addresses and consent ledger; without more, the same
number imported again, or sent by the API, would be texted although it once said STOP. So when
an erased record held an address that was opted out, the address is kept, but only as an HMAC of
its normalized form under a random key (`SuppressionKey`) that is itself sealed with Turnout's
keys: whoever has the database alone cannot test a number against the list (ten digits would
otherwise fall to a brute-force search), and nothing in it reads as an address.

The list is read where a record gains an address (`services.standing`, the importer's chunk):
a suppressed address starts unsubscribed, exactly as it would beside a live record that opted
out. Every door that sends (the outbox, answers, activations, `messaging.optouts.sendable`) then
sees an unsubscribed contact through the indexed status it already filters on; nothing is hashed
at send time. A consent only the person can give (the text box ticked on a public form, START)
subscribes that record again, as over any opt-out, and the audit log says so; the entry stays,
so other groups' new records of the address still start opted out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from turnout.core import audit, bulk
from turnout.core.models import AuditEntry
from turnout.people.models import ConsentEvent, Person, Subscription, Suppression, SuppressionKey

# The ledger's words on a new record of an address on the list.
KEPT = ("Opted out before the records holding it were erased (kept on the suppression list); an opt-out "
        "holds for every record.")


def _key_query() -> QuerySet[SuppressionKey, tuple[Any, ...]]:
    return SuppressionKey.objects.order_by("pk").values_list("key")[:1]


def _stored_key() -> str | None:
    """The list's key as stored, unsealed. Every batch of a crowd's sign-ups looks, so the look is
    compiled once (`bulk.fixed_rows`)."""
    rows = bulk.fixed_rows(_key_query)
    field = SuppressionKey._meta.get_field("key")
    return field.from_db_value(rows[0][0], None, connection) if rows else None  # type: ignore[union-attr]


def _key(*, create: bool = False) -> bytes | None:
    """The list's HMAC key; None while the list has never held an entry (and `create` is False)."""
    stored = _stored_key()
    if stored is None and create:
        try:
            with transaction.atomic():
                SuppressionKey.objects.create(key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        except IntegrityError:
            pass  # another erasure made it first: use that one
        stored = _stored_key()
    return None if stored is None else base64.urlsafe_b64decode(stored)


def _digest(key: bytes, channel: str, address: str) -> str:
    return hmac.digest(key, f"{channel}\x00{address}".encode(), hashlib.sha256).hex()


def suppressed(*, channel: str, addresses: Iterable[str]) -> dict[str, datetime]:
    """Which of these normalized addresses are on the suppression list, and when each opted out:
    one indexed query, and none at all (nor any hashing) while the list has never held an entry."""
    addresses = set(addresses)
    if not addresses:
        return {}
    key = _key()
    if key is None:
        return {}
    by_digest = {_digest(key, channel, address): address for address in addresses}
    found = Suppression.objects.filter(digest__in=list(by_digest)).values_list("digest", "opted_out_at")
    return {by_digest[digest]: at for digest, at in found}


def ledger_entry(*, person_id: int, channel: str, address: str, at: datetime, source: str) -> ConsentEvent:
    """The opt-out a new record of a suppressed address starts with, dated when the address opted
    out: it says why the record is unsubscribed, and lets a later consent of the person's own
    count as newer (`messaging.optouts.sendable`)."""
    return ConsentEvent(person_id=person_id, channel=channel, address=address, action=ConsentEvent.Action.OPT_OUT,
                        source=source, consent_text=KEPT, occurred_at=at)


def keep_opt_outs(person: Person) -> int:
    """Before a person is erased: each of their addresses that is opted out joins the list (its
    hash, its channel and when it opted out); how many. Opted out: unsubscribed, or whose latest
    ledger entry is an opt-out (an address that bounced keeps saying so after an unsubscribe). A
    person with no opt-out leaves nothing."""
    from turnout.people.services import contact_model

    entries: list[tuple[str, str, datetime]] = []
    for channel in (ConsentEvent.Channel.EMAIL, ConsentEvent.Channel.SMS):
        model, column, status_column = contact_model(channel)
        stopped = set(model.objects.filter(person=person, **{status_column: Subscription.UNSUBSCRIBED})
                      .values_list(column, flat=True))
        latest: dict[str, tuple[str, datetime]] = {}
        held = set(model.objects.filter(person=person).values_list(column, flat=True))
        for address, action, at in (ConsentEvent.objects.filter(person=person, channel=channel, address__in=held)
                                     .order_by("occurred_at", "id").values_list("address", "action", "occurred_at")):
            latest[address] = (action, at)
        stopped |= {address for address, (action, _at) in latest.items() if action == ConsentEvent.Action.OPT_OUT}
        for address in sorted(stopped):
            action, at = latest.get(address, ("", timezone.now()))
            if action != ConsentEvent.Action.OPT_OUT:  # unsubscribed by an earlier version, with no entry
                at = timezone.now()
            entries.append((str(channel), address, at))
    if not entries:
        return 0
    key = _key(create=True)
    assert key is not None
    Suppression.objects.bulk_create(
        [Suppression(digest=_digest(key, channel, address), channel=channel, opted_out_at=at)
         for channel, address, at in entries], ignore_conflicts=True)
    return len(entries)


def add(*, channel: str, addresses: Iterable[str]) -> list[str]:
    """Put addresses no record holds on the list (an opt-out list uploaded by staff), opted out now;
    the digests of those that were not on it already, so that the upload can be undone (`lift`)."""
    addresses = sorted(set(addresses))
    if not addresses:
        return []
    key = _key(create=True)
    assert key is not None
    digests = {_digest(key, channel, address) for address in addresses}
    there = set(Suppression.objects.filter(digest__in=list(digests)).values_list("digest", flat=True))
    new = sorted(digests - there)
    Suppression.objects.bulk_create([Suppression(digest=digest, channel=channel, opted_out_at=timezone.now())
                                     for digest in new], ignore_conflicts=True)
    return new


def digests(*, channel: str, addresses: Iterable[str]) -> list[str]:
    """The list's digests of these addresses (on the list or not); none while it has no key."""
    key = _key()
    return [] if key is None else sorted({_digest(key, channel, address) for address in addresses})


def lift(digests: Iterable[str]) -> int:
    """Take entries off the list (an upload undone); how many."""
    return Suppression.objects.filter(digest__in=list(digests)).delete()[0]


def note_consent_over(*, people: Iterable[Person], channel: str, source: str, actor: object = None,
                      group: object = None) -> None:
    """An opt-in of the person's own (`source`) on a record whose address was on the list: the
    audit log says that a new consent lifted the suppression for that record."""
    # The log's words stay English whatever language the page was in, as every entry's do.
    label = "texts" if channel == ConsentEvent.Channel.SMS else "email"
    audit.record_many({"actor": actor, "action": AuditEntry.Action.CHANGE, "target": person,
                       "summary": f"Consent to {label} given again through the {source}, over an opt-out "
                                  "kept from an erased record (the suppression list)", "group": group}
                      for person in people)


def counts() -> dict[str, int]:
    """How many entries the list holds per channel: what staff may see of it (never an address)."""
    found = dict(Suppression.objects.values("channel").annotate(n=Count("pk")).values_list("channel", "n"))
    return {str(channel): found.get(channel, 0) for channel in ConsentEvent.Channel.values}
