"""Many people at once: the last seat goes to exactly one, and a double click makes one RSVP.
Real threads, each with its own database connection (run on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from turnout.core.testing import make_group
from turnout.events import services
from turnout.events.models import Event, Rsvp


def at_once(count: int, work: Any) -> list[Any]:
    """Run `work(n)` in `count` threads released together; their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = work(n)
        except Exception as exc:  # the test looks at what each one got
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@override_settings(SMS_BACKEND="memory")
class LastSeatTests(TransactionTestCase):
    def setUp(self) -> None:
        local = make_group("Local 8")
        self.event = services.save_event(actor=None, event=Event(
            group=local, title="Bargaining session", postal_code="98101", capacity=1,
            starts_at=timezone.now() + timedelta(days=2)))

    def test_eight_people_for_the_last_seat_one_gets_it_the_rest_wait(self) -> None:
        results = at_once(8, lambda n: services.rsvp(self.event, services.RsvpRequest(
            given_name=f"Worker{n}", email=f"worker{n}@example.org"))[0].status)
        self.assertEqual(Counter(results), {"going": 1, "waitlist": 7}, results)
        self.assertEqual(Rsvp.objects.filter(status="going").count(), 1)

    def test_a_double_click_makes_one_rsvp(self) -> None:
        results = at_once(2, lambda n: services.rsvp(self.event, services.RsvpRequest(
            given_name="Quinn", email="quinn@example.org")))
        self.assertTrue(all(isinstance(r, tuple) for r in results), results)
        self.assertEqual({r[0].pk for r in results}, {Rsvp.objects.get().pk})
        self.assertEqual(sorted(created for _rsvp, created in results), [False, True])
