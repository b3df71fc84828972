"""Host tools: check-ins and walk-ins synced from a phone, applied once however often they are sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import time_machine
from django.test import override_settings

from turnout.events import services
from turnout.events.models import Rsvp
from turnout.events.tests.test_events import NOW, make_event
from turnout.people.models import ConsentEvent, Person
from turnout.site.testing import TurnoutTestCase


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class HostSyncTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.event = make_event(self.local, capacity=50)
        self.ana, _ = services.rsvp(self.event, services.RsvpRequest(given_name="Ana", email="ana@example.org"))

    def sync(self, payload: dict[str, Any], key: str | None = None) -> Any:
        return self.client.post(f"/host/{key or self.event.host_key}/sync/", json.dumps(payload),
                                content_type="application/json")

    def test_a_check_in_sent_twice_counts_once_and_keeps_the_first_time(self) -> None:
        first = {"id": "c1", "rsvp": self.ana.key, "at": "2026-11-02T17:55:00Z"}
        answer = self.sync({"checkins": [first]}).json()
        self.assertEqual(answer["applied"], ["c1"])
        again = self.sync({"checkins": [first, {"id": "c2", "rsvp": self.ana.key, "at": "2026-11-02T17:59:00Z"}]})
        self.assertEqual(again.json()["applied"], ["c1", "c2"])
        self.ana.refresh_from_db()
        self.assertEqual(self.ana.checked_in_at, datetime(2026, 11, 2, 17, 55, tzinfo=UTC))
        self.assertEqual(again.json()["counts"]["checked_in"], 1)

    def test_a_walk_in_becomes_a_person_with_consent_once(self) -> None:
        walk = {"id": "w-1", "given_name": "Beto", "phone": "206-555-0191", "sms_consent": True,
                "at": "2026-11-02T17:58:00Z"}
        for _ in range(3):
            self.assertEqual(self.sync({"walkins": [walk]}).json()["applied"], ["w-1"])
        beto = Person.objects.get(given_name="Beto")
        self.assertEqual(Rsvp.objects.filter(person=beto).count(), 1)
        rsvp = Rsvp.objects.get(person=beto)
        self.assertEqual((rsvp.status, rsvp.client_ref), ("going", "w-1"))
        self.assertIsNotNone(rsvp.checked_in_at)
        consent = ConsentEvent.objects.get(person=beto, channel="sms")
        self.assertIn("Reply STOP to stop", consent.consent_text)
        self.assertTrue(beto.memberships.filter(group=self.local).exists())

    def test_bad_items_are_reported_and_a_wrong_key_or_body_is_refused(self) -> None:
        answer = self.sync({"checkins": [{"id": "c9", "rsvp": "not-a-key"}],
                            "walkins": [{"id": "w9", "given_name": ""}]}).json()
        self.assertEqual(answer["applied"], [])
        self.assertEqual({p["id"] for p in answer["problems"]}, {"c9", "w9"})
        self.assertEqual(self.sync({"checkins": []}, key="guess").status_code, 404)
        bad = self.client.post(f"/host/{self.event.host_key}/sync/", "not json", content_type="application/json")
        self.assertEqual(bad.status_code, 400)

    def test_a_host_of_one_event_cannot_check_in_anothers_guests(self) -> None:
        other = make_event(self.local, title="Other event")
        answer = self.sync({"checkins": [{"id": "c1", "rsvp": self.ana.key}]}, key=other.host_key).json()
        self.assertEqual(answer["applied"], [])
        self.ana.refresh_from_db()
        self.assertIsNone(self.ana.checked_in_at)

    def test_the_roster_shows_names_not_contact_details(self) -> None:
        page = self.client.get(f"/host/{self.event.host_key}/")
        self.assertContains(page, "Ana")
        self.assertNotContains(page, "ana@example.org")


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory", BASE_URL="https://local8.example")
class AddHostTests(TurnoutTestCase):
    def test_an_organizer_makes_someone_a_host_and_they_get_the_link(self) -> None:
        from django.core import mail

        event = make_event(self.local)
        self.login(self.organizer)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(event.get_absolute_url(), {"host": "1", "given_name": "Tomas",
                                                                     "email": "tomas@example.org"})
        self.assertRedirects(response, event.get_absolute_url())
        self.run_worker()
        bad = self.client.post(event.get_absolute_url(), {"host": "1", "given_name": "Nobody"})
        self.assertContains(bad, "email address or mobile number")
        self.assertEqual(list(event.hosts.values_list("given_name", flat=True)), ["Tomas"])
        self.assertEqual([m.to for m in mail.outbox], [["tomas@example.org"]])
        self.assertIn(f"https://local8.example/host/{event.host_key}/", mail.outbox[0].body)
