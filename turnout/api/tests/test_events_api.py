"""Events, attendances and event campaigns through the API: local wall-clock start dates, one attendance
per person, the record attendance helper as Parsons calls it, and distributed actions."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.test import override_settings

from turnout.api.tests.base import ApiTestCase
from turnout.events.models import Event, Rsvp
from turnout.events.tests.test_events import NOW, make_event


def ident(resource: dict) -> str:
    return resource["identifiers"][0].split(":", 1)[1]


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class EventsApiTests(ApiTestCase):
    def test_a_start_date_without_offset_is_local_time_at_the_location(self) -> None:
        made = self.ok("POST", "events", {"title": "Picket", "start_date": "2026-11-24T06:00:00",
                                          "location": {"venue": "Gate 3", "postal_code": "60601"}}, status=201)
        self.assertEqual(made["start_date"], "2026-11-24T12:00:00Z")  # 06:00 in Chicago
        self.assertEqual(made["turnout:timezone"], "America/Chicago")
        self.assertEqual(made["location"]["locality"], "Chicago")
        with_offset = self.ok("POST", "events", {"title": "Call", "start_date": "2026-11-24T06:00:00-05:00",
                                                 "turnout:timezone": "America/New_York"}, status=201)
        self.assertEqual(with_offset["start_date"], "2026-11-24T11:00:00Z")
        self.assertEqual(self.ok("GET", f"events/{ident(made)}")["title"], "Picket")

    def test_bad_events_get_clear_400s(self) -> None:
        for body, words in (({"title": "x", "start_date": "soon", "turnout:timezone": "America/Chicago"}, "start_date"),
                            ({"title": "x", "start_date": "2026-11-24T06:00:00"}, "postal_code"),
                            ({"title": "x", "start_date": "2026-11-24T06:00", "turnout:timezone": "Mars/Base"},
                             "time zone"),
                            ({"title": "x", "start_date": "2026-11-24T06:00:00",
                              "location": {"postal_code": "00000"}}, "ZIP"),
                            ({"start_date": "2026-11-24T06:00:00Z", "turnout:timezone": "UTC"}, "title")):
            response = self.api("POST", "events", body)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn(words, response.json()["error"])
        self.assertFalse(Event.objects.exists())

    def test_record_attendance_once_per_person_by_link_by_query_string_or_by_signup(self) -> None:
        event = make_event(self.local, capacity=2)
        path = f"events/{event.public_id}/attendances"
        by_link = {"_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{self.member.public_id}"}}}
        first = self.ok("POST", path, by_link, status=201)
        self.assertEqual((first["status"], first["action_network:person_id"]), ("accepted", str(self.member.public_id)))
        again = self.ok("POST", path, by_link)  # the same person: the same attendance, 200 not 201
        self.assertEqual(ident(again), ident(first))
        # Parsons sends the payload in the query string, where nested _links are lost.
        query = self.api("POST", f"/api/v2/{path}?action_network:person_id={self.member.public_id}", raw=b"")
        self.assertEqual(query.status_code, 200)
        signup = self.ok("POST", path, {"person": {"given_name": "Rae", "email_addresses": [
            {"address": "rae@example.org"}], "postal_addresses": [{"postal_code": "98101"}]}}, status=201)
        third = self.ok("POST", path, {"person": {"given_name": "Sol", "email_addresses": [
            {"address": "sol@example.org"}]}}, status=201)
        self.assertEqual(third["status"], "tentative")  # capacity 2: the waitlist
        self.assertEqual(Rsvp.objects.filter(event=event).count(), 3)
        missing = self.api("POST", path, {"action_network:person_id": "nobody"})
        self.assertEqual(missing.status_code, 400)
        self.assertEqual(missing.json()["error"], "You must specify a valid person id")
        declined = self.ok("PUT", f"{path}/{ident(signup)}", {"status": "declined"})
        self.assertEqual(declined["status"], "declined")
        self.assertEqual(self.ok("GET", f"{path}/{ident(third)}")["status"], "accepted")  # promoted
        listed = self.ok("GET", path)
        self.assertEqual(listed["total_records"], 3)
        mine = self.ok("GET", f"people/{self.member.public_id}/attendances")
        self.assertEqual([a["action_network:event_id"] for a in mine["_embedded"]["osdi:attendances"]],
                         [str(event.public_id)])
        self.assertEqual(self.ok("GET", f"events/{event.public_id}")["total_accepted"], 2)

    def test_a_viewer_reads_but_cannot_write_and_an_outsider_sees_nothing(self) -> None:
        event = make_event(self.local)
        self.assertEqual(self.api("GET", f"events/{event.public_id}", key=self.viewer_key).status_code, 200)
        self.assertEqual(self.api("PUT", f"events/{event.public_id}", {"title": "x"}, key=self.viewer_key)
                         .status_code, 403)
        self.assertEqual(self.api("GET", f"events/{event.public_id}", key=self.outsider_key).status_code, 404)
        self.assertEqual(self.ok("GET", "events", key=self.outsider_key)["total_records"], 0)
        self.assertEqual(Event.objects.get().title, "Rally for a fair contract")

    def test_a_campaign_places_each_site_at_its_local_time(self) -> None:
        campaign = self.ok("POST", "event_campaigns", {"title": "Protect the Results",
                                                       "turnout:local_date": "2026-11-04",
                                                       "turnout:local_start_time": "17:00"}, status=201)
        path = f"event_campaigns/{ident(campaign)}/events"
        starts = {}
        for zip_code in ("10001", "80202", "96813"):
            site = self.ok("POST", path, {"title": f"Site {zip_code}", "location": {"postal_code": zip_code}},
                           status=201)
            starts[zip_code] = site["start_date"]
        self.assertEqual(starts, {"10001": "2026-11-04T22:00:00Z", "80202": "2026-11-05T00:00:00Z",
                                  "96813": "2026-11-05T03:00:00Z"})
        listed = self.ok("GET", path)
        self.assertEqual(listed["total_records"], 3)
        read = self.ok("GET", f"event_campaigns/{ident(campaign)}")
        self.assertEqual((read["total_events"], read["total_rsvps"]), (3, 0))
        self.assertIn("action_network:event_campaigns", self.ok("GET", "")["_links"])
        self.assertEqual(datetime(2026, 11, 4, 22, tzinfo=UTC), Event.objects.get(postal_code="10001").starts_at)
