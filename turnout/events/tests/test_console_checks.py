"""What organizers and the public notice: cancelling asks first and says who will be told; an
event cannot end before it starts (console, API, distributed actions); a ZIP search keeps online
events; a repeating series is one row in the staff list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from django.core import mail
from django.test import override_settings

from turnout.api.tests.base import ApiTestCase
from turnout.events import services
from turnout.events.models import Event, EventCampaign
from turnout.events.tests.test_events import NOW, make_event
from turnout.messaging.models import Message
from turnout.site.testing import TurnoutTestCase, run_due_tasks


def _rsvp(event: Event, name: str, email: str) -> None:
    services.rsvp(event, services.RsvpRequest(given_name=name, email=email))


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class CancelAsksFirstTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.event = make_event(self.local, capacity=2)
        for name in ("Ana", "Ben", "Cy"):  # two seats: Cy waits
            _rsvp(self.event, name, f"{name.lower()}@example.org")
        run_due_tasks()
        mail.outbox.clear()
        self.url = f"/events/{self.event.public_id}/cancel/"
        self.login(self.organizer)

    def test_the_event_page_links_to_a_page_that_says_who_will_be_told(self) -> None:
        detail = self.client.get(self.event.get_absolute_url())
        self.assertContains(detail, f'href="{self.url}"')
        self.assertNotContains(detail, f'action="{self.url}"')  # no one-click cancel form on the page
        page = self.client.get(self.url)
        self.assertContains(page, "3 people will be told the event is cancelled")
        self.assertContains(page, "2 going, 1 on the waitlist")
        self.assertContains(page, "by email to 3 people")
        self.assertContains(page, "Yes, cancel it and tell 3 people")
        self.assertContains(page, f'href="{self.event.get_absolute_url()}"')  # the way back
        self.assertEqual(Event.objects.get().status, "scheduled")

    def test_a_post_without_the_confirmation_cancels_nothing_and_keeps_the_note(self) -> None:
        response = self.client.post(self.url, {"note": "Rain date to follow."})
        self.assertContains(response, "Nothing was cancelled")
        self.assertContains(response, "Rain date to follow.")
        self.assertEqual(Event.objects.get().status, "scheduled")
        self.assertFalse(Message.objects.filter(topic__endswith=":cancelled").exists())

    def test_confirming_cancels_and_tells_everyone(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url, {"note": "Rain date to follow.", "confirm": "cancel"}, follow=True)
        self.assertContains(response, "Cancelled. 3 people were told.")
        self.assertEqual(Event.objects.get().status, "cancelled")
        self.run_worker()
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), ["ana@example.org", "ben@example.org", "cy@example.org"])
        self.assertIn("Rain date to follow.", mail.outbox[0].body)
        self.assertContains(self.client.get(self.url, follow=True), "already cancelled")

    def test_the_edit_form_cannot_cancel_behind_everyones_back(self) -> None:
        local = self.event.local_start()
        response = self.client.post(f"/events/{self.event.public_id}/edit/", {
            "group": self.local.pk, "title": self.event.title, "kind": "in_person", "postal_code": "98101",
            "visibility": "public", "status": "cancelled", "date": local.date().isoformat(), "start": "18:00"})
        self.assertContains(response, "Select a valid choice")
        self.assertEqual(Event.objects.get().status, "scheduled")

    def test_in_spanish_the_page_says_it_in_spanish(self) -> None:
        self.organizer.language = "es"
        self.organizer.save()
        page = self.client.get(self.url, headers={"accept-language": "es"})
        self.assertContains(page, "Se avisará a 3 personas")


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class CancelThroughTheApiTests(ApiTestCase):
    def test_cancelling_through_the_api_tells_everyone_as_the_console_does(self) -> None:
        event = make_event(self.local)
        _rsvp(event, "Ana", "ana@example.org")
        run_due_tasks()
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            self.ok("PUT", f"events/{event.public_id}", {"status": "cancelled"})
        self.assertEqual(Event.objects.get().status, "cancelled")
        self.run_worker()
        self.assertEqual([m.to for m in mail.outbox], [["ana@example.org"]])
        self.assertIn("is cancelled", mail.outbox[0].body)


@time_machine.travel(NOW, tick=False)
class EndsAfterItStartsTests(ApiTestCase):
    FIELDS = {"title": "Picket", "kind": "in_person", "postal_code": "98101", "visibility": "public",
              "status": "scheduled", "date": "2026-11-24"}

    def test_the_console_refuses_an_end_before_the_start_and_keeps_what_was_typed(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/events/new/", {**self.FIELDS, "group": self.local.pk,
                                                     "start": "18:00", "end": "17:00"})
        self.assertContains(response, "The event ends before it starts")
        self.assertContains(response, 'value="Picket"')
        self.assertContains(response, 'value="17:00"')
        self.assertFalse(Event.objects.exists())

    def test_an_event_past_midnight_gives_the_day_it_ends(self) -> None:
        self.login(self.organizer)
        self.client.post("/events/new/", {**self.FIELDS, "group": self.local.pk, "start": "22:00", "end": "02:00",
                                          "end_date": "2026-11-25"})
        event = Event.objects.get()
        self.assertEqual(event.ends_at - event.starts_at, timedelta(hours=4))
        edit = self.client.get(f"/events/{event.public_id}/edit/")
        self.assertContains(edit, 'value="2026-11-25"')

    def test_the_service_refuses_it_for_every_door(self) -> None:
        start = datetime(2026, 11, 24, 18, tzinfo=UTC)
        with self.assertRaisesMessage(services.EventError, "ends before it starts"):
            services.save_event(actor=None, event=Event(group=self.local, title="Picket", postal_code="98101",
                                                        starts_at=start, ends_at=start - timedelta(hours=1)))
        self.assertFalse(Event.objects.exists())

    def test_the_api_says_what_to_fix(self) -> None:
        response = self.api("POST", "events", {"title": "Picket", "start_date": "2026-11-24T18:00:00",
                                               "end_date": "2026-11-24T17:00:00",
                                               "location": {"postal_code": "98101"}})
        self.assertEqual(response.status_code, 400)
        self.assertIn("end_date must be after start_date", response.content.decode())
        made = make_event(self.local, ends_at=datetime(2026, 11, 5, 4, 0, tzinfo=UTC))
        moved = self.api("PUT", f"events/{made.public_id}", {"start_date": "2026-11-04T23:00:00"})
        self.assertEqual(moved.status_code, 400)
        self.assertEqual(Event.objects.get().starts_at, datetime(2026, 11, 5, 2, 0, tzinfo=UTC))

    def test_a_distributed_action_cannot_end_before_it_starts(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/events/campaigns/new/", {
            "group": self.local.pk, "title": "Walkout", "local_date": "2026-11-24", "local_start": "17:00",
            "local_end": "16:00", "status": "scheduled"})
        self.assertContains(response, "The end time must come after the start time.")
        self.assertContains(response, 'value="Walkout"')
        self.assertFalse(EventCampaign.objects.exists())
        with self.assertRaises(services.EventError):
            services.create_campaign(actor=self.organizer, group=self.local, fields={
                "title": "Walkout", "local_date": date(2026, 11, 24), "local_start": time(17), "local_end": time(16)})
        campaign = services.create_campaign(actor=self.organizer, group=self.local, fields={
            "title": "Walkout", "local_date": date(2026, 11, 24), "local_start": time(17), "local_end": time(18)})
        moved = self.api("PUT", f"event_campaigns/{campaign.public_id}", {"turnout:local_start_time": "19:00"})
        self.assertEqual(moved.status_code, 400)
        self.assertIn("The end time must come after the start time.", moved.content.decode())
        campaign.refresh_from_db()
        self.assertEqual(campaign.local_start, time(17))


@time_machine.travel(NOW, tick=False)
class FindKeepsOnlineEventsTests(TurnoutTestCase):
    def setUp(self) -> None:
        make_event(self.local, title="Seattle rally", postal_code="98101", visibility="public")
        make_event(self.local, title="Boston rally", postal_code="02108", visibility="public")
        services.save_event(actor=None, event=Event(
            group=self.local, title="Online training", kind="virtual", time_zone="America/Chicago",
            visibility="public", starts_at=NOW + timedelta(days=2)))

    def test_a_zip_search_for_both_kinds_lists_online_events_after_the_nearby_ones(self) -> None:
        page = self.client.get("/find/", {"zip": "98104", "miles": "25", "kind": ""}).content.decode()
        self.assertIn("Online training", page)
        self.assertIn("Seattle rally", page)
        self.assertNotIn("Boston rally", page)
        self.assertLess(page.index("Seattle rally"), page.index("Online training"))

    def test_online_only_and_in_person_only(self) -> None:
        online = self.client.get("/find/", {"zip": "98104", "kind": "virtual"}).content.decode()
        self.assertIn("Online training", online)
        self.assertNotIn("Seattle rally", online)
        in_person = self.client.get("/find/", {"zip": "98104", "kind": "in_person"}).content.decode()
        self.assertNotIn("Online training", in_person)
        self.assertIn("Seattle rally", in_person)

    def test_an_unknown_zip_is_still_an_error(self) -> None:
        self.assertContains(self.client.get("/find/", {"zip": "00000"}), "We do not know the ZIP code")


@time_machine.travel(NOW, tick=False)
class SeriesIsOneRowTests(TurnoutTestCase):
    def test_a_daily_meeting_is_one_row_with_its_next_date_and_how_many(self) -> None:
        first = make_event(self.local, title="Daily check-in", starts_at=NOW - timedelta(days=2, hours=1))
        services.repeat(actor=None, event=first, rule="daily", until=(NOW + timedelta(days=7)).date())
        make_event(self.local, title="One-off rally")
        self.login(self.organizer)
        page = self.client.get("/events/").content.decode()
        self.assertEqual(page.count("Daily check-in"), 1)
        self.assertIn("One-off rally", page)
        self.assertIn("10 dates, 8 to come", page)
        upcoming = Event.objects.filter(series=first.series, starts_at__gte=NOW).order_by("starts_at").first()
        assert upcoming is not None
        self.assertIn(f"Next: {services.when_text(upcoming)}", page)
        self.assertIn(upcoming.get_absolute_url(), page)


@time_machine.travel(NOW, tick=False)
class ApprovingASiteByIdTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.campaign = EventCampaign.objects.create(group=self.local, title="Protect the Results",
                                                     local_date=date(2026, 11, 4), local_start=time(17, 0))
        self.proposed = make_event(self.local, campaign=self.campaign, title="Wren's site",
                                   awaiting_approval=True, status="draft")
        self.login(self.organizer)

    def test_an_approval_with_an_id_that_is_no_id_is_refused_saying_so(self) -> None:
        """Approving with a mangled site id answers 400 naming the bad id (not a server error), and
        the offer is still waiting."""
        response = self.client.post(self.campaign.get_absolute_url(), {"approve": "not-a-site"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("“not-a-site” is not the id of a site waiting for approval", response.content.decode())
        self.proposed.refresh_from_db()
        self.assertTrue(self.proposed.awaiting_approval)

    def test_an_approval_of_a_site_that_is_not_waiting_is_not_found(self) -> None:
        """A well-formed id that names no offer of this campaign (a made-up one, or an event already
        live) is a 404, and nothing is approved."""
        live = make_event(self.local)
        for ident in ("8d3c54b4-3f1e-4b8e-9a55-2f0c8a3d2e11", str(live.public_id)):
            response = self.client.post(self.campaign.get_absolute_url(), {"approve": ident})
            self.assertEqual(response.status_code, 404)
        self.proposed.refresh_from_db()
        self.assertTrue(self.proposed.awaiting_approval)
