"""Opt-outs of a number or an address: they hold for every record that holds it.

Each group keeps its own record of a person, so one number or address may sit on several
records. What the law and the carriers make global is global here: a STOP, a carrier's
refusal, a complaint, an unsubscribe or a hard bounce stops every record of the address at
once, whichever group's message it answered, and every queued delivery to it, in the same
transaction. A START gives back only what a keyword took: the records that had consent
before it. At send time, a delivery goes out only when its own person's record of the
address consents and no record of the address opted out since that consent was given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from turnout.messaging.models import Delivery
from turnout.people import suppression
from turnout.people.models import ConsentEvent, Person, Subscription
from turnout.people.services import contact_model, mark_bouncing, record_consent

# Opt-outs a START undoes: the keyword itself, and the carrier's refusal that a keyword to the
# carrier causes (error 21610); an unsubscribe by staff or a form stays.
KEYWORD_STOPS = frozenset({ConsentEvent.Source.KEYWORD, ConsentEvent.Source.PROVIDER})


def holders(*, channel: str, address: str) -> list[int]:
    """The people whose records hold this address, oldest record first."""
    model, column, _status = contact_model(channel)
    return list(model.objects.filter(**{column: address}).order_by("pk").values_list("person_id", flat=True))


@transaction.atomic
def opt_out(*, channel: str, address: str, source: str, detail: str, why: str, text: str = "",
            person_id: int | None = None, again: bool = False) -> int:
    """Opt `address` out on every record that holds it (each record's ledger gains the entry) and
    suppress every queued delivery to it; how many records hold it. A report already applied
    changes nothing; `again` records the act anyway (a STOP texted twice is two acts)."""
    model, column, status_column = contact_model(channel)
    # Locked so that an opt-in on one of the records cannot slip in between the check and the write.
    rows = list(model.objects.select_for_update().filter(**{column: address}).order_by("pk")
                .values_list("person_id", status_column))
    people = [pk for pk, _status in rows]
    if rows and (again or any(status != Subscription.UNSUBSCRIBED for _pk, status in rows)):
        # One entry names the record the act came through; `record_consent` gives every other
        # record of the address its own entry and status.
        acting = person_id if person_id is not None and person_id in people else people[0]
        record_consent(person=Person.objects.get(pk=acting), channel=channel, address=address,
                       action=ConsentEvent.Action.OPT_OUT, source=source, source_detail=detail, text=text)
    suppress_queued(channel=channel, address=address, people=people, why=why)
    return len(rows)


@transaction.atomic
def bounced(*, address: str) -> int:
    """A hard bounce: every record of the email address marked bouncing, every queued email to it
    suppressed; how many records hold it."""
    people = holders(channel="email", address=address)
    if people:
        mark_bouncing(address=address)
        suppress_queued(channel="email", address=address, people=people, why="bouncing")
    return len(people)


def suppress_queued(*, channel: str, address: str, people: list[int], why: str) -> int:
    """Queued deliveries to `address`, for any of its records, not sent; how many.

    Found through the people's index: a queued delivery is not in the address index, which holds
    sent rows only. A delivery to a number its person no longer holds is stopped at send
    time instead (`sendable`)."""
    if not people:
        return 0
    return Delivery.objects.filter(channel=channel, address=address, person_id__in=people,
                                   status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SUPPRESSED, error=why, status_at=timezone.now())


@transaction.atomic
def restore_keyword_stops(*, number: str, text: str) -> int:
    """START: the records of this number that a keyword (or the carrier, for a keyword sent to it)
    stopped, and that had consent before it, subscribed again as the person's own act. A record
    that never agreed to texts gains nothing from it. How many were restored."""
    model, column, status_column = contact_model("sms")
    stopped = list(model.objects.select_for_update().filter(**{column: number, status_column: Subscription.UNSUBSCRIBED})
                   .values_list("person_id", flat=True))
    if not stopped:
        return 0
    ledger: dict[int, list[tuple[str, str]]] = defaultdict(list)  # newest first
    for person_id, action, source in (ConsentEvent.objects.filter(person_id__in=stopped, channel="sms", address=number)
                                      .order_by("person_id", "-occurred_at", "-id")
                                      .values_list("person_id", "action", "source")):
        ledger[person_id].append((action, source))
    restored = 0
    for person_id in stopped:
        events = ledger[person_id]
        # Past the keyword's opt-outs (one per STOP), the consent they withdrew, if there was one.
        n = 0
        while n < len(events) and events[n][0] == ConsentEvent.Action.OPT_OUT and events[n][1] in KEYWORD_STOPS:
            n += 1
        if n == 0 or n == len(events) or events[n][0] != ConsentEvent.Action.OPT_IN:
            continue
        event = record_consent(person=Person.objects.get(pk=person_id), channel="sms", address=number,
                               action=ConsentEvent.Action.OPT_IN, source=ConsentEvent.Source.KEYWORD,
                               source_detail=f"texted “{text[:40]}”", text=text[:500])
        restored += event is not None
    return restored


def sendable(*, channel: str, pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (person id, address) pairs may be sent to now: the person's own record of the
    address is subscribed, and no record of the address, erased ones on the suppression list
    included, opted out after that record's consent (one STOP stops them all; only a later opt-in
    of the person's own, on this record, counts).
    One query for a batch; the ledger is read only for addresses some record opted out of."""
    wanted = set(pairs)
    if not wanted:
        return set()
    model, column, status_column = contact_model(channel)
    own: dict[tuple[int, str], str] = {}
    records: dict[str, set[int]] = defaultdict(set)
    withdrawn: set[str] = set()
    for person_id, address, status in model.objects.filter(**{f"{column}__in": {a for _p, a in wanted}}) \
            .values_list("person_id", column, status_column):
        own[(person_id, address)] = status
        records[address].add(person_id)
        if status == Subscription.UNSUBSCRIBED:
            withdrawn.add(address)
    ok = {pair for pair in wanted if own.get(pair) == Subscription.SUBSCRIBED}
    # Erased records' opt-outs count too (the suppression list): a new record of such an address
    # starts unsubscribed, so this finds one only after a write that skipped the rule. One query
    # for the batch, none while the list is empty.
    erased = suppression.suppressed(channel=channel, addresses={address for _p, address in ok})
    contested = {pair for pair in ok if pair[1] in withdrawn or pair[1] in erased}
    if not contested:
        return ok
    addresses = {address for _p, address in contested}
    people = set().union(*(records[address] for address in addresses))
    opted_in: dict[tuple[int, str], tuple[datetime, int]] = {}
    # An erased record's opt-out sorts before any entry written in the same instant.
    opted_out: dict[str, tuple[datetime, int]] = {address: (at, 0) for address, at in erased.items()}
    # Through the ledger's person index (it has none by address): a few records' entries. Entries
    # made in one instant are told apart by the order they were written in.
    for person_id, address, action, at, pk in (
            ConsentEvent.objects.filter(channel=channel, person_id__in=people, address__in=addresses)
            .values_list("person_id", "address", "action", "occurred_at", "pk")):
        if action == ConsentEvent.Action.OPT_OUT:
            opted_out[address] = max((at, pk), opted_out.get(address, (at, pk)))
        else:
            opted_in[(person_id, address)] = max((at, pk), opted_in.get((person_id, address), (at, pk)))
    for pair in contested:
        given, withdrawn_at = opted_in.get(pair), opted_out.get(pair[1])
        # A record unsubscribed with no opt-out on the ledger is taken as the latest word.
        if given is None or withdrawn_at is None or withdrawn_at > given:
            ok.discard(pair)
    return ok
