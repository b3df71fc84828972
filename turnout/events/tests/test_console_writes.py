"""Staff and host writes to events go through the event services: each is on the audit log,
and the pages do what they did before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import time_machine
from django.test import override_settings

from turnout.core.models import AuditEntry
from turnout.events import services
from turnout.events.models import EventCampaign, Question, Rsvp, Shift, Status
from turnout.events.tests.test_events import NOW, make_event
from turnout.messaging.transports import simple
from turnout.site.testing import TurnoutTestCase, audit_summaries


def summaries(target: Any) -> list[str]:
    return audit_summaries(target)


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class StaffWriteTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.event = make_event(self.local)
        self.login(self.organizer)

    def test_a_shift_is_added_at_local_time_and_on_record(self) -> None:
        """A shift's times are the event's local wall clock; adding it is on the audit log."""
        self.client.post(self.event.get_absolute_url(),
                         {"shift": "1", "label": "Setup", "start": "17:00", "end": "18:00", "capacity": "2"})
        shift = Shift.objects.get(event=self.event)
        self.assertEqual((shift.starts_at, shift.ends_at, shift.capacity),
                         (datetime(2026, 11, 5, 1, 0, tzinfo=UTC), datetime(2026, 11, 5, 2, 0, tzinfo=UTC), 2))
        entry = AuditEntry.objects.get(target_id=str(self.event.public_id), summary__contains="Setup")
        self.assertEqual((entry.actor, entry.action, entry.group), (self.organizer, "change", self.local))

    def test_questions_are_added_in_order_and_on_record(self) -> None:
        """Each question goes after the others, and each is on the audit log."""
        for label in ("T-shirt size?", "Dietary needs?"):
            self.client.post(self.event.get_absolute_url(), {"question": "1", "label": label, "kind": "text"})
        self.assertEqual(list(Question.objects.filter(event=self.event).values_list("label", "position")),
                         [("T-shirt size?", 0), ("Dietary needs?", 1)])
        self.assertEqual(summaries(self.event)[-2:],
                         ["Added the question “T-shirt size?”", "Added the question “Dietary needs?”"])

    def test_a_campaign_is_made_with_its_creator_and_on_record(self) -> None:
        """A new campaign keeps who made it, and its creation is on the audit log."""
        self.client.post("/events/campaigns/new/", {
            "group": self.local.pk, "title": "Day of action", "local_date": "2026-11-20", "local_start": "17:00",
            "status": "standby", "standby_condition": "If the strike is called"})
        campaign = EventCampaign.objects.get(title="Day of action")
        self.assertEqual((campaign.group, campaign.created_by, campaign.status), (self.local, self.organizer, "standby"))
        self.assertEqual(summaries(campaign), ["Created the campaign"])


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class HostWriteTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.event = make_event(self.local, capacity=50)
        self.ana, _ = services.rsvp(self.event, services.RsvpRequest(given_name="Ana", email="ana@example.org"))

    def sync(self, payload: dict[str, object]) -> dict[str, object]:
        return self.client.post(f"/host/{self.event.host_key}/sync/", json.dumps(payload),  # type: ignore[no-any-return]
                                content_type="application/json").json()

    def test_a_check_in_is_on_record_once(self) -> None:
        """Checking someone in is on the audit log once, however often the phone sends it."""
        item = {"id": "c1", "rsvp": self.ana.key, "at": "2026-11-02T17:55:00Z"}
        for _ in range(2):
            self.sync({"checkins": [item]})
        self.assertEqual(summaries(self.event).count("A host checked in Ana"), 1)

    def test_a_walk_in_is_on_record_once(self) -> None:
        """A walk-in is on the audit log once, however often the phone sends it."""
        walk = {"id": "w-1", "given_name": "Beto", "at": "2026-11-02T17:58:00Z"}
        for _ in range(2):
            self.assertEqual(self.sync({"walkins": [walk]})["applied"], ["w-1"])
        self.assertEqual(Rsvp.objects.filter(client_ref="w-1").count(), 1)
        self.assertEqual(summaries(self.event).count("A host added the walk-in Beto"), 1)

    def test_a_host_note_reaches_those_going_and_a_cancelled_event_takes_none(self) -> None:
        """The host's note is sent and on record; once the event is cancelled, it is refused."""
        url = f"/host/{self.event.host_key}/text/"
        self.client.post(url, {"body": "Meet at the north entrance"})
        self.assertIn("A host texted the 1 people going", summaries(self.event))
        self.event.status = Status.CANCELLED
        self.event.save(update_fields=["status"])
        simple.outbox.clear()
        response = self.client.post(url, {"body": "Still on?"}, follow=True)
        self.assertContains(response, "This event is not on.")
        self.assertEqual(summaries(self.event).count("A host texted the 1 people going"), 1)


# 10 a.m. in Seattle, where the event is: its dates and the last date of the series fall on the
# same calendar days in UTC and in the event's zone (just after midnight UTC they would not).
@time_machine.travel(datetime(2026, 11, 2, 18, tzinfo=UTC), tick=False)
class SeriesTests(TurnoutTestCase):
    def test_an_event_and_its_later_dates_are_saved_together_or_not_at_all(self) -> None:
        """A rule the series cannot use fails the whole save: no event without its dates."""
        from datetime import timedelta

        from django.utils import timezone

        from turnout.events.models import Event

        start = timezone.now() + timedelta(days=3)
        event = Event(group=self.local, title="Daily info meeting", postal_code="98101", starts_at=start)
        with self.assertRaises(KeyError):
            services.save_with_repeats(actor=self.organizer, event=event, rule="fortnightly",
                                       until=(start + timedelta(days=30)).date())
        self.assertFalse(Event.objects.filter(title="Daily info meeting").exists())
        made = services.save_with_repeats(actor=self.organizer, event=Event(
            group=self.local, title="Daily info meeting", postal_code="98101", starts_at=start),
            rule="daily", until=(start + timedelta(days=2)).date())
        self.assertEqual(len(made), 2)
        self.assertEqual(Event.objects.filter(title="Daily info meeting").count(), 3)
