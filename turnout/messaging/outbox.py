"""The activation pipeline: materialize one Delivery per recipient in SQL, then dispatch in claimed batches.

Materialize is one INSERT … SELECT over the audience query, so 100,000 recipients cost
one statement, not 100,000. Dispatch claims a batch under a lease, re-checks consent and
quiet hours at send time, sends through the configured transport and records the
provider's id. Each text is marked as handed over (`handed_at`) in a short committed write
just before the provider is called, a window of at most TURNOUT_SMS_CONCURRENCY texts at a
time, and its result is written as it comes back. When a worker dies (its lease runs out),
rows it had claimed but never handed over are queued again as they were; only those handed
over without a result, never more than the window, may have reached the provider. They are
sent again, marked and counted as possible duplicates: a second text is a lesser harm than
someone never hearing of the strike vote, and the generic gateway has no way to ask whether
it took a text.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from turnout.core import geo
from turnout.messaging import email, merge, optouts, pacing, quiet_hours, segments
from turnout.messaging.models import Delivery, InboundMessage, Message
from turnout.messaging.transports import OutgoingSms, TransportError, sms_transport
from turnout.people.models import ConsentEvent, Person

BATCH = 200
LEASE = timedelta(minutes=5)
RETRY_AFTER = [timedelta(seconds=s) for s in (30, 120, 600, 1800)]
# A text is handed over up to this long before its sender's booked moment, and its thread waits
# the rest: a round's write that runs late does not make paced texts late, nor bunch them up.
HAND_OVER_AHEAD = 0.5
# The longest a round of sending waits for more texts to come back before writing (see _send_in_window).
MAX_LINGER = 0.02
# The reason on the row of someone whose number or address this message already goes to.
DUPLICATE = "duplicate address"


def materialize(message: Message, audience: QuerySet[Any]) -> int:
    """Create the message's deliveries for everyone in `audience` who has an address; returns how many.

    `audience` is people, or rows that name people in `person_id` (an activation's recipients:
    read as they are, without joining every person again). People without consent get a row
    too, marked suppressed, so the progress page can say how many were left out and why.
    Each number or address is sent the message once, however many records hold it (one per
    group that knows the person): of several people here with one address, the first who
    consents, by id, gets it; the others get a suppressed row, "duplicate address", as does
    anyone whose address this message already goes to.
    Running it twice adds nobody twice: the message's row is locked while its outbox is
    written, and people it has already are left out of the insert (a plain insert writes a
    third faster than one that settles each row's conflict; `one_delivery` still guards).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        Message.objects.select_for_update().filter(pk=message.pk).exists()
        if connection.vendor == "postgresql":
            # Each person's addresses sorted in memory, not on disk, for a send to 100,000 people.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        sql, params = _outbox_insert(message, audience, timezone.now())
        cursor.execute(sql, params)
        return cursor.rowcount


def _chosen(channel: str, audience: QuerySet[Any]) -> tuple[str, list[Any]]:
    """SQL for each person's one address (person_id, address, consent): a consenting one first,
    then the primary. Whether the chosen one consents is whether any does."""
    named = "pk" if audience.model is Person else "person_id"
    people_sql, params = audience.order_by().values(named).query.sql_with_params()
    if channel == "sms":
        contact, column, status_column = "people_phonenumber", "number", "sms_status"
    else:
        contact, column, status_column = "people_emailaddress", "address", "status"
    # (Table and column names are fixed above, never input.)
    if connection.vendor == "postgresql":
        chosen = (f"SELECT DISTINCT ON (c.person_id) c.person_id, c.{column} AS address, "  # noqa: S608
                  f"c.{status_column} AS consent FROM {contact} c WHERE c.person_id IN ({people_sql}) "
                  f"ORDER BY c.person_id, CASE WHEN c.{status_column} = 'subscribed' THEN 0 ELSE 1 END, "
                  "CASE WHEN c.is_primary THEN 0 ELSE 1 END, c.id")
    else:
        # SQLite takes a group's other columns from the row that holds its MIN(): the same order
        # as one number (consent, then primary, then the row's id, which stays far below 10^12),
        # without sorting every row.
        chosen = (f"SELECT c.person_id, c.{column} AS address, c.{status_column} AS consent, "  # noqa: S608
                  f"MIN((CASE WHEN c.{status_column} = 'subscribed' THEN 0 ELSE 2 END "
                  "+ CASE WHEN c.is_primary THEN 0 ELSE 1 END) * 1000000000000 + c.id) "
                  f"FROM {contact} c WHERE c.person_id IN ({people_sql}) GROUP BY c.person_id")
    return chosen, list(params)


def chosen_addresses(channel: str, audience: QuerySet[Any]) -> tuple[str, list[Any]]:
    """SQL and parameters for each person's one address on this channel, as a send chooses it
    (columns person_id, address, consent), for another app's set-based insert."""
    return _chosen(channel, audience)


def _outbox_insert(message: Message, audience: QuerySet[Any], now: Any) -> tuple[str, list[Any]]:
    """The INSERT … SELECT of `materialize`: each person's chosen address, not yet in the outbox,
    marked `shared` when someone before them here has it too, or the outbox sends to it already.

    Who is before whom is worked out the way each database does it fastest (measured; see
    docs/performance.md): on PostgreSQL a window over the address, then the people's order
    again, in which `one_delivery` takes the rows faster; on SQLite, whose sorts cost more, the
    addresses two people share, grouped once into a short list (`twice`) that each row looks
    up. An address the outbox sends to already is one look at this message's own rows. (Every
    name in the SQL is fixed here; values go as parameters.)"""
    chosen, params = _chosen(message.channel, audience)
    ours = [message.pk, message.channel]
    columns = ("INSERT INTO messaging_delivery (public_id, message_id, person_id, channel, address, sender, status, "
               "provider_id, error, attempts, claimed_by, possible_duplicate, segments, created_at, status_at) ")
    taken = ("fresh.address IN (SELECT d.address FROM messaging_delivery d WHERE d.message_id = %s "
             "AND d.channel = %s AND d.status <> 'suppressed')")
    fresh = (f"SELECT chosen.person_id, chosen.address, chosen.consent FROM ({chosen}) chosen "  # noqa: S608
             "WHERE NOT EXISTS (SELECT 1 FROM messaging_delivery d WHERE d.message_id = %s "
             "AND d.person_id = chosen.person_id AND d.channel = %s)")

    def select(source: str, uuid_sql: str) -> str:
        return (f"SELECT {uuid_sql}, %s, person_id, %s, address, '', "  # noqa: S608
                "CASE WHEN consent <> 'subscribed' OR shared THEN 'suppressed' ELSE 'queued' END, '', "
                "CASE WHEN consent <> 'subscribed' THEN 'no consent' WHEN shared THEN %s ELSE '' END, "
                f"0, '', %s, 0, %s, %s FROM {source}")

    row_values = [*ours, DUPLICATE, False, now, now]
    if connection.vendor == "postgresql":
        # Addresses compared as bytes, not in the locale's order; OFFSET 0 keeps the subquery
        # whole, so `shared` is worked out once a row, not once per use.
        ranked = ("SELECT fresh.person_id, fresh.address, fresh.consent, (ROW_NUMBER() OVER ("  # noqa: S608
                  'PARTITION BY fresh.address COLLATE "C" '
                  "ORDER BY CASE WHEN fresh.consent = 'subscribed' THEN 0 ELSE 1 END, fresh.person_id) > 1 "
                  f"OR {taken}) AS shared FROM ({fresh}) fresh ORDER BY fresh.person_id OFFSET 0")
        return columns + select(f"({ranked}) ranked", "gen_random_uuid()"), [*row_values, *ours, *params, *ours]
    # The statement starts with INSERT (its WITH inside): Python's sqlite3 counts rows only then.
    ranked = (f"WITH fresh AS ({fresh}), "  # noqa: S608
              "twice AS (SELECT address, MIN(CASE WHEN consent = 'subscribed' THEN person_id END) AS keep "
              "FROM fresh GROUP BY address HAVING COUNT(*) > 1), "
              "ranked AS (SELECT fresh.person_id, fresh.address, fresh.consent, "
              f"(COALESCE(twice.keep, fresh.person_id) <> fresh.person_id OR {taken}) AS shared "
              "FROM fresh LEFT JOIN twice ON twice.address = fresh.address) ")
    return columns + ranked + select("ranked", "lower(hex(randomblob(16)))"), [*params, *ours, *ours, *row_values]


def addresses(channel: str, people: QuerySet[Person]) -> dict[int, tuple[str, bool]]:
    """Each person's one address on this channel, as `materialize` chooses it, and whether it
    consents: {person id: (address, consents)}; people without one are left out."""
    chosen, params = _chosen(channel, people)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT person_id, address, consent FROM ({chosen}) chosen", params)  # noqa: S608
        return {row[0]: (row[1], row[2] == "subscribed") for row in cursor.fetchall()}


def reach(channel: str, audience: QuerySet[Any]) -> tuple[int, int, int]:
    """What `materialize` would make of this audience, counted without writing: (people with an
    address, people with a consenting one, numbers or addresses it would send to, each once)."""
    chosen, params = _chosen(channel, audience)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), COALESCE(SUM(CASE WHEN consent = 'subscribed' THEN 1 ELSE 0 END), 0), "  # noqa: S608
                       f"COUNT(DISTINCT CASE WHEN consent = 'subscribed' THEN address END) FROM ({chosen}) chosen",
                       params)
        with_address, consenting, addresses = cursor.fetchone()
    return int(with_address), int(consenting), int(addresses)


def render(message: Message, person: Person) -> str:
    """The text this person gets: their language's version, merge fields filled."""
    body = message.body_es if person.language == "es" and message.body_es else message.body
    return merge.fill(body, person, link=message.link)


def first_text_footer(name: str = "") -> str:
    """Names the sender (the group's public name) and says how to stop, on a person's first text."""
    return f"\n{name or settings.ORGANIZATION_NAME}: reply STOP to stop"


def claim(message: Message, worker: str, limit: int = BATCH) -> list[int]:
    """Take up to `limit` due deliveries for this worker, under a lease; returns their ids."""
    now = timezone.now()
    due = (Delivery.objects.filter(message=message, status=Delivery.Status.QUEUED)
           .filter(Q(not_before__isnull=True) | Q(not_before__lte=now)).order_by("pk"))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Several workers claim side by side: each skips rows another has locked.
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        else:
            # SQLite: BEGIN IMMEDIATE makes this transaction the only writer, so the claim is atomic.
            ids = list(due.values_list("pk", flat=True)[:limit])
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.SENDING, claimed_by=worker,
                                                   lease_until=now + LEASE, status_at=now)
    return ids


def reclaim_expired() -> int:
    """Queue again the deliveries of workers that died mid-batch; returns how many.

    A row the dead worker had handed to the provider without writing its result may have gone
    out: it is marked a possible duplicate. The rest of its claim never left Turnout and goes
    back as it was.
    """
    now = timezone.now()
    expired = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now)
    with transaction.atomic():
        handed = expired.filter(handed_at__isnull=False).update(
            status=Delivery.Status.QUEUED, claimed_by="", lease_until=None, handed_at=None, possible_duplicate=True,
            status_at=now)
        return handed + expired.update(status=Delivery.Status.QUEUED, claimed_by="", lease_until=None, status_at=now)


def dispatch_batch(message: Message, ids: list[int], *, now: Any = None) -> Counter[str]:
    """Send one claimed batch; every row ends sent, deferred, queued for retry, failed or suppressed.

    Texts go to the transport from a few threads at once (the provider's latency, not
    Turnout, is the limit), at most TURNOUT_SMS_CONCURRENCY in flight. Each is marked handed
    over in a committed write before its thread calls the provider, and its result is written
    as soon as it is back; each write carries every result and hand-over ready at that moment,
    so there are a few rows per transaction, not one transaction per text. A worker that dies
    leaves at most the window handed over without a result: the only texts recovery may send
    twice. (An email batch goes over one connection and is handed over whole.)
    """
    now = now or timezone.now()
    rows = list(Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING)
                .select_related("person").only(*_DELIVERY_FIELDS, *_PERSON_FIELDS).order_by("pk"))
    addresses = [row.address for row in rows]
    # Each row's own record of the address, not any record of it: another group's consent to the
    # same number is not this person's, and an opt-out on any record stops them all.
    consenting = optouts.sendable(channel=message.channel, pairs=[(row.person_id, row.address) for row in rows])
    previous: dict[str, str] = {}  # address -> the sender that texted it last
    if message.channel == "sms":
        previous = dict(Delivery.objects.filter(channel="sms", address__in=addresses, sent_at__isnull=False)
                        .order_by("sent_at").values_list("address", "sender"))
    hours = quiet_hours.window(message.group)
    outcome: Counter[str] = Counter()
    ready: list[tuple[Delivery, str, int | None]] = []  # (row, text, seconds it may still arrive in)
    settled: list[Delivery] = []  # rows whose outcome is known and not yet written
    for row in rows:
        # A row keeps its claim (and lease) until its outcome is written: one handed over and then
        # orphaned must still be found by `reclaim_expired`.
        row.status_at = timezone.now()
        if (row.person_id, row.address) not in consenting:  # opted out since the message was made
            row.claimed_by, row.lease_until = "", None
            row.status, row.error = Delivery.Status.SUPPRESSED, "opted out"
            outcome[row.status] += 1
            settled.append(row)
            continue
        body = render(message, row.person)
        valid_for = None
        if message.channel == "sms":
            zone = row.person.time_zone or geo.time_zone_for_phone(row.address)
            if not message.ignore_quiet_hours:
                valid_for = quiet_hours.seconds_left(now, zone, hours)
                if not valid_for:
                    row.claimed_by, row.lease_until = "", None
                    row.status, row.not_before = Delivery.Status.QUEUED, quiet_hours.next_opening(now, zone, hours)
                    outcome["deferred"] += 1
                    settled.append(row)
                    continue
            if row.address not in previous:  # the first text names us and says how to stop
                body += first_text_footer(message.group.public_name)
                previous[row.address] = ""
            row.segments = segments.count(body).segments
        row.attempts += 1
        ready.append((row, body, valid_for))
    bookings = (pacing.book([(row.address, row.segments) for row, _body, _v in ready], previous, message.senders)
                if message.channel == "sms" else [pacing.Booking("", 0.0)] * len(ready))
    to_send: list[tuple[Delivery, OutgoingSms, float]] = []
    for (row, body, valid_for), booking in zip(ready, bookings, strict=True):
        if booking.capped:  # every number it may go from has sent its daily cap: tomorrow
            row.claimed_by, row.lease_until, row.attempts = "", None, row.attempts - 1
            row.status, row.not_before = Delivery.Status.QUEUED, datetime.fromtimestamp(booking.at, tz=UTC)
            outcome["deferred"] += 1
            settled.append(row)
            continue
        row.sender = booking.sender
        to_send.append((row, OutgoingSms(delivery_id=str(row.public_id), to=row.address, sender=booking.sender,
                                         body=body, valid_for=valid_for), booking.at))
    to_send.sort(key=lambda item: item[2])
    carrier_opt_outs: list[Delivery] = []

    def settle(row: Delivery, result: str | TransportError, at: datetime) -> None:
        row.claimed_by, row.lease_until, row.handed_at, row.status_at = "", None, None, at
        if isinstance(result, str):
            row.status, row.provider_id, row.sent_at, row.error = Delivery.Status.SENT, result, at, ""
        elif result.retryable and row.attempts <= len(RETRY_AFTER):
            row.status, row.error = Delivery.Status.QUEUED, result.reason[:300]
            row.not_before = at + RETRY_AFTER[row.attempts - 1]
            outcome["retry"] += 1
            return
        elif result.opted_out:
            row.status, row.error = Delivery.Status.SUPPRESSED, "opted out with the carrier"
            carrier_opt_outs.append(row)
        else:
            row.status, row.error = Delivery.Status.FAILED, result.reason[:300]
        outcome[row.status] += 1

    if message.channel == "email":
        emails = [email.build(to=sms.to, subject=message.subject, body=sms.body, delivery_id=sms.delivery_id,
                              postal_address=message.group.postal_address, language=row.person.language,
                              sender_name=message.group.public_name)
                  for row, sms, _at in to_send]
        handed_at = timezone.now()
        for row, _sms, _at in to_send:
            row.handed_at = handed_at
        _write_results(settled + [row for row, _sms, _at in to_send])
        settled = []
        for (row, _sms, _at), result in zip(to_send, email.send_batch(emails), strict=True):
            settle(row, result, timezone.now())
            settled.append(row)
    else:
        settled = _send_in_window(to_send, settled, settle)
    _write_results(settled)
    # The ledger learns what the carrier knew, on every record of the number; its queued texts stop.
    for address, person_id in {row.address: row.person_id for row in carrier_opt_outs}.items():
        optouts.opt_out(channel="sms", address=address, source=ConsentEvent.Source.PROVIDER,
                        detail="opted out with the carrier", why="opted out with the carrier", person_id=person_id)
    return outcome


def _send_in_window(to_send: list[tuple[Delivery, OutgoingSms, float]], settled: list[Delivery],
                    settle: Any) -> list[Delivery]:
    """Send texts in their booked order, at most the transport's concurrency in flight; returns the
    rows settled last, not yet written.

    Each round writes, in one statement, the results that came back and the hand-over of as
    many texts as there are free places (and due), and only then passes those to the sending
    threads: so at any moment no more than the window of rows are handed over without a result.
    After the first text of a round comes back, the round lingers until half the window is back,
    at most as long as the last write took (and MAX_LINGER): with a fast provider a round then
    carries half a window, not a write per text, while the other half is at the provider during
    its write; with a slow one the linger is nothing beside its latency.
    """
    transport = sms_transport()
    window = max(1, settings.SMS_CONCURRENCY)
    linger = 0.0

    def send(item: tuple[Delivery, OutgoingSms, float]) -> str | TransportError:
        _row, sms, at = item
        if (pause := at - time.time()) > 0:  # the sender's booked moment
            time.sleep(pause)
        try:
            return transport.send(sms)
        except TransportError as exc:
            return exc

    pool = _sending_pool()
    waiting = deque(to_send)
    in_flight: dict[Future[str | TransportError], Delivery] = {}
    while waiting or in_flight:
        starting: list[tuple[Delivery, OutgoingSms, float]] = []
        due_by = time.time() + HAND_OVER_AHEAD
        while waiting and len(in_flight) + len(starting) < window and waiting[0][2] <= due_by:
            starting.append(waiting.popleft())
        if starting or settled:
            handed_at = timezone.now()
            for row, _sms, _at in starting:
                row.handed_at = handed_at
            began = time.perf_counter()
            _write_results(settled + [row for row, _sms, _at in starting])
            linger = min(MAX_LINGER, time.perf_counter() - began)
            settled = []
        for item in starting:
            in_flight[pool.submit(send, item)] = item[0]
        # Until a text comes back, or the next one's booked moment when there is room for it.
        until = (max(0.0, waiting[0][2] - HAND_OVER_AHEAD - time.time())
                 if waiting and len(in_flight) < window else None)
        if not in_flight:
            time.sleep(until or 0)
            continue
        done, running = wait(in_flight, timeout=until, return_when=FIRST_COMPLETED)
        # Half the window back is enough for a round: the other half stays at the provider while
        # the round's write runs, so the sending threads are not all idle waiting for it.
        enough = max(1, window // 2)
        lingering_until = time.perf_counter() + linger
        while done and running and len(done) < enough and (left := lingering_until - time.perf_counter()) > 0:
            more, running = wait(running, timeout=left, return_when=FIRST_COMPLETED)
            done |= more
        back_at = timezone.now()
        for future in done:
            row = in_flight.pop(future)
            settle(row, future.result(), back_at)
            settled.append(row)
    return settled


# What sending a delivery reads of it and of its person (`render`, `merge`, the zone for quiet hours):
# a batch's rows are many, a person's record is wide.
_DELIVERY_FIELDS = ["public_id", "message", "person", "channel", "address", "sender", "status", "provider_id", "error",
                    "attempts", "not_before", "claimed_by", "lease_until", "handed_at", "possible_duplicate",
                    "segments", "sent_at", "status_at"]
_PERSON_FIELDS = [f"person__{name}" for name in ("given_name", "family_name", "preferred_name", "language",
                                                 "time_zone")]
_RESULT_COLUMNS = ["status", "error", "status_at", "claimed_by", "lease_until", "handed_at", "not_before", "attempts",
                   "segments", "provider_id", "sent_at", "sender"]


def _write_results(rows: list[Delivery]) -> None:
    """Write the rows' outcome and hand-over columns in one transaction.

    On PostgreSQL one `UPDATE … FROM unnest(…)`: each column's values go as one array, bound on
    the server (a psycopg cursor of its own: Django's client-side cursor would quote
    every value in Python), a single statement however many rows (a round's write is what the
    dispatcher waits for). On SQLite one UPDATE per row in a batch (Django's bulk_update builds a
    CASE per column and row, which costs more than the sending it records)."""
    if not rows:
        return
    fields = _result_fields()
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor != "postgresql":
            # Values as the ORM would store them (SQLite keeps datetimes as text in one format).
            values = [[f.get_db_prep_save(getattr(row, f.name), connection) for f in fields] + [row.pk]
                      for row in rows]
            with connection.cursor() as cursor:
                cursor.executemany(_update_sql(), values)
            return
        # psycopg adapts these columns' Python values (text, int, aware datetimes, None) itself.
        columns = [[getattr(row, f.attname) for row in rows] for f in fields] + [[row.pk for row in rows]]
        with psycopg.Cursor(connection.connection) as cursor:  # type: ignore[arg-type]
            if own_transaction:
                # A write every few texts whose commit need not wait for the disk: a worker that dies
                # loses nothing the server has; only a crash of the database server itself could lose
                # its last fraction of a second (wal_writer_delay), see docs/operations.md.
                cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(_update_sql(), columns)


@functools.cache
def _result_fields() -> list[Any]:
    return [Delivery._meta.get_field(c) for c in _RESULT_COLUMNS]


@functools.cache
def _update_sql() -> str:
    """The statement `_write_results` runs (names and types from the model, never input)."""
    fields = _result_fields()
    table = Delivery._meta.db_table
    if connection.vendor != "postgresql":
        return f"UPDATE {table} SET " + ", ".join(f"{f.column} = %s" for f in fields) + " WHERE id = %s"  # noqa: S608
    columns = [str(f.column) for f in fields] + ["id"]
    casts = [str(f.cast_db_type(connection)) for f in fields] + ["bigint"]
    return (f"UPDATE {table} d SET " + ", ".join(f"{c} = v.{c}" for c in columns[:-1])  # noqa: S608
            + " FROM unnest(" + ", ".join(f"%s::{cast}[]" for cast in casts) + ") AS v("
            + ", ".join(columns) + ") WHERE d.id = v.id")


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _sending_pool() -> ThreadPoolExecutor:
    """Threads that live as long as the worker, so each keeps its connection to the provider open."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, settings.SMS_CONCURRENCY), thread_name_prefix="sms")
        return _pool


def dispatch(message: Message, worker: str | None = None, max_batches: int | None = None) -> Counter[str]:
    """Claim and send batches until nothing is due; deferred rows wait for their time."""
    worker = worker or f"w-{uuid.uuid4().hex[:12]}"
    total: Counter[str] = Counter()
    batches = 0
    limit = min(BATCH, pacing.texts_per_claim() or BATCH) if message.channel == "sms" else BATCH
    while ids := claim(message, worker, limit):
        total.update(dispatch_batch(message, ids))
        batches += 1
        if max_batches is not None and batches >= max_batches:
            break
    return total


def next_due(message: Message) -> Any:
    """When the earliest waiting delivery of this message becomes due, or None."""
    return Delivery.objects.filter(message=message, status=Delivery.Status.QUEUED).aggregate(
        at=Min("not_before"))["at"]


def progress(message: Message) -> dict[str, int]:
    """Counts for the progress page (one aggregate over the outbox, one count of replies), with
    what the outbox rows removed by retention counted."""
    counts = tally(message, Delivery.objects.filter(message=message))
    for name, n in message.outbox_summary.get("progress", {}).items():
        counts[name] = counts.get(name, 0) + n
    return counts


def tally(message: Message, rows: QuerySet[Delivery]) -> dict[str, int]:
    """The progress counts of some of a message's outbox rows."""
    status = {name: Count("pk", filter=Q(status=name)) for name in Delivery.Status.values}
    counts = rows.aggregate(
        targeted=Count("pk"), **status, possible_duplicates=Count("pk", filter=Q(possible_duplicate=True)),
        shared=Count("pk", filter=Q(status=Delivery.Status.SUPPRESSED, error=DUPLICATE)),
        deferred=Count("pk", filter=Q(status=Delivery.Status.QUEUED, not_before__gt=timezone.now())))
    replies = InboundMessage.objects.filter(
        received_at__gte=message.created_at,
        person__in=rows.filter(sent_at__isnull=False).values("person")).count()
    return {
        "targeted": counts["targeted"],
        "queued": counts["queued"] - counts["deferred"],
        "deferred": counts["deferred"],
        "sending": counts["sending"],
        "sent": counts["sent"] + counts["delivered"],
        "delivered": counts["delivered"],
        "failed": counts["failed"],
        "suppressed": counts["suppressed"],
        # Of the suppressed: people whose number or address the message went to for someone else.
        "shared": counts["shared"],
        "possible_duplicates": counts["possible_duplicates"],
        "replies": replies,
    }


def failures(message: Message) -> list[tuple[str, int]]:
    """Why texts failed, most common first (those of removed outbox rows included)."""
    reasons = Counter(dict(Delivery.objects.filter(message=message, status=Delivery.Status.FAILED)
                           .values("error").annotate(n=Count("pk")).order_by("-n").values_list("error", "n")[:10]))
    reasons.update(dict(message.outbox_summary.get("failures", [])))
    return reasons.most_common(10)


def started_at(message: Message) -> Any:
    """When the message's outbox was made (it began sending), or None."""
    moments = [Delivery.objects.filter(message=message).aggregate(at=Min("created_at"))["at"]]
    if kept := message.outbox_summary.get("started_at"):
        moments.append(datetime.fromisoformat(kept))
    return min((at for at in moments if at is not None), default=None)
