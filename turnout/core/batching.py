"""Work that arrives in bursts (RSVP forms, replies to an activation): the request stores it and
asks for one run of a task that takes everything waiting, instead of one task per item."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

# An item that commits while an ask stands (`ask_on_commit`: a second) asks for no run; a run that
# starts this long after the ask sees every such item, with a second to spare for the clocks of the
# web server that asked and of the worker.
LOOK_AFTER = timedelta(seconds=2)


def ask_on_commit(task: Any, key: str, *, stamped: bool = False) -> None:
    """Once the caller's transaction commits, queue `task` unless a run was asked for under
    `key` in the last second (the run clears the key as it starts: see `take_all`). `stamped`
    hands the task the moment it was asked for (`asked_at`, for `take_all`)."""

    def ask() -> None:
        if cache.add(key, 1, timeout=1):
            if stamped:
                task.enqueue(asked_at=timezone.now().isoformat())
            else:
                task.enqueue()

    transaction.on_commit(ask)


def take_all(task: Any, key: str, work: Callable[[], int], *, last_look: bool, asked_at: str = "") -> None:
    """The body of such a task: clear the request's key, do everything waiting, and take one more
    look two seconds later (and again while looks find work): a web server whose cache the
    worker does not share (no Redis) asks at most once a second, so an item may commit just
    after a run ends without asking.

    A run asked for at `asked_at` (an ISO time, from a `stamped` ask) that starts `LOOK_AFTER` later or
    more needs no look after it: every item that did not ask because of its ask had committed
    before it started, and `work` takes all of them. During a burst the worker is busy with one
    long run while the web servers ask every second; the asks queued meanwhile then cost one
    question each, not a question and another task each."""
    started = timezone.now()
    cache.delete(key)
    late = bool(asked_at) and started - datetime.fromisoformat(asked_at) >= LOOK_AFTER
    if (work() or not last_look) and not late:
        task.using(run_after=timezone.now() + timedelta(seconds=2)).enqueue(last_look=True)


def ids_in(ids: Iterable[int]) -> Any:
    """A batch's ids as the value of an `__in` filter: on PostgreSQL one array parameter, since a
    list of a thousand parameters costs the worker more to build and send than the database
    spends on the question; elsewhere the list itself."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    return ids
