"""Pledges, and standby plans: the trigger publishes every site at its local time and tells everyone once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import time_machine
from django.test import override_settings
from django.utils import timezone

from turnout.accounts.models import Role
from turnout.core.models import AuditEntry
from turnout.events.models import Event, EventCampaign, Rsvp, Status
from turnout.events.services import save_event
from turnout.messaging.models import Delivery
from turnout.messaging.transports import simple
from turnout.mobilization import services
from turnout.mobilization.models import Member, Network, Plan, Pledge, Signature
from turnout.people.models import ConsentEvent, Person
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_person, make_staff

# Tuesday 3 Nov 2026, 10:00 in Seattle, 11:00 in Phoenix, 13:00 in New York.
TRIGGER_DAY = datetime(2026, 11, 3, 18, 0, tzinfo=UTC)


@override_settings(SMS_BACKEND="memory")
class PledgeTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.pledge = Pledge.objects.create(group=self.local, title="Protect the results",
                                            text="We will refuse to accept results until all votes are counted.",
                                            goal=100)

    def test_signing_on_the_public_page_counts_once_per_person_with_consent_recorded(self) -> None:
        page = self.client.get(self.pledge.public_url())
        self.assertContains(page, "until all votes are counted")
        self.assertContains(page, "0 people have signed")
        form = {"given_name": "Rosa", "phone": "(206) 555-0142", "sms_consent": "on", "postal_code": "98101"}
        response = self.client.post(self.pledge.public_url(), form)
        self.assertContains(response, "Thank you for signing")
        self.client.post(self.pledge.public_url(), form)
        self.settle_forms()
        self.assertEqual(Signature.objects.filter(pledge=self.pledge).count(), 1)
        self.assertContains(self.client.get(self.pledge.public_url()), "1 person has signed")
        consents = ConsentEvent.objects.filter(channel="sms", address="+12065550142")
        self.assertTrue(consents.exists())
        self.assertTrue(all("Text me about this pledge" in c.consent_text for c in consents))

    def test_a_bad_phone_keeps_what_was_typed(self) -> None:
        response = self.client.post(self.pledge.public_url(), {"given_name": "Rosa", "phone": "12",
                                                               "postal_code": "98101"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'value="Rosa"')
        self.assertFalse(Signature.objects.exists())

    def test_spanish_page(self) -> None:
        page = self.client.get(self.pledge.public_url(), headers={"accept-language": "es"})
        self.assertContains(page, "Me comprometo")


@time_machine.travel(TRIGGER_DAY, tick=False)
@override_settings(SMS_BACKEND="memory", ORGANIZATION_NAME="Election Coalition")
class TriggerTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.second_admin = make_staff("second@example.org", self.council, Role.ADMIN)
        self.campaign = EventCampaign.objects.create(group=self.local, title="Count every vote",
                                                     status=Status.STANDBY,
                                                     standby_condition="the results are not respected")
        self.sites = {}
        for zip_code, city in (("98101", "Seattle"), ("85004", "Phoenix"), ("10001", "New York")):
            self.sites[city] = save_event(actor=None, event=Event(
                group=self.local, title=f"Count every vote — {city}", postal_code=zip_code, campaign=self.campaign,
                status=Status.STANDBY, standby_condition="the results are not respected",
                starts_at=TRIGGER_DAY + timedelta(days=30), ends_at=TRIGGER_DAY + timedelta(days=30, hours=2)))
        self.pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We will.")
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        # New York: signed the pledge and RSVP'd to the New York site; told once, by text.
        self.nina = make_person(self.local, given_name="Nina", postal_code="10001", phone="+12125550111")
        record_consent(person=self.nina, channel="sms", address="+12125550111", action="opt_in", source="form")
        Signature.objects.create(pledge=self.pledge, person=self.nina)
        Rsvp.objects.create(event=self.sites["New York"], person=self.nina)
        # Seattle: in the network, texts allowed (Maria).
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        Member.objects.create(network=self.network, person=self.member)
        # Phoenix: RSVP'd with email only: told by email.
        self.pablo = make_person(self.local, given_name="Pablo", postal_code="85004", email="pablo@example.org")
        record_consent(person=self.pablo, channel="email", address="pablo@example.org", action="opt_in", source="form")
        Rsvp.objects.create(event=self.sites["Phoenix"], person=self.pablo)
        # Someone in none of them hears nothing.
        make_person(self.local, given_name="Ursula", postal_code="98101", phone="+12065550166")
        self.plan = Plan.objects.create(group=self.local, name="Count every vote", condition="the results are not respected",
                                        subject="It is on", body="It is on: 5 p.m. tomorrow at your site.",
                                        start_days_after=1, start_local_time=time(17, 0))
        self.plan.campaigns.add(self.campaign)
        self.plan.pledges.add(self.pledge)
        self.plan.networks.add(self.network)

    def people_told(self) -> list[tuple[str, str]]:
        return sorted(Delivery.objects.filter(message__plans=self.plan).values_list("person__given_name", "channel"))

    def test_pulling_the_trigger_publishes_every_site_at_five_pm_local_the_next_day(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            result = services.pull_trigger(actor=self.admin, plan=self.plan)
        self.assertEqual((result.state, result.events, result.texted, result.emailed), ("triggered", 3, 2, 1))
        starts = {city: Event.objects.get(pk=e.pk) for city, e in self.sites.items()}
        self.assertEqual(starts["Seattle"].starts_at, datetime(2026, 11, 5, 1, 0, tzinfo=UTC))  # 17:00 PST
        self.assertEqual(starts["Phoenix"].starts_at, datetime(2026, 11, 5, 0, 0, tzinfo=UTC))  # 17:00 MST, no DST
        self.assertEqual(starts["New York"].starts_at, datetime(2026, 11, 4, 22, 0, tzinfo=UTC))  # 17:00 EST
        self.assertEqual(starts["New York"].ends_at, datetime(2026, 11, 5, 0, 0, tzinfo=UTC))  # still two hours
        self.assertEqual({e.status for e in starts.values()}, {Status.SCHEDULED})
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.status, Status.SCHEDULED)
        self.assertEqual(self.people_told(), [("Maria", "sms"), ("Nina", "sms"), ("Pablo", "email")])
        self.run_worker()
        self.assertEqual(sorted(s.to for s in simple.outbox), ["+12065550123", "+12125550111"])
        page = self.client.get(self.sites["Seattle"].public_url())
        self.assertNotContains(page, "On standby")
        self.assertContains(page, "5 p.m.")

    def test_pulling_it_twice_does_nothing_more(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            services.pull_trigger(actor=self.admin, plan=self.plan)
        again = services.pull_trigger(actor=self.second_admin, plan=self.plan)
        self.assertEqual(again.state, "already triggered")
        self.assertEqual(Delivery.objects.filter(message__plans=self.plan).count(), 3)

    def test_people_are_told_at_nine_in_their_own_zone(self) -> None:
        self.plan.notify_local_time, self.plan.notify_days_after = time(9, 0), 1
        self.plan.save()
        services.pull_trigger(actor=self.admin, plan=self.plan)
        held = dict(Delivery.objects.filter(message__plans=self.plan).values_list("person__given_name", "not_before"))
        self.assertEqual(held["Nina"], datetime(2026, 11, 4, 14, 0, tzinfo=UTC))  # 09:00 EST
        self.assertEqual(held["Maria"], datetime(2026, 11, 4, 17, 0, tzinfo=UTC))  # 09:00 PST
        self.assertEqual(held["Pablo"], datetime(2026, 11, 4, 16, 0, tzinfo=UTC))  # 09:00 MST

    def test_two_admins_are_needed_when_the_plan_says_so(self) -> None:
        self.plan.requires_two_people = True
        self.plan.save()
        first = services.pull_trigger(actor=self.admin, plan=self.plan)
        self.assertEqual(first.state, "awaiting approval")
        self.assertFalse(Delivery.objects.exists())
        with self.assertRaises(services.MobilizationError):
            services.pull_trigger(actor=self.admin, plan=self.plan)
        second = services.pull_trigger(actor=self.second_admin, plan=self.plan)
        self.assertEqual(second.state, "triggered")
        entry = AuditEntry.objects.filter(target_id=str(self.plan.public_id)).order_by("-pk").first()
        self.assertIn("asked by admin@example.org", entry.summary)

    def test_the_confirmation_states_what_will_happen_and_needs_the_plans_name(self) -> None:
        self.login(self.admin)
        page = self.client.get(f"/mobilize/plans/{self.plan.public_id}/trigger/")
        self.assertContains(page, 'data-testid="summary-events">3<')
        self.assertContains(page, 'data-testid="summary-texted">2<')
        self.assertContains(page, 'data-testid="summary-emailed">1<')
        self.assertContains(page, "America/New_York")
        wrong = self.client.post(f"/mobilize/plans/{self.plan.public_id}/trigger/", {"confirm": "yes"})
        self.assertContains(wrong, "That is not the plan")
        self.assertEqual(Plan.objects.get().status, Plan.Status.ARMED)
        with self.captureOnCommitCallbacks(execute=True):
            done = self.client.post(f"/mobilize/plans/{self.plan.public_id}/trigger/", {"confirm": "count every vote"})
        self.assertRedirects(done, self.plan.get_absolute_url())
        self.assertEqual(Plan.objects.get().status, Plan.Status.TRIGGERED)

    def test_an_organizer_cannot_pull_the_trigger(self) -> None:
        self.login(self.organizer)
        self.assertEqual(self.client.get(f"/mobilize/plans/{self.plan.public_id}/trigger/").status_code, 403)
        self.assertEqual(self.client.post(f"/mobilize/plans/{self.plan.public_id}/trigger/",
                                          {"confirm": "Count every vote"}).status_code, 403)
        self.assertEqual(Plan.objects.get().status, Plan.Status.ARMED)

    def test_a_drill_changes_nothing_and_is_on_record(self) -> None:
        self.login(self.admin)
        self.client.post(f"/mobilize/plans/{self.plan.public_id}/drill/")
        self.assertEqual(Plan.objects.get().status, Plan.Status.ARMED)
        self.assertFalse(Delivery.objects.exists())
        self.assertEqual(Event.objects.filter(status=Status.STANDBY).count(), 3)
        self.assertTrue(AuditEntry.objects.filter(summary__startswith="Drill: would publish 3 events").exists())


class NetworkJoinTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.network = Network.objects.create(group=self.local, name="Rapid Response Network")

    def test_joining_on_the_public_form_records_skills_and_text_consent(self) -> None:
        form = {"given_name": "Rosa", "family_name": "Diaz", "phone": "206-555-0142", "sms_consent": "on",
                "postal_code": "98101", "travel_miles": "25", "availability": ["weekend", "short_notice"],
                "skills": ["medic", "interpreter"], "languages": ["es", "en"]}
        response = self.client.post(self.network.public_url(), form)
        self.assertContains(response, "in the network")
        member = Member.objects.get(network=self.network)
        self.assertEqual((member.travel_miles, member.skills, member.languages), (25, ",interpreter,medic,", ",en,es,"))
        self.assertEqual(member.person.phones.get().sms_status, "subscribed")
        consent = ConsentEvent.objects.get(address="+12065550142")
        self.assertIn("calls on the network", consent.consent_text)
        form["skills"] = ["driver"]
        self.client.post(self.network.public_url(), form)
        self.assertEqual(Member.objects.get(network=self.network).skills, ",driver,")
        self.assertEqual(Person.objects.filter(given_name="Rosa").count(), 1)

    def test_a_zip_is_needed_and_a_bad_one_is_explained(self) -> None:
        response = self.client.post(self.network.public_url(), {"given_name": "Rosa", "phone": "206-555-0142",
                                                                "postal_code": "00000", "travel_miles": "10"})
        self.assertContains(response, "We do not know this ZIP code.")
        self.assertContains(response, 'value="206-555-0142"')
        self.assertFalse(Member.objects.exists())

    def test_staff_add_everyone_with_a_tag(self) -> None:
        from turnout.people.services import add_tag

        add_tag(person=self.member, group=self.local, name="rapid-response")
        self.login(self.organizer)
        self.client.post(f"/mobilize/networks/{self.network.public_id}/add/", {"tag": "rapid-response"})
        self.assertEqual(list(Member.objects.values_list("person__given_name", flat=True)), ["Maria"])
        page = self.client.get(self.network.get_absolute_url())
        self.assertContains(page, "Maria")


class ConsolePagesTests(TurnoutTestCase):
    def test_an_organizer_makes_a_network_and_a_pledge_and_an_admin_a_plan(self) -> None:
        self.login(self.organizer)
        made = self.client.post("/mobilize/networks/new/", {"group": self.local.pk, "name": "Rapid Response"})
        network = Network.objects.get()
        self.assertRedirects(made, network.get_absolute_url())
        self.assertEqual(network.created_by, self.organizer)
        self.client.post("/mobilize/pledges/new/", {"group": self.local.pk, "title": "Protect the results",
                                                    "text": "We will.", "is_open": "on"})
        home = self.client.get("/mobilize/")
        self.assertContains(home, "Rapid Response")
        self.assertContains(home, "Protect the results")
        self.assertEqual(self.client.get("/mobilize/plans/new/").status_code, 403)  # plans are for admins
        standby = save_event(actor=None, event=Event(group=self.local, title="Standby rally", postal_code="98101",
                                                     status=Status.STANDBY,
                                                     starts_at=timezone.now() + timedelta(days=30)))
        self.login(self.admin)
        self.client.post("/mobilize/plans/new/", {
            "group": self.local.pk, "name": "If they stop the count", "condition": "the count is stopped",
            "events": [standby.pk], "networks": [network.pk], "tell_rsvps": "on", "subject": "It is on",
            "body": "It is on.", "start_days_after": "1", "start_local_time": "17:00", "notify_days_after": "0"})
        plan = Plan.objects.get()
        self.assertEqual(list(plan.events.all()), [standby])
        self.assertEqual(AuditEntry.objects.filter(target_id=str(plan.public_id), action="create").count(), 1)
        page = self.client.get(plan.get_absolute_url())
        self.assertContains(page, 'data-testid="summary-events">1<')
        self.assertContains(page, "Pull the trigger")
