"""A texting campaign's audience from another part of Turnout: an event's attendees, a network's
members, an organizing campaign's roster; through the console and through the API, and never a
record of another group's. And the links a first text may carry to the campaign's event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import override_settings
from django.utils import timezone

from turnout.api.tests.base import ApiTestCase
from turnout.events.models import Event, Rsvp
from turnout.messaging.transports import simple
from turnout.mobilization.models import Member, Network
from turnout.organizing.models import Campaign, Employer, Unit, Worker, Workplace
from turnout.people.models import Person
from turnout.people.services import add_tag, record_consent
from turnout.sharing.models import ShareCode
from turnout.site.testing import make_person
from turnout.texting import services
from turnout.texting.models import Conversation, TextingCampaign

SCRIPT = "Hi {first_name}, it's {texter_first_name} with Local 8. See you Friday? Reply STOP to opt out."


def texted(person: Person) -> Person:
    record_consent(person=person, channel="sms", address=person.phones.get().number, action="opt_in",
                   source="form")
    return person


@override_settings(SMS_BACKEND="memory", SMS_SENDERS=["+12065550000"])
class AudienceSourceTests(ApiTestCase):
    def setUp(self) -> None:
        self.travel_to(datetime(2031, 3, 12, 19, 0, tzinfo=UTC))  # noon in Seattle
        texted(self.member)
        self.going, self.cancelled, self.bystander = (
            texted(make_person(self.local, given_name=name, phone=f"+1206555{n:04d}")) for n, name in
            enumerate(["Gina", "Carl", "Bo"], start=300))
        self.event = Event.objects.create(group=self.local, title="Rally", postal_code="98101",
                                          starts_at=timezone.now() + timedelta(days=2))
        Rsvp.objects.create(event=self.event, person=self.going)
        Rsvp.objects.create(event=self.event, person=self.cancelled, status=Rsvp.Status.CANCELLED)
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        Member.objects.create(network=self.network, person=self.bystander)
        self.theirs = Network.objects.create(group=self.other, name="Eastside network")

    def contacts(self) -> set[str]:
        return set(Conversation.objects.values_list("person__given_name", flat=True))

    def test_an_events_attendees_through_the_console(self) -> None:
        self.login(self.organizer)
        page = self.client.get("/texting/new/")
        self.assertContains(page, "Going to an event")
        self.assertContains(page, f'value="event:{self.event.public_id}"')
        self.assertNotContains(page, "Eastside network")  # another group's: not offered
        response = self.client.post("/texting/new/", {
            "title": "Rally reminder", "from_group": self.local.pk, "script": SCRIPT, "reassign_after": "20",
            "senders": ["+12065550000"], "source": f"event:{self.event.public_id}"})
        self.assertEqual(response.status_code, 302, response.content[:1500])
        campaign = TextingCampaign.objects.get()
        page = self.client.get(f"/texting/{campaign.public_id}/")
        self.assertContains(page, "1 number will be texted")  # the count before launch: Gina alone
        self.client.post(f"/texting/{campaign.public_id}/launch/")
        self.assertEqual(self.contacts(), {"Gina"})  # not the cancelled RSVP, not the member

    def test_another_groups_network_is_refused_at_the_console(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/texting/new/", {
            "title": "Theirs", "from_group": self.local.pk, "script": SCRIPT, "reassign_after": "20",
            "senders": ["+12065550000"], "source": f"network:{self.theirs.public_id}"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Select a valid choice")
        self.assertContains(response, "Theirs")  # what was typed is kept
        self.assertFalse(TextingCampaign.objects.exists())

    def test_a_networks_members_and_a_roster_through_the_api(self) -> None:
        base = "http://testserver/api/v2/"
        draft = self.ok("POST", "texting_campaigns", {
            "title": "Call out", "script": SCRIPT,
            "targets": [{"href": f"{base}networks/{self.network.public_id}"}]}, status=201)
        self.assertEqual(draft["targets"], [{"href": f"{base}networks/{self.network.public_id}"}])
        campaign_id = draft["identifiers"][0].split(":")[1]
        launched = self.ok("POST", f"texting_campaigns/{campaign_id}/launch")
        self.assertEqual(launched["statistics"]["contacts"], 1)
        self.assertEqual(self.contacts(), {"Bo"})
        # An organizing campaign's roster, through the same door.
        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee")
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike", postal_code="98101")
        organizing = Campaign.objects.create(group=self.local, name="Bean Street Workers", union_name="Local 8")
        unit = Unit.objects.create(campaign=organizing, workplace=workplace)
        Worker.objects.create(unit=unit, person=self.member)
        Worker.objects.create(unit=unit, person=self.going, eligible=False)  # the shift supervisor: never
        target = [{"href": f"{base}organizing_campaigns/{organizing.public_id}"}]
        roster = self.ok("POST", "texting_campaigns", {"title": "Card drive", "script": SCRIPT, "targets": target},
                         status=201)
        self.ok("POST", f"texting_campaigns/{roster['identifiers'][0].split(':')[1]}/launch")
        self.assertEqual(set(Conversation.objects.filter(campaign__title="Card drive")
                             .values_list("person__given_name", flat=True)), {"Maria"})
        # A locked campaign (a lost phone, a leak) is its admins' alone: an organizer cannot text its roster.
        organizing.locked_at = timezone.now()
        organizing.save(update_fields=["locked_at"])
        locked = self.api("POST", "texting_campaigns", {"title": "Locked", "script": SCRIPT, "targets": target})
        self.assertEqual(locked.status_code, 400)

    def test_another_groups_network_is_refused_by_the_api(self) -> None:
        response = self.api("POST", "texting_campaigns", {
            "title": "Theirs", "script": SCRIPT,
            "targets": [{"href": f"http://testserver/api/v2/networks/{self.theirs.public_id}"}]})
        self.assertEqual(response.status_code, 400)
        self.assertIn("is not a tag, list, event, network or organizing campaign", response.json()["error"])
        self.assertFalse(TextingCampaign.objects.exists())


LINKED = "Hi {first_name}, it's {texter_first_name} with Local 8: RSVP and bring a friend {share_link} Reply STOP to opt out."


@override_settings(SMS_BACKEND="memory", SMS_SENDERS=["+12065550000"], BASE_URL="https://turnout.example.org")
class EventLinkTests(ApiTestCase):
    """{event_link} and {share_link}: the campaign's event page, the second with the contact's own
    share code, so whoever they pass it to is counted as theirs."""

    def setUp(self) -> None:
        self.travel_to(datetime(2031, 3, 12, 19, 0, tzinfo=UTC))  # noon in Seattle
        texted(self.member)
        self.event = Event.objects.create(group=self.local, title="Rally", postal_code="98101",
                                          starts_at=timezone.now() + timedelta(days=2))
        simple.outbox.clear()

    def test_each_contact_gets_their_own_share_link_through_the_console(self) -> None:
        self.login(self.organizer)
        fields = {"title": "Rally reminder", "from_group": self.local.pk, "script": LINKED, "reassign_after": "20",
                  "senders": ["+12065550000"]}
        refused = self.client.post("/texting/new/", fields)
        self.assertContains(refused, "Choose the event that {event_link} and {share_link} lead to.")
        self.assertContains(refused, "bring a friend {share_link}")  # what was typed is kept
        response = self.client.post("/texting/new/", {**fields, "event": str(self.event.public_id)})
        self.assertEqual(response.status_code, 302, response.content[:1500])
        campaign = TextingCampaign.objects.get()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/texting/{campaign.public_id}/launch/")
        texter, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        services.take_batch(texter=texter, size=5)
        with self.captureOnCommitCallbacks(execute=True):
            services.send_first(texter=texter, conversation_id=Conversation.objects.get().pk)
        self.run_worker()
        code = ShareCode.objects.get(person=self.member).code
        page = f"https://turnout.example.org{self.event.public_url()}"
        self.assertEqual(len(simple.outbox), 1)
        self.assertIn(f"bring a friend {page}?ref={code} Reply STOP", simple.outbox[0].body)

    def test_an_event_link_through_the_api_and_a_link_without_an_event_refused(self) -> None:
        base = "http://testserver/api/v2/"
        tag = add_tag(person=self.member, group=self.local, name="rally").tag
        targets = [{"href": f"{base}tags/{tag.public_id}"}]
        refused = self.api("POST", "texting_campaigns", {"title": "Rally", "script": LINKED, "targets": targets})
        self.assertEqual(refused.status_code, 400)
        self.assertIn("Choose the event", refused.json()["error"])
        draft = self.ok("POST", "texting_campaigns", {
            "title": "Rally", "targets": targets, "turnout:event": {"href": f"{base}events/{self.event.public_id}"},
            "script": "Hi {first_name}, Local 8 here: the rally is on {event_link} Reply STOP to opt out."},
            status=201)
        self.assertEqual(draft["turnout:event"], {"href": f"{base}events/{self.event.public_id}"})
        self.ok("POST", f"texting_campaigns/{draft['identifiers'][0].split(':')[1]}/launch")
        campaign = TextingCampaign.objects.get()
        texter, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        services.take_batch(texter=texter, size=5)
        with self.captureOnCommitCallbacks(execute=True):
            services.send_first(texter=texter, conversation_id=Conversation.objects.get().pk)
        self.run_worker()
        self.assertIn(f"the rally is on https://turnout.example.org{self.event.public_url()} Reply STOP",
                      simple.outbox[0].body)
        self.assertFalse(ShareCode.objects.exists())  # no share code made for a text that has none
