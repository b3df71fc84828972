"""Senders and their throughput: each sending number goes no faster than its carrier allows.

A sender (a number, a short code, a Twilio messaging service) sends so many segments per
second: about 1 for a 10DLC number, far more for a short code. Before sending a batch a
worker books every text a moment on one sender's clock, in one short transaction on
`SenderClock`, so workers on several machines share each sender's pace and never exceed
it together. A person keeps hearing from the sender that texted them first; everyone else
goes to the sender that is free soonest, which keeps every sender busy and the total
steady. A sender may also have a daily cap (carriers limit how many texts a 10DLC number sends
a day): once it has sent that many today it leaves the pool until tomorrow, and when every
sender a text may use is capped the text waits for the next day (`Booking.capped`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from turnout.messaging.models import SenderClock


@dataclass(frozen=True)
class Sender:
    address: str
    rate: float  # segments per second; 0 = no limit
    cap: int = 0  # texts a day; 0 = no cap


def senders() -> list[Sender]:
    """The configured senders: TURNOUT_SMS_SENDERS, each "address", "address:rate" or
    "address:rate:cap" (texts a day; an empty rate is the default one: "address::2000")."""
    found = []
    for item in settings.SMS_SENDERS or [settings.SMS_FROM]:
        address, _sep, rest = item.partition(":")
        rate, _sep, cap = rest.partition(":")
        found.append(Sender(address.strip(), float(rate) if rate.strip() else float(settings.SMS_RATE),
                            int(cap) if cap.strip() else 0))
    return found or [Sender("", float(settings.SMS_RATE))]


def capped_today(only: Sequence[str] = ()) -> bool:
    """Whether every sender a text may use (`only`, else all) has sent its daily cap today."""
    pool = [s for s in senders() if s.address in only] if only else senders()
    pool = pool or senders()
    if any(s.cap <= 0 for s in pool):
        return False
    today = timezone.localdate()
    sent = dict(SenderClock.objects.filter(sender__in=[s.address for s in pool], day=today)
                .values_list("sender", "sent_today"))
    return all(sent.get(s.address, 0) >= s.cap for s in pool)


def next_day() -> float:
    """The start of tomorrow (the organization's zone), when daily caps start again; seconds since the epoch."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    return datetime.combine(tomorrow, clock(0), tzinfo=timezone.get_current_timezone()).timestamp()


def default_sender(for_address: str = "") -> str:
    """The sender for a one-off text (a keyword answer) to someone with no earlier text."""
    pool = senders()
    return pool[zlib.crc32(for_address.encode()) % len(pool)].address


def texts_per_claim(seconds: float = 30.0) -> int | None:
    """How many texts every sender together sends in `seconds`; None when any is unlimited.

    A worker claims no more than this at once, so a batch it paces finishes well inside its lease.
    """
    pool = senders()
    if any(s.rate <= 0 for s in pool):
        return None
    return max(1, int(sum(s.rate for s in pool) * seconds))


@dataclass
class Booking:
    sender: str
    at: float  # seconds since the epoch; send no earlier
    capped: bool = False  # every sender it may use has sent its cap today: wait until `at` (tomorrow)


def book(texts: Sequence[tuple[str, int]], previous: dict[str, str], only: Sequence[str] = ()) -> list[Booking]:
    """A sender and a moment for each (address, segments), in order.

    `previous` maps an address to the sender that texted it before; it keeps that sender
    when it is still in the pool. `only`: the senders a message may go out from (a texting
    campaign's numbers), else every configured one. Among the pool, a number with the
    recipient's own area code is preferred, the one free soonest of them.
    """
    pool = [s for s in senders() if s.address in only] if only else senders()
    pool = pool or senders()  # a number no longer configured: the organization's pool
    local: dict[str, list[Sender]] = {}
    for s in pool:
        if _area(s.address):
            local.setdefault(_area(s.address), []).append(s)
    by_address = {s.address: s for s in pool}
    now = time.time()
    today = timezone.localdate()
    paced = [s.address for s in pool if s.rate > 0 or s.cap > 0]
    with transaction.atomic() if paced else contextlib.nullcontext():
        clocks: dict[str, SenderClock] = {}
        if paced:
            SenderClock.objects.bulk_create([SenderClock(sender=a) for a in paced], ignore_conflicts=True)
            clocks = {c.sender: c for c in SenderClock.objects.select_for_update().filter(sender__in=paced)}
        # Texts each capped sender may still send today.
        left = {s.address: s.cap - (clocks[s.address].sent_today if clocks[s.address].day == today else 0)
                for s in pool if s.cap > 0}
        # When each sender is next free (an unlimited one always is), kept in a heap; an entry
        # is current only while its sequence number is the sender's latest.
        free = {s.address: max(clocks[s.address].free_at, now) if s.rate > 0 else now for s in pool}
        # Idle senders start a little apart, not all at once, so together they send evenly
        # through each second rather than in one burst at its start.
        idle = [s for s in pool if s.rate > 0 and clocks[s.address].free_at <= now]
        total = sum(s.rate for s in pool if s.rate > 0)
        for k, s in enumerate(idle):
            free[s.address] = now + k / total
        latest = {s.address: n for n, s in enumerate(pool) if left.get(s.address, 1) > 0}
        soonest = [(free[a], n, a) for a, n in latest.items()]
        heapq.heapify(soonest)
        sequence = itertools.count(len(pool))
        bookings = []
        for address, segments in texts:
            sender = _sticky(address, previous, by_address)
            if sender is not None and sender not in latest:
                sender = None  # capped for today: another number, as for someone never texted
            nearby = [s for s in local.get(_area(address), []) if s.address in latest] if sender is None else []
            if nearby:  # the soonest free, as the heap would choose, among numbers local to the recipient
                sender = min(nearby, key=lambda s: (free[s.address], latest[s.address])).address
            while sender is None and soonest:
                _at, n, candidate = heapq.heappop(soonest)
                sender = candidate if latest.get(candidate) == n else None
            if sender is None:  # every number it may use has sent its cap today
                bookings.append(Booking("", next_day(), capped=True))
                continue
            bookings.append(Booking(sender, free[sender]))
            rate = by_address[sender].rate
            if rate > 0:
                free[sender] += max(1, segments) / rate
            if sender in left:
                left[sender] -= 1
                if left[sender] <= 0:
                    del latest[sender]  # out of the pool until tomorrow
                    continue
            latest[sender] = next(sequence)
            heapq.heappush(soonest, (free[sender], latest[sender], sender))
        for address, each in clocks.items():
            each.free_at = free[address]
            if address in left:
                each.day, each.sent_today = today, by_address[address].cap - left[address]
        SenderClock.objects.bulk_update(clocks.values(), ["free_at", "day", "sent_today"])
    return bookings


def _area(number: str) -> str:
    """A North American number's area code ("206"), else ""."""
    return number[2:5] if number.startswith("+1") and len(number) == 12 else ""


def _sticky(address: str, previous: dict[str, str], by_address: dict[str, Sender]) -> str | None:
    sender = previous.get(address)
    return sender if sender in by_address else None
