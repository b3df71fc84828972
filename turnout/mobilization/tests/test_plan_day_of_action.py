"""A national day of action from a standby plan: one date at every site, each person told their
own site at a moment the confirmation page states per time zone, and the public pages live."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from django.core import mail
from django.test import override_settings

from turnout.events.models import Event, EventCampaign, Rsvp, Status
from turnout.events.services import save_event
from turnout.messaging.models import Delivery
from turnout.messaging.transports import simple
from turnout.mobilization import services
from turnout.mobilization.models import Member, Network, Plan, Pledge, Signature
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_person

# Sunday 6 Dec 2026, 1 a.m. in New York, midnight in Chicago, 11 p.m. Saturday in Denver, 10 p.m. in Seattle.
LATE_NIGHT = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
BASE = "https://turnout.example.org"
SITES = (("10001", "New York"), ("60608", "Chicago"), ("80202", "Denver"), ("98101", "Seattle"))


@time_machine.travel(LATE_NIGHT, tick=False)
@override_settings(SMS_BACKEND="memory", ORGANIZATION_NAME="Election Coalition", BASE_URL=BASE)
class DayOfActionTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.campaign = EventCampaign.objects.create(
            group=self.local, title="Count every vote", status=Status.STANDBY,
            standby_condition="the count is stopped", local_date=date(2026, 12, 16), local_start=time(17, 0))
        self.sites: dict[str, Event] = {}
        for zip_code, city in SITES:
            self.sites[city] = save_event(actor=None, event=Event(
                group=self.local, title=f"Count every vote — {city}", venue=f"{city} City Hall",
                address="1 Main St", postal_code=zip_code, campaign=self.campaign, status=Status.STANDBY,
                standby_condition="the count is stopped",
                starts_at=LATE_NIGHT + timedelta(days=10), ends_at=LATE_NIGHT + timedelta(days=10, hours=2)))
        pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We will.")
        network = Network.objects.create(group=self.local, name="Rapid Response")
        # New York, texts allowed, signed up for the New York site.
        self.nina = self.texter("Nina", "10001", "+12125550111")
        Rsvp.objects.create(event=self.sites["New York"], person=self.nina)
        # Chicago, in the network, reads Spanish.
        self.carla = self.texter("Carla", "60608", "+13125550122")
        self.carla.language = "es"
        self.carla.save()
        Member.objects.create(network=network, person=self.carla)
        # Denver: one signer agreed to email; another agreed to nothing and cannot be told.
        self.dora = make_person(self.local, given_name="Dora", postal_code="80202", email="dora@example.org")
        record_consent(person=self.dora, channel="email", address="dora@example.org", action="opt_in", source="form")
        Signature.objects.create(pledge=pledge, person=self.dora)
        Signature.objects.create(pledge=pledge, person=make_person(self.local, given_name="Ed", postal_code="80202"))
        # Seattle, in the network (Maria).
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        Member.objects.create(network=network, person=self.member)
        # Anchorage: in the network, and no site within a thousand miles.
        self.al = self.texter("Al", "99501", "+19075550133")
        Member.objects.create(network=network, person=self.al)
        self.plan = Plan.objects.create(group=self.local, name="Count every vote", condition="the count is stopped",
                                        subject="It is on", body="It is on.", body_es="Ya empezó.",
                                        start_days_after=1, start_local_time=time(17, 0))
        self.plan.campaigns.add(self.campaign)
        self.plan.pledges.add(pledge)
        self.plan.networks.add(network)

    def texter(self, name: str, zip_code: str, number: str):  # type: ignore[no-untyped-def]
        person = make_person(self.local, given_name=name, postal_code=zip_code, phone=number)
        record_consent(person=person, channel="sms", address=number, action="opt_in", source="form")
        return person

    def pull(self) -> services.TriggerResult:
        with self.captureOnCommitCallbacks(execute=True):
            return services.pull_trigger(actor=self.admin, plan=self.plan)

    def local_starts(self) -> dict[str, datetime]:
        return {city: Event.objects.get(pk=e.pk).local_start().replace(tzinfo=None) for city, e in self.sites.items()}

    def test_every_site_starts_on_the_same_date_counted_in_the_plans_zone(self) -> None:
        self.pull()
        # The day after Sunday in New York (the plan's zone by default) is Monday everywhere.
        self.assertEqual(set(self.local_starts().values()), {datetime(2026, 12, 7, 17, 0)})

    def test_a_plan_in_pacific_time_counts_the_day_there_for_every_site(self) -> None:
        self.plan.time_zone = "America/Los_Angeles"
        self.plan.save()
        self.pull()
        self.assertEqual(set(self.local_starts().values()), {datetime(2026, 12, 6, 17, 0)})

    def test_a_plan_with_a_calendar_date_puts_every_site_on_it(self) -> None:
        self.plan.start_date, self.plan.start_days_after = date(2026, 12, 9), None
        self.plan.save()
        self.pull()
        self.assertEqual(set(self.local_starts().values()), {datetime(2026, 12, 9, 17, 0)})

    def test_the_preview_counts_exactly_what_goes_out_and_when_per_zone(self) -> None:
        summary = services.summarize(self.plan)
        self.assertEqual((summary.texted, summary.emailed, summary.too_far, summary.unreachable), (3, 1, 1, 1))
        told = {(row.zone, row.texts, row.emails, row.when) for row in summary.zones}
        self.assertEqual(told, {
            ("America/Chicago", 1, 0, datetime(2026, 12, 6, 15, 0, tzinfo=UTC)),  # 9 a.m. CST: quiet hours end
            ("America/Denver", 0, 1, None),  # email: now
            ("America/Los_Angeles", 1, 0, datetime(2026, 12, 6, 17, 0, tzinfo=UTC)),
            ("America/New_York", 1, 0, datetime(2026, 12, 6, 14, 0, tzinfo=UTC))})
        result = self.pull()
        self.assertEqual((result.texted, result.emailed), (summary.texted, summary.emailed))
        self.run_worker()
        self.assertEqual(len(mail.outbox), summary.emailed)  # the email goes at once…
        self.assertEqual(simple.outbox, [])  # …every text waits for its morning
        for row in summary.zones:
            if row.texts:
                with time_machine.travel(row.when, tick=False):
                    self.run_worker()
        self.assertEqual(len(simple.outbox), summary.texted)
        self.assertEqual(Delivery.objects.filter(message__plans=self.plan, status="sent").count(), summary.people)

    def test_the_confirmation_page_says_who_is_told_now_and_who_waits_until_when(self) -> None:
        self.login(self.admin)
        page = self.client.get(f"/mobilize/plans/{self.plan.public_id}/trigger/")
        self.assertContains(page, 'data-testid="summary-texted">3<')
        self.assertContains(page, 'data-testid="summary-emailed">1<')
        self.assertContains(page, "waits for quiet hours to end: Sun, Dec 6, 9 a.m. PST")
        self.assertContains(page, "waits for quiet hours to end: Sun, Dec 6, 9 a.m. EST")
        self.assertContains(page, "Every site starts on Monday, December 7, at 5 p.m. on its own clock.")
        self.assertContains(page, "1 person has no site within 50 miles and is not told.")
        self.assertNotContains(page, "at once")
        self.assertContains(page, f"{BASE}{self.sites['Seattle'].public_url()}")  # the sample message (Maria's)

    def test_each_person_is_told_their_own_site_with_its_address_time_and_link_in_their_language(self) -> None:
        self.plan.notify_local_time = time(10, 0)
        self.plan.save()
        self.pull()
        with time_machine.travel(datetime(2026, 12, 6, 20, 0, tzinfo=UTC), tick=False):
            self.run_worker()
        texts = {s.to: s.body for s in simple.outbox}
        nina = texts["+12125550111"]
        self.assertIn("It is on.\nLocal 8: your site is Count every vote — New York, New York City Hall, 1 Main St", nina)
        self.assertIn("Mon, Dec 7, 5 p.m. EST", nina)
        self.assertIn(f"{BASE}{self.sites['New York'].public_url()}", nina)
        self.assertIn("Count every vote — Seattle", texts["+12065550123"])
        self.assertIn("5 p.m. PST", texts["+12065550123"])
        carla = texts["+13125550122"]
        self.assertIn("Ya empezó.\nLocal 8: su sitio es Count every vote — Chicago", carla)
        self.assertIn(f"{BASE}{self.sites['Chicago'].public_url()}", carla)
        self.assertNotIn("your site", carla)
        [email] = mail.outbox
        self.assertIn("Count every vote — Denver", email.body)
        self.assertNotIn("+19075550133", texts)  # Anchorage: no site, so nothing by default
        self.login(self.admin)
        self.assertContains(self.client.get(self.plan.get_absolute_url()),
                            "1 person had no site within 50 miles and was not told.")

    def test_through_the_api_the_preview_gives_each_zone_and_the_trigger_sends_that_many(self) -> None:
        import json

        from turnout.accounts.services import create_api_token

        _token, key = create_api_token(actor=None, user=self.admin, group=self.local, name="crm")

        def call(method: str, path: str) -> dict:  # type: ignore[type-arg]
            answer = getattr(self.client, method)(f"/api/v2/plans/{self.plan.public_id}{path}",
                                                  content_type="application/json", headers={"OSDI-API-Token": key})
            self.assertEqual(answer.status_code, 200, answer.content)
            return json.loads(answer.content)

        preview = call("get", "")["if_triggered_now"]
        self.assertEqual((preview["texted"], preview["emailed"], preview["start_date"], preview["too_far"]),
                         (3, 1, "2026-12-07", 1))
        seattle = next(z for z in preview["by_zone"] if z["time_zone"] == "America/Los_Angeles")
        self.assertEqual((seattle["texted"], seattle["told_date"], seattle["waits_for_quiet_hours"]),
                         (1, "2026-12-06T17:00:00Z", True))
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(call("post", "/trigger")["result"], "triggered")
        queued = Delivery.objects.filter(message__plans=self.plan, status="queued")
        self.assertEqual((queued.filter(channel="sms").count(), queued.filter(channel="email").count()), (3, 1))

    def test_someone_far_from_every_site_is_told_the_nearest_when_the_plan_says_so(self) -> None:
        self.plan.far_away = Plan.FarAway.NEAREST
        self.plan.save()
        self.assertEqual(services.summarize(self.plan).too_far, 0)
        self.pull()
        held = Delivery.objects.get(message__plans=self.plan, person=self.al)
        body = held.message.body
        self.assertIn("Local 8: the nearest site to you is Count every vote — Seattle", body)
        self.assertIn(f"{BASE}{self.sites['Seattle'].public_url()}", body)

    def test_the_campaign_and_site_pages_say_it_is_on_with_the_new_date(self) -> None:
        before = self.client.get(self.campaign.public_url())
        self.assertContains(before, "Wed, Dec 16")
        self.pull()
        page = self.client.get(self.campaign.public_url())
        self.assertContains(page, 'data-testid="its-on"')
        self.assertContains(page, "Monday, December 7, at 5 p.m. local time")
        self.assertContains(page, "5 p.m. local time, Mon, Dec 7, everywhere")
        self.assertNotContains(page, "Dec 16")
        self.assertNotContains(page, "On standby")
        self.assertNotContains(page, "only if")
        site = self.client.get(self.sites["Denver"].public_url())
        self.assertContains(site, 'data-testid="its-on"')
        self.assertContains(site, "Mon, Dec 7, 5 p.m. MST")
        self.assertNotContains(site, "only if")
        spanish = self.client.get(self.campaign.public_url(), headers={"accept-language": "es"})
        self.assertContains(spanish, "Ya empezó")


class PlanFormTests(TurnoutTestCase):
    def test_a_plan_takes_a_zone_a_date_and_what_to_do_with_people_far_away(self) -> None:
        self.login(self.admin)
        form = {"group": self.local.pk, "name": "Count every vote", "condition": "the count is stopped",
                "subject": "It is on", "body": "It is on.", "time_zone": "Mars/Olympus", "start_date": "2026-12-09",
                "start_days_after": "2", "start_local_time": "17:00", "site_miles": "25", "far_away": "nearest",
                "notify_days_after": "0"}
        page = self.client.post("/mobilize/plans/new/", form)
        self.assertContains(page, "Give a time zone such as America/New_York.")
        self.assertContains(page, "Give a date or a number of days after the trigger, not both.")
        self.assertContains(page, 'value="Mars/Olympus"')
        self.assertFalse(Plan.objects.exists())
        form.update(time_zone="America/Chicago", start_days_after="")
        self.client.post("/mobilize/plans/new/", form)
        plan = Plan.objects.get()
        self.assertEqual((plan.zone, plan.start_date, plan.site_miles, plan.far_away),
                         ("America/Chicago", date(2026, 12, 9), 25, "nearest"))
