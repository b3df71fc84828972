"""Events: local wall-clock time in each site's zone, RSVPs with capacity and waitlist, what people are told."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import time_machine
from django.core import mail
from django.test import override_settings

from turnout.events import services
from turnout.events.models import Event, EventCampaign, Rsvp, RsvpIntake, Shift
from turnout.messaging.transports import simple
from turnout.people.models import ConsentEvent, EmailAddress, Person, PhoneNumber
from turnout.site.testing import TurnoutTestCase, run_due_tasks

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # 10:00 in Seattle, a Monday


def make_event(group: Any, **fields: Any) -> Event:
    values = {"title": "Rally for a fair contract", "postal_code": "98101", "venue": "Westlake Park",
              "starts_at": datetime(2026, 11, 5, 2, 0, tzinfo=UTC)}  # 18:00 on Nov 4 in Seattle
    values.update(fields)
    return services.save_event(actor=None, event=Event(group=group, **values))


@time_machine.travel(NOW, tick=False)
class WallClockTests(TurnoutTestCase):
    def test_five_pm_local_is_a_different_instant_in_each_zone(self) -> None:
        day, five = date(2026, 11, 4), time(17, 0)
        expected = {"America/New_York": datetime(2026, 11, 4, 22, 0, tzinfo=UTC),
                    "America/Chicago": datetime(2026, 11, 4, 23, 0, tzinfo=UTC),
                    "America/Denver": datetime(2026, 11, 5, 0, 0, tzinfo=UTC),
                    "America/Phoenix": datetime(2026, 11, 5, 0, 0, tzinfo=UTC),
                    "America/Los_Angeles": datetime(2026, 11, 5, 1, 0, tzinfo=UTC),
                    "Pacific/Honolulu": datetime(2026, 11, 5, 3, 0, tzinfo=UTC)}
        for zone, instant in expected.items():
            self.assertEqual(services.wall_clock(day, five, zone), instant, zone)

    def test_the_daylight_saving_switch_days(self) -> None:
        spring, fall, five = date(2026, 3, 8), date(2026, 11, 1), time(17, 0)
        # New York moves to EDT (UTC-4) on 8 March and back to EST (UTC-5) on 1 November.
        self.assertEqual(services.wall_clock(spring, five, "America/New_York"), datetime(2026, 3, 8, 21, tzinfo=UTC))
        self.assertEqual(services.wall_clock(fall, five, "America/New_York"), datetime(2026, 11, 1, 22, tzinfo=UTC))
        # Arizona and Hawaii do not shift: the same UTC hour on both days.
        for zone, hour in (("America/Phoenix", 0), ("Pacific/Honolulu", 3)):
            self.assertEqual(services.wall_clock(spring, five, zone).hour, hour, zone)
            self.assertEqual(services.wall_clock(fall, five, zone).hour, hour, zone)
        # 02:30 does not exist in New York on 8 March: it is taken as 03:30 EDT.
        self.assertEqual(services.wall_clock(spring, time(2, 30), "America/New_York"),
                         datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
        # 01:30 happens twice on 1 November: the first (EDT) is taken.
        self.assertEqual(services.wall_clock(fall, time(1, 30), "America/New_York"),
                         datetime(2026, 11, 1, 5, 30, tzinfo=UTC))

    def test_a_campaign_puts_every_site_at_five_pm_in_its_own_zone(self) -> None:
        campaign = EventCampaign.objects.create(group=self.local, title="Protect the Results",
                                                local_date=date(2026, 11, 4), local_start=time(17, 0),
                                                local_end=time(19, 0))
        sites = {}
        for zip_code in ("10001", "60601", "85004", "98101", "96813"):
            sites[zip_code] = services.add_site(actor=None, campaign=campaign, event=Event(
                group=self.local, title=f"Site {zip_code}", postal_code=zip_code))
        for zip_code, event in sites.items():
            local = event.local_start()
            self.assertEqual((local.hour, local.minute, local.date()), (17, 0, date(2026, 11, 4)), zip_code)
            self.assertEqual(event.local_end().hour, 19)  # type: ignore[union-attr]
        self.assertEqual(sites["85004"].time_zone, "America/Phoenix")
        self.assertEqual(services.when_text(sites["96813"]), "Wed, Nov 4, 5 p.m. HST")
        self.assertEqual(sites["10001"].starts_at, datetime(2026, 11, 4, 22, tzinfo=UTC))

    def test_a_standby_campaigns_sites_are_on_standby_too(self) -> None:
        campaign = EventCampaign.objects.create(group=self.local, title="If they stop the count",
                                                local_date=date(2026, 11, 5), local_start=time(17, 0),
                                                status="standby", standby_condition="the count is stopped")
        site = services.add_site(actor=None, campaign=campaign, event=Event(group=self.local, title="Seattle",
                                                                             postal_code="98101"))
        self.assertEqual((site.status, site.standby_condition), ("standby", "the count is stopped"))


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory", ORGANIZATION_NAME="Local 8 Union", BASE_URL="https://local8.example")
class RsvpTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()

    def answer(self, event: Event, name: str = "Ana", email: str = "", phone: str = "", consent: bool = False,
               **extra: Any) -> Rsvp:
        with self.captureOnCommitCallbacks(execute=True):
            answer, _created = services.rsvp(event, services.RsvpRequest(
                given_name=name, email=email or f"{name.lower()}@example.org", phone=phone,
                sms_consent_text="Text me. Reply STOP to stop." if consent else "", postal_code="98101", **extra))
        self.run_worker()
        return answer

    def test_an_rsvp_makes_a_person_records_text_consent_and_confirms_by_email_and_text(self) -> None:
        event = make_event(self.local, kind="virtual", join_url="https://meet.example/abc")
        answer = self.answer(event, name="Ana", email="ana@example.org", phone="(206) 555-0177", consent=True)
        self.assertEqual(answer.status, "going")
        person = answer.person
        self.assertEqual(person.memberships.get().group, self.local)
        consent = ConsentEvent.objects.get(person=person, channel="sms")
        self.assertEqual((consent.action, consent.consent_text), ("opt_in", "Text me. Reply STOP to stop."))
        self.assertEqual([m.to for m in mail.outbox], [["ana@example.org"]])
        self.assertIn("https://meet.example/abc", mail.outbox[0].body)  # the join link, only to people going
        self.assertIn("Wed, Nov 4, 6 p.m. PST", mail.outbox[0].body)
        self.assertIn(f"https://local8.example/r/{answer.key}/", mail.outbox[0].body)
        self.assertEqual([s.to for s in simple.outbox], ["+12065550177"])
        self.assertIn("https://meet.example/abc", simple.outbox[0].body)

    def test_no_text_without_consent_and_a_second_submission_is_the_same_rsvp(self) -> None:
        event = make_event(self.local)
        first = self.answer(event, name="Ben", phone="206-555-0178")
        again = self.answer(event, name="Ben", phone="206-555-0178")
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Rsvp.objects.filter(event=event).count(), 1)
        self.assertEqual(simple.outbox, [])  # no consent to texts: no text
        self.assertEqual(PhoneNumber.objects.get(number="+12065550178").sms_status, "none")
        self.assertEqual(len(mail.outbox), 1)  # and one confirmation, not two

    def test_a_full_event_waitlists_and_a_cancellation_promotes_the_first_in_line(self) -> None:
        event = make_event(self.local, capacity=1, kind="virtual", join_url="https://meet.example/xyz")
        first = self.answer(event, name="Cam")
        second = self.answer(event, name="Dee")
        third = self.answer(event, name="Eli")
        self.assertEqual([first.status, second.status, third.status], ["going", "waitlist", "waitlist"])
        waitlisted = next(m for m in mail.outbox if m.to == ["dee@example.org"])
        self.assertIn("waitlist", waitlisted.body)
        self.assertNotIn("meet.example/xyz", waitlisted.body)  # no join link until they have a seat
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            promoted = services.cancel_rsvp(first)
        self.run_worker()
        self.assertEqual(promoted, second)
        second.refresh_from_db()
        self.assertEqual(second.status, "going")
        self.assertEqual([m.to for m in mail.outbox], [["dee@example.org"]])
        self.assertIn("A spot opened", mail.outbox[0].body)
        self.assertIn("meet.example/xyz", mail.outbox[0].body)

    def test_a_shift_has_its_own_capacity(self) -> None:
        event = make_event(self.local)
        early = Shift.objects.create(event=event, label="Setup", starts_at=event.starts_at - timedelta(hours=1),
                                     capacity=1)
        self.assertEqual(self.answer(event, name="Fay", shift=early).status, "going")
        self.assertEqual(self.answer(event, name="Gus", shift=early).status, "waitlist")
        self.assertEqual(self.answer(event, name="Hal").status, "going")  # the event itself has room

    def test_a_change_of_time_tells_everyone_going_and_cancelling_tells_everyone(self) -> None:
        event = make_event(self.local)
        self.answer(event, name="Ida", phone="206-555-0181", consent=True)
        simple.outbox.clear()
        mail.outbox.clear()
        event.starts_at += timedelta(hours=1)
        with self.captureOnCommitCallbacks(execute=True):
            services.save_event(actor=self.organizer, event=event)
        run_due_tasks()
        self.assertEqual(len(simple.outbox), 1)
        self.assertIn("now Wed, Nov 4, 7 p.m. PST", simple.outbox[0].body)
        with self.captureOnCommitCallbacks(execute=True):
            told = services.cancel_event(actor=self.organizer, event=event, note="We won: the boss signed.")
        run_due_tasks()
        self.assertEqual(told, 1)
        self.assertIn("is cancelled. We won: the boss signed.", simple.outbox[-1].body)
        with self.assertRaises(services.EventError):
            self.answer(event, name="Jo")

    def test_reminders_go_at_their_moment_to_people_going_and_a_moved_event_skips_the_old_one(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):  # saving queues the reminders
            event = make_event(self.local)
        self.answer(event, name="Kai", phone="206-555-0182", consent=True)
        self.answer(event, name="Lu").event  # noqa: B018  (email only)
        simple.outbox.clear()
        mail.outbox.clear()
        with time_machine.travel(event.starts_at - timedelta(hours=24), tick=False):
            self.run_worker()  # the day-before reminder, at 18:00 Seattle time the day before
        self.assertEqual(len(simple.outbox), 1)
        self.assertIn("Reminder: Rally for a fair contract starts tomorrow", simple.outbox[0].body)
        self.assertEqual(len(mail.outbox), 2)
        self.assertEqual(mail.outbox[0].subject, "Reminder: Rally for a fair contract")
        # Going on standby and back queues the reminders again; each still goes once.
        for status in ("standby", "scheduled"):
            event.status = status
            with self.captureOnCommitCallbacks(execute=True):
                services.save_event(actor=None, event=event, notify=False)
        with time_machine.travel(event.starts_at - timedelta(hours=23), tick=False):
            self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        # Moved an hour later: the old hour-before reminder does nothing; the new one goes.
        event.starts_at += timedelta(hours=1)
        with self.captureOnCommitCallbacks(execute=True):
            services.save_event(actor=None, event=event, notify=False)
        simple.outbox.clear()
        with time_machine.travel(event.starts_at - timedelta(minutes=60), tick=False):
            self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        self.assertIn("starts soon", simple.outbox[0].body)

    def test_the_calendar_file_is_in_the_events_zone_and_the_persons_has_the_join_link(self) -> None:
        event = make_event(self.local, kind="virtual", join_url="https://meet.example/cal",
                           time_zone="America/Los_Angeles", postal_code="")
        answer = self.answer(event, name="Mo")
        public = icalendar.Calendar.from_ical(self.client.get(f"/e/{event.public_id}/calendar.ics").content)
        entry = public.walk("VEVENT")[0]
        self.assertEqual(str(entry["DTSTART"].params["TZID"]), "America/Los_Angeles")
        self.assertEqual(entry.decoded("DTSTART").hour, 18)
        self.assertEqual(entry.decoded("DTSTART").astimezone(UTC), event.starts_at)
        self.assertTrue(public.walk("VTIMEZONE"))
        self.assertNotIn("meet.example/cal", public.to_ical().decode())
        own = self.client.get(f"/r/{answer.key}/calendar.ics")
        self.assertEqual(own["Content-Type"], "text/calendar; charset=utf-8")
        self.assertIn("meet.example/cal", own.content.decode())


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class PublicPageTests(TurnoutTestCase):
    def test_rsvp_through_the_page_and_the_join_link_only_after(self) -> None:
        event = make_event(self.local, kind="virtual", join_url="https://meet.example/page",
                           description="**Bring** a coworker <script>alert(1)</script>")
        page = self.client.get(event.public_url())
        self.assertContains(page, "<strong>Bring</strong>", html=False)
        self.assertNotContains(page, "<script>alert(1)</script>", html=False)
        self.assertNotContains(page, "meet.example/page")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(event.public_url(), {"given_name": "Nia", "email": "nia@example.org",
                                                             "postal_code": "98101"})
        # Answered at once, before any person or RSVP exists: the worker makes them.
        self.assertEqual(response.status_code, 302)
        link = response["Location"]
        self.assertFalse(Rsvp.objects.exists())
        waiting = self.client.get(link)
        self.assertContains(waiting, "You're going!")
        self.assertContains(waiting, "https://meet.example/page")
        self.run_worker()
        answer = Rsvp.objects.get(event=event)
        self.assertEqual(answer.get_absolute_url(), link)  # the link the person already has is theirs
        self.assertEqual(answer.person.emails.get().address, "nia@example.org")
        self.assertEqual(RsvpIntake.objects.get().data, {})  # what they typed is not kept twice
        mine = self.client.get(link)
        self.assertContains(mine, "You're going!")
        self.assertContains(mine, "https://meet.example/page")
        self.client.post(f"/r/{answer.key}/cancel/")
        answer.refresh_from_db()
        self.assertEqual(answer.status, "cancelled")
        self.assertNotContains(self.client.get(answer.get_absolute_url()), "meet.example/page")

    def test_in_spanish_the_page_the_consent_and_the_confirmation_are_spanish(self) -> None:
        event = make_event(self.local)
        page = self.client.get(event.public_url(), headers={"Accept-Language": "es"})
        self.assertContains(page, "Ahí estaré")
        self.assertContains(page, "Responda STOP para dejar de recibirlos")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(event.public_url(), {"given_name": "Zoe", "email": "zoe@example.org", "phone": "2065550199",
                                                  "sms_consent": "on"}, headers={"Accept-Language": "es"})
        self.run_worker()
        consent = ConsentEvent.objects.get(channel="sms", person__given_name="Zoe")
        self.assertIn("Responda STOP", consent.consent_text)  # the words they saw, in their language
        self.assertEqual(Person.objects.get(given_name="Zoe").language, "es")
        self.assertIn("¡Va a Rally for a fair contract!", mail.outbox[0].body)

    def test_bad_input_is_explained_and_what_was_typed_is_kept(self) -> None:
        event = make_event(self.local)
        response = self.client.post(event.public_url(), {"given_name": "Oscar", "phone": "12", "sms_consent": "on",
                                                         "postal_code": "98101"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'value="Oscar"')
        self.assertContains(response, "errorlist")
        response = self.client.post(event.public_url(), {"given_name": "Oscar", "postal_code": "98101"})
        self.assertContains(response, "Give an email address or a mobile number")
        self.assertFalse(Rsvp.objects.exists())

    def test_a_bot_that_fills_the_hidden_field_stores_nothing(self) -> None:
        event = make_event(self.local)
        self.client.post(event.public_url(), {"given_name": "Bot", "email": "bot@example.org", "website": "x"})
        self.assertFalse(Rsvp.objects.exists())
        self.assertFalse(EmailAddress.objects.filter(address="bot@example.org").exists())

    def test_drafts_are_not_public_and_members_only_events_are_not_listed(self) -> None:
        self.assertEqual(self.client.get(make_event(self.local, status="draft").public_url()).status_code, 404)
        members = make_event(self.local, title="Members meeting", visibility="members")
        self.assertEqual(self.client.get(members.public_url()).status_code, 200)  # by link
        self.assertNotContains(self.client.get("/find/"), "Members meeting")

    def test_a_members_only_event_seats_members_and_holds_others_without_saying_which(self) -> None:
        event = make_event(self.local, title="Members meeting", visibility="members")
        member = self.client.post(event.public_url(), {"given_name": "Maria", "email": "maria@example.org"})
        other = self.client.post(event.public_url(), {"given_name": "Nadia", "email": "nadia@example.org"})
        self.assertContains(member, "Check your email or texts")
        self.assertContains(other, "Check your email or texts")
        def main(response: Any) -> str:
            html = response.content.decode()
            return html[html.index("<main"):html.index("</main>")]

        self.assertEqual(main(member), main(other))  # the same answer whoever it is
        statuses = dict(Rsvp.objects.values_list("person__given_name", "status"))
        self.assertEqual(statuses, {"Maria": "going", "Nadia": "waitlist"})
        # An organizer who knows Nadia gives her a seat; she is told.
        nadia = Rsvp.objects.get(person__given_name="Nadia")
        self.login(self.organizer)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/events/{event.public_id}/rsvps/{nadia.public_id}/seat/")
        self.run_worker()
        nadia.refresh_from_db()
        self.assertEqual(nadia.status, "going")
        self.assertIn("A spot opened", next(m for m in mail.outbox if m.to == ["nadia@example.org"]
                                            and "spot" in m.body).body)

    def test_someone_elses_email_never_opens_their_rsvp(self) -> None:
        event = make_event(self.local, kind="virtual", join_url="https://meet.example/private")
        with self.captureOnCommitCallbacks(execute=True):
            first = self.client.post(event.public_url(), {"given_name": "Ona", "email": "ona@example.org"})
        self.run_worker()
        answer = Rsvp.objects.get()
        self.assertEqual(first["Location"], answer.get_absolute_url())
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            prying = self.client.post(event.public_url(), {"given_name": "Someone", "email": "ona@example.org"})
        self.assertNotIn(answer.key, prying["Location"])
        self.run_worker()
        theirs = self.client.get(prying["Location"])  # settled: the same answer as any repeated form
        self.assertContains(theirs, "Check your email or texts")
        self.assertNotContains(theirs, answer.key)
        self.assertNotContains(theirs, "meet.example/private")
        self.assertEqual(self.client.post(prying["Location"] + "cancel/").status_code, 404)
        self.assertEqual(Rsvp.objects.get().status, "going")
        self.run_worker()
        self.assertEqual(mail.outbox, [])  # confirmed a moment ago: not sent again yet
        with time_machine.travel(NOW + timedelta(minutes=11), tick=False), \
                self.captureOnCommitCallbacks(execute=True):
            self.client.post(event.public_url(), {"given_name": "Ona", "email": "ona@example.org"})
        with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
            self.run_worker()
        self.assertEqual([m.to for m in mail.outbox], [["ona@example.org"]])  # only to her own inbox
        self.assertIn(answer.key, mail.outbox[0].body)

    def test_find_by_zip_lists_the_nearest_first_with_local_times(self) -> None:
        seattle = make_event(self.local, title="Seattle rally")
        make_event(self.local, title="Tacoma rally", postal_code="98402")
        make_event(self.local, title="Chicago rally", postal_code="60601",
                   starts_at=datetime(2026, 11, 4, 23, 0, tzinfo=UTC))
        make_event(self.local, title="Hidden rally", visibility="unlisted")
        page = self.client.get("/find/", {"zip": "98104", "miles": 50}).content.decode()
        self.assertLess(page.index("Seattle rally"), page.index("Tacoma rally"))
        self.assertNotIn("Chicago rally", page)
        self.assertNotIn("Hidden rally", page)
        online = make_event(self.local, title="Online training", kind="virtual", postal_code="",
                            time_zone="America/Chicago")
        self.assertNotIn("Seattle rally", self.client.get("/find/", {"kind": "virtual"}).content.decode())
        self.assertContains(self.client.get("/find/", {"kind": "virtual"}), online.title)
        self.assertNotContains(self.client.get("/find/", {"kind": "in_person"}), online.title)
        everywhere = self.client.get("/find/").content.decode()
        self.assertIn("Wed, Nov 4, 5 p.m. CST", everywhere)
        self.assertIn(services.when_text(seattle), everywhere)


@time_machine.travel(NOW, tick=False)
class IntakeTests(TurnoutTestCase):
    """An event with no seat to decide answers its RSVP form at once; the worker makes the RSVP."""

    def setUp(self) -> None:
        self.event = make_event(self.local, kind="virtual", join_url="https://meet.example/intake")

    def send(self, event: Event | None = None, **fields: str) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post((event or self.event).public_url(),
                                    {"given_name": "Nia", "email": "nia@example.org", **fields})

    def settle_runs(self) -> int:
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.filter(task_path="turnout.events.tasks.settle_rsvps").ready().count()

    def test_a_burst_of_forms_asks_for_one_run_and_each_becomes_one_rsvp(self) -> None:
        for n in range(5):
            self.assertEqual(self.send(email=f"p{n}@example.org").status_code, 302)
        self.send(email="p0@example.org")  # a double click, or a retry
        self.assertEqual(self.settle_runs(), 1)
        self.assertEqual(RsvpIntake.objects.filter(outcome="").count(), 6)
        self.run_worker()
        self.assertEqual(Rsvp.objects.filter(event=self.event, status="going").count(), 5)
        self.assertEqual(sorted(RsvpIntake.objects.values_list("outcome", flat=True)),
                         ["existing", "going", "going", "going", "going", "going"])
        self.assertEqual(len(mail.outbox), 5)  # one confirmation each; the repeat was confirmed a moment ago
        # One more look two seconds later catches a form that committed just as the run ended.
        self.assertEqual(self.send(email="late@example.org").status_code, 302)
        self.travel_to(NOW + timedelta(seconds=3))
        self.run_worker()
        self.assertTrue(Rsvp.objects.filter(person__emails__address="late@example.org").exists())

    def test_a_run_that_starts_long_after_it_was_asked_for_settles_everything_and_asks_for_no_more_looks(self) -> None:
        """While the worker is busy with a burst, the web servers ask every second; each ask it
        comes to late finds the forms settled or settles them, and queues no second look."""
        self.send(email="early@example.org")  # asks for a run now
        self.travel_to(NOW + timedelta(seconds=5))  # the worker was busy until now
        self.assertEqual(run_due_tasks(), 1)
        self.assertTrue(Rsvp.objects.filter(person__emails__address="early@example.org").exists())
        self.assertEqual(self.settle_runs(), 0)
        self.assertEqual(RsvpIntake.objects.filter(outcome="").count(), 0)

    def test_the_form_built_once_per_event_keeps_each_visitors_words_errors_and_language(self) -> None:
        bad = self.send(given_name="Oskar", email="not an address")
        self.assertContains(bad, "is not a valid email address")
        self.assertContains(bad, 'value="Oskar"')
        fresh = self.client.get(self.event.public_url())
        self.assertNotContains(fresh, "is not a valid email address")
        self.assertNotContains(fresh, "Oskar")
        spanish = self.client.get(self.event.public_url(), headers={"Accept-Language": "es"})
        self.assertContains(spanish, "Envíenme mensajes de texto sobre este evento")
        english = self.client.get(self.event.public_url(), headers={"Accept-Language": "en"})
        self.assertContains(english, "Text me about this event")
        self.assertNotContains(english, "Envíenme")

    def test_settling_twice_makes_one_rsvp(self) -> None:
        self.send()
        intake = RsvpIntake.objects.get()
        self.assertIsNotNone(services.settle(intake.pk))
        self.assertIsNone(services.settle(intake.pk))  # a second worker, or the person's own link
        self.run_worker()
        self.assertEqual(Rsvp.objects.count(), 1)
        self.assertEqual(Person.objects.filter(given_name="Nia").count(), 1)

    def test_the_link_can_cancel_or_add_to_the_calendar_before_the_worker_runs(self) -> None:
        link = self.send()["Location"]
        entry = icalendar.Calendar.from_ical(self.client.get(link + "calendar.ics").content).walk("VEVENT")[0]
        self.assertIn("meet.example/intake", str(entry["DESCRIPTION"]))  # made now, for the person's calendar
        self.client.post(link + "cancel/")
        self.assertEqual(Rsvp.objects.get().status, "cancelled")
        self.run_worker()
        self.assertEqual(Rsvp.objects.get().status, "cancelled")  # the worker does not bring it back

    def test_an_event_cancelled_before_the_worker_runs_refuses_with_the_reason(self) -> None:
        link = self.send(sms_consent="on", phone="2065550123")["Location"]
        services.cancel_event(actor=None, event=self.event)
        self.run_worker()
        self.assertFalse(Rsvp.objects.exists())
        page = self.client.get(link)
        self.assertContains(page, "You're not signed up")
        self.assertContains(page, "This event is not taking RSVPs.")
        self.assertNotContains(page, "meet.example/intake")
        self.assertEqual(RsvpIntake.objects.get().data, {})

    def test_a_spanish_form_is_settled_in_spanish(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.event.public_url(), {"given_name": "Zoe", "phone": "2065550199",
                                                       "sms_consent": "on"}, headers={"Accept-Language": "es"})
        self.run_worker()
        consent = ConsentEvent.objects.get(channel="sms", person__given_name="Zoe")
        self.assertIn("Responda STOP", consent.consent_text)
        self.assertEqual(Person.objects.get(given_name="Zoe").language, "es")

    def test_an_unknown_zip_or_a_closed_event_is_said_at_once(self) -> None:
        response = self.send(postal_code="00000")
        self.assertContains(response, "We do not know this ZIP code.")
        self.assertContains(response, 'value="Nia"')
        self.event.starts_at = NOW - timedelta(days=1)
        self.event.save()
        self.assertContains(self.send(), "This event is over.")
        self.assertFalse(RsvpIntake.objects.exists())

    def test_a_limit_a_limited_shift_or_members_only_decides_while_the_person_waits(self) -> None:
        limited = make_event(self.local, title="Bus to Olympia", capacity=1)
        self.send(limited)
        self.assertEqual(Rsvp.objects.get(event=limited).status, "going")
        shifted = make_event(self.local, title="Phone bank")
        shift = Shift.objects.create(event=shifted, label="Evening", starts_at=shifted.starts_at, capacity=3)
        self.send(shifted, shift=str(shift.pk))
        self.assertEqual(Rsvp.objects.get(event=shifted).shift, shift)
        members = make_event(self.local, title="Members meeting", visibility="members")
        self.assertContains(self.send(members, email="ola@example.org"), "Check your email or texts")
        self.assertEqual(Rsvp.objects.get(event=members).status, "waitlist")
        self.assertFalse(RsvpIntake.objects.exists())

    def test_a_form_that_cannot_be_settled_holds_up_no_other(self) -> None:
        # A stored form the worker cannot read (say, from an older version of the form).
        broken = RsvpIntake.objects.create(event=self.event, data={"unknown_field": "x"})
        self.send(email="after@example.org")
        with self.assertLogs("turnout.events.services", "ERROR"):
            self.run_worker()
        self.assertTrue(Rsvp.objects.filter(person__emails__address="after@example.org").exists())
        broken.refresh_from_db()
        self.assertEqual(broken.outcome, "")  # kept, and tried again on the next run

    def test_a_change_to_the_event_applies_to_the_next_form(self) -> None:
        # The event a form is sent to is kept for a few seconds; a change made since is not missed.
        self.send(email="first@example.org")
        self.travel_to(NOW + timedelta(minutes=1))
        shift = Shift.objects.create(event=self.event, label="Marshals", starts_at=self.event.starts_at, capacity=2)
        self.send(email="marshal@example.org", shift=str(shift.pk))
        self.assertEqual(Rsvp.objects.get(person__emails__address="marshal@example.org").shift, shift)  # at once
        self.event.refresh_from_db()
        services.cancel_event(actor=None, event=self.event)
        self.assertContains(self.send(email="late@example.org"), "This event is cancelled.")
        self.assertEqual(RsvpIntake.objects.count(), 1)


@time_machine.travel(NOW, tick=False)
class ConsoleTests(TurnoutTestCase):
    def test_an_organizer_makes_an_event_in_its_own_local_time(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/events/new/", {
            "group": self.local.pk, "title": "Daily info & action", "kind": "virtual", "time_zone": "America/Chicago",
            "join_url": "https://meet.example/daily", "visibility": "public", "status": "scheduled",
            "date": "2026-11-24", "start": "12:00", "end": "13:00"})
        event = Event.objects.get()
        self.assertRedirects(response, event.get_absolute_url())
        self.assertEqual(event.starts_at, datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
        self.assertEqual(event.reminders, [1440, 60])
        self.assertContains(self.client.get(event.get_absolute_url()), "Tue, Nov 24, noon CST")

    def test_an_in_person_event_needs_a_known_zip_and_keeps_what_was_typed(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/events/new/", {
            "group": self.local.pk, "title": "Picket", "kind": "in_person", "postal_code": "00000",
            "visibility": "public", "status": "scheduled", "date": "2026-11-24", "start": "06:00"})
        self.assertContains(response, "We do not know the ZIP code")
        self.assertContains(response, 'value="Picket"')
        self.assertFalse(Event.objects.exists())

    def test_staff_of_another_group_see_nothing_of_the_event(self) -> None:
        event = make_event(self.local)
        services.rsvp(event, services.RsvpRequest(given_name="Pia", email="pia@example.org"))
        self.login(self.outsider)
        self.assertEqual(self.client.get(event.get_absolute_url()).status_code, 404)
        self.assertNotContains(self.client.get("/events/"), "Rally for a fair contract")
        self.assertEqual(self.client.post(f"/events/{event.public_id}/cancel/").status_code, 404)
        self.assertEqual(Event.objects.get().status, "scheduled")
        self.assertFalse(Person.objects.filter(given_name="Pia", memberships__group=self.other).exists())


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class BuildingTests(TurnoutTestCase):
    def test_an_organizer_adds_shifts_questions_and_reminders_and_the_form_asks_them(self) -> None:
        event = make_event(self.local)
        self.login(self.organizer)
        url = event.get_absolute_url()
        self.client.post(url, {"shift": "1", "label": "Setup", "start": "17:00", "end": "18:00", "capacity": "2"})
        bad = self.client.post(url, {"question": "1", "label": "T-shirt size?", "kind": "choice", "choices": "M"})
        self.assertContains(bad, "Give at least two choices")
        self.client.post(url, {"question": "1", "label": "T-shirt size?", "kind": "choice", "choices": "S\nM\nL",
                               "required": "on"})
        shift = Shift.objects.get(event=event)
        self.assertEqual(shift.starts_at, datetime(2026, 11, 5, 1, 0, tzinfo=UTC))  # 17:00 in Seattle
        page = self.client.get(event.public_url())
        self.assertContains(page, "Setup")
        self.assertContains(page, "T-shirt size?")
        missing = self.client.post(event.public_url(), {"given_name": "Uma", "email": "uma@example.org",
                                                        "shift": str(shift.pk)})
        self.assertContains(missing, "This field is required")
        self.client.post(event.public_url(), {"given_name": "Uma", "email": "uma@example.org", "shift": str(shift.pk),
                                              f"q{event.questions.get().pk}": "M"})
        answer = Rsvp.objects.get(event=event)
        self.assertEqual((answer.shift, answer.answers), (shift, {"T-shirt size?": "M"}))
        self.client.post(f"/events/{event.public_id}/edit/", {
            "group": self.local.pk, "title": event.title, "kind": "in_person", "postal_code": "98101",
            "visibility": "public", "status": "scheduled", "date": "2026-11-04", "start": "18:00",
            "reminder_hours": "48, 2, 0.5"})
        event.refresh_from_db()
        self.assertEqual(event.reminders, [2880, 120, 30])

    def test_an_outsider_cannot_add_to_another_groups_event(self) -> None:
        event = make_event(self.local)
        self.login(self.outsider)
        response = self.client.post(event.get_absolute_url(), {"shift": "1", "label": "x", "start": "17:00"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Shift.objects.exists())


@time_machine.travel(datetime(2026, 10, 20, 18, 0, tzinfo=UTC), tick=False)  # before the switch
class RecurringTests(TurnoutTestCase):
    def test_every_weekday_at_noon_pacific_stays_at_noon_across_the_switch_to_standard_time(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/events/new/", {
            "group": self.local.pk, "title": "Daily info & action", "kind": "virtual",
            "time_zone": "America/Los_Angeles", "join_url": "https://meet.example/daily", "visibility": "public",
            "status": "scheduled", "date": "2026-10-29", "start": "12:00", "end": "12:45",
            "repeats": "weekdays", "repeat_until": "2026-11-06", "reminder_hours": "1"})
        self.assertEqual(response.status_code, 302)
        dates = list(Event.objects.order_by("starts_at").values_list("starts_at", flat=True))
        self.assertEqual(len(dates), 7)  # Thu 29, Fri 30, then Mon 2 to Fri 6 November
        self.assertEqual(dates[1], datetime(2026, 10, 30, 19, 0, tzinfo=UTC))  # 12:00 PDT
        self.assertEqual(dates[2], datetime(2026, 11, 2, 20, 0, tzinfo=UTC))  # 12:00 PST
        self.assertTrue(all(e.local_start().hour == 12 for e in Event.objects.all()))
        self.assertTrue(all(e.ends_at - e.starts_at == timedelta(minutes=45) for e in Event.objects.all()))
        first, second = Event.objects.order_by("starts_at")[:2]
        services.rsvp(first, services.RsvpRequest(given_name="Vi", email="vi@example.org"))
        self.assertEqual((first.rsvps.count(), second.rsvps.count()), (1, 0))  # each date its own RSVPs
        self.assertEqual(first.repeat_rule, "every weekday until 2026-11-06")
        self.assertContains(self.client.get(first.public_url()), "Mon, Nov 2, noon PST")

    def test_a_repeat_needs_an_end_within_a_year(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/events/new/", {
            "group": self.local.pk, "title": "Forever", "kind": "in_person", "postal_code": "98101",
            "visibility": "public", "status": "scheduled", "date": "2026-12-01", "start": "12:00",
            "repeats": "daily"})
        self.assertContains(response, "Say until when it repeats")
        self.assertFalse(Event.objects.exists())


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory", BASE_URL="https://local8.example")
class CampaignTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.campaign = EventCampaign.objects.create(group=self.local, title="Protect the Results",
                                                     local_date=date(2026, 11, 4), local_start=time(17, 0))

    def offer(self, name: str, site_zip: str) -> Any:
        return self.client.post(self.campaign.public_url(), {
            "host": "1", "host-given_name": name, "host-email": f"{name.lower()}@example.org",
            "host-venue": "Union hall", "host-site_zip": site_zip})

    def test_a_volunteer_offers_to_host_an_organizer_approves_and_the_host_gets_their_link(self) -> None:
        response = self.offer("Wren", "97201")
        self.assertRedirects(response, self.campaign.public_url())
        site = Event.objects.get(campaign=self.campaign)
        self.assertEqual((site.status, site.awaiting_approval, site.local_start().hour), ("draft", True, 17))
        self.assertNotContains(self.client.get("/find/"), "Portland")  # not public until approved
        self.assertEqual(self.client.get(site.public_url()).status_code, 404)
        self.login(self.organizer)
        page = self.client.get(self.campaign.get_absolute_url())
        self.assertContains(page, "Offers to host, waiting for you")
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.campaign.get_absolute_url(), {"approve": str(site.public_id), "trust": "1"})
        run_due_tasks()
        site.refresh_from_db()
        self.assertEqual((site.status, site.awaiting_approval), ("scheduled", False))
        self.assertEqual([m.to for m in mail.outbox], [["wren@example.org"]])
        self.assertIn(f"https://local8.example/host/{site.host_key}/", mail.outbox[0].body)
        # Trusted now: the next offer goes live at once.
        self.client.logout()
        self.offer("Wren", "98101")
        self.assertFalse(Event.objects.get(campaign=self.campaign, postal_code="98101").awaiting_approval)

    def test_an_rsvp_to_the_campaign_goes_to_the_nearest_site(self) -> None:
        for zip_code in ("98101", "97201", "60601"):
            services.add_site(actor=None, campaign=self.campaign, event=Event(
                group=self.local, title=f"Site {zip_code}", postal_code=zip_code))
        page = self.client.get(self.campaign.public_url())
        self.assertContains(page, "<title>Protect the Results · Local 8</title>", html=False)
        self.assertContains(page, "Join the nearest action")
        response = self.client.post(self.campaign.public_url(), {
            "rsvp": "1", "rsvp-given_name": "Xan", "rsvp-email": "xan@example.org", "rsvp-postal_code": "98402"})
        answer = Rsvp.objects.get()
        self.assertRedirects(response, answer.get_absolute_url())
        self.assertEqual(answer.event.postal_code, "98101")  # Seattle is nearest to Tacoma
        far = self.client.post(self.campaign.public_url(), {
            "rsvp": "1", "rsvp-given_name": "Yara", "rsvp-email": "yara@example.org", "rsvp-postal_code": "33101"})
        self.assertContains(far, "no site within 100 miles")
        self.assertEqual(Rsvp.objects.count(), 1)

    def test_the_dashboard_rolls_up_sites_by_state_and_flags_those_without_hosts_or_people(self) -> None:
        sites = [services.add_site(actor=None, campaign=self.campaign, event=Event(
            group=self.local, title=f"Site {z}", postal_code=z)) for z in ("98101", "98402", "60601")]
        for n in range(3):
            services.rsvp(sites[0], services.RsvpRequest(given_name=f"P{n}", email=f"p{n}@example.org"))
        sites[0].hosts.add(self.member)
        self.login(self.organizer)
        page = self.client.get(self.campaign.get_absolute_url(), {"under": 2}).content.decode()
        self.assertIn('data-testid="total-going">3<', page)
        self.assertIn("<td>WA</td><td>2</td><td>3</td>", page)
        self.assertIn("<td>IL</td><td>1</td><td>0</td>", page)
        needs = page[page.index("Needs attention"):]
        self.assertIn("Tacoma, WA</a>: 0 · <strong>no host", needs)
        self.assertNotIn("Seattle, WA</a>", needs)
