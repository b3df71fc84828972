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

from turnout.events import services
from turnout.events.models import Event, Rsvp, RsvpIntake
from turnout.site.testing import make_group


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


class CrowdIntakeTests(TransactionTestCase):
    """Forms for an event without a limit are stored as they come, several threads' rows in one
    write (`core.group_commit`); every person answered has their form in the database."""

    def test_a_crowd_at_once_every_form_is_kept_and_one_for_a_deleted_event_is_refused_alone(self) -> None:
        local = make_group("Local 8")
        event = services.save_event(actor=None, event=Event(
            group=local, title="Rally for a fair contract", postal_code="98101",
            starts_at=timezone.now() + timedelta(days=2)))
        gone = services.save_event(actor=None, event=Event(
            group=local, title="Moved rally", postal_code="98101", starts_at=timezone.now() + timedelta(days=2)))
        stale = Event.objects.get(pk=gone.pk)  # as a web process that read it a moment ago still has it
        gone.delete()

        def send(n: int) -> str:
            data = {"given_name": f"Worker{n}", "family_name": "", "email": f"worker{n}@example.org", "phone": "",
                    "postal_code": "", "language": "en", "sms_consent_text": "", "answers": {}, "source": "form",
                    "shift_id": None, "ref": ""}
            return services.rsvp_later(stale if n == 5 else event, data)

        results = at_once(16, send)
        refused = results.pop(5)
        self.assertIsInstance(refused, services.EventError)  # told on the form, as for a cancelled event
        self.assertEqual(str(refused), "This event is not taking RSVPs.")
        self.assertTrue(all(isinstance(key, str) for key in results), results)
        kept = RsvpIntake.objects.filter(event=event)
        self.assertEqual(sorted(kept.values_list("key", flat=True)), sorted(results))
        self.assertEqual(sorted(row["email"] for row in kept.values_list("data", flat=True)),
                         sorted(f"worker{n}@example.org" for n in range(16) if n != 5))
