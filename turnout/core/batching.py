"""Work that arrives in bursts (RSVP forms, replies to an activation): the request stores it and
asks for one run of a task that takes everything waiting, instead of one task per item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone


def ask_on_commit(task: Any, key: str) -> None:
    """Once the caller's transaction commits, queue `task` unless a run was asked for under
    `key` in the last second (the run clears the key as it starts: see `take_all`)."""

    def ask() -> None:
        if cache.add(key, 1, timeout=1):
            task.enqueue()

    transaction.on_commit(ask)


def take_all(task: Any, key: str, work: Callable[[], int], *, last_look: bool) -> None:
    """The body of such a task: clear the request's key, do everything waiting, and take one more
    look two seconds later (and again while looks find work): a web server whose cache the
    worker does not share (no Redis) asks at most once a second, so an item may commit just
    after a run ends without asking."""
    cache.delete(key)
    if work() or not last_look:
        task.using(run_after=timezone.now() + timedelta(seconds=2)).enqueue(last_look=True)
