"""One rule at every door: the same submission at each public page, a host's walk-in, the API's
signup helper and the CSV import meets `people.services.signup_person`, case by case.

Public doors and a host's walk-in only fill blanks; the API and an import, acting for the group,
write what they send. Only the person's own form restores a consent they withdrew. Nothing that
another group holds is found, changed or revealed at any door."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from turnout.actions import services as actions
from turnout.actions.models import Form, Petition
from turnout.api.tests.base import ApiTestCase
from turnout.events import services as events
from turnout.events.models import Event
from turnout.mobilization import services as mobilization
from turnout.mobilization.models import Network, Pledge
from turnout.organizing import services as organizing
from turnout.organizing.models import Campaign, Employer, Unit, Workplace
from turnout.people.importer import Importer
from turnout.people.models import (
    ConsentEvent,
    EmailAddress,
    Membership,
    Person,
    PhoneNumber,
    Subscription,
)
from turnout.people.services import mark_bouncing, record_consent
from turnout.people.signup import PublicSignup

CONSENT = "Text me about actions from Local 8. Reply STOP to stop."


@dataclass
class Sent:
    """What a person gives at a door: names, one email, one mobile number, yes to texts."""

    given_name: str
    family_name: str
    email: str
    phone: str


@dataclass
class Door:
    name: str
    kind: str  # "public": the person's own form; "host": a walk-in typed by a host; "staff": API or import
    submit: Callable[[SignupRuleTests, Sent], None]
    standing: str  # the membership a new record gets here


def _signup(sent: Sent) -> PublicSignup:
    return PublicSignup(given_name=sent.given_name, family_name=sent.family_name, email=sent.email,
                        phone=sent.phone, sms_consent_text=CONSENT)


def rsvp(test: SignupRuleTests, sent: Sent) -> None:
    events.rsvp(test.event, events.RsvpRequest(**vars(_signup(sent))))


def form(test: SignupRuleTests, sent: Sent) -> None:
    actions.submit(test.form, _signup(sent))


def petition(test: SignupRuleTests, sent: Sent) -> None:
    actions.sign_petition(test.petition, _signup(sent))


def pledge(test: SignupRuleTests, sent: Sent) -> None:
    mobilization.sign_pledge(pledge=test.pledge, request=_signup(sent))


def network(test: SignupRuleTests, sent: Sent) -> None:
    mobilization.join_network(network=test.network, join=mobilization.JoinRequest(request=_signup(sent)))


def intake(test: SignupRuleTests, sent: Sent) -> None:
    organizing.submit_request(group=test.local, worker=_signup(sent), employer_name="Bean Street Coffee",
                              workplace_address="", postal_code="98101", industry="food", size="",
                              story="", reach_by="text", best_time="")


def card(test: SignupRuleTests, sent: Sent) -> None:
    organizing.sign_card(campaign=test.campaign, unit=test.unit, worker=_signup(sent),
                         signature=f"{sent.given_name} {sent.family_name}", job_title="Barista",
                         employer_name="Bean Street Coffee", text=organizing.card_text(test.campaign, "en"),
                         ip="198.51.100.4",
                         user_agent="test")


def walk_in(test: SignupRuleTests, sent: Sent) -> None:
    events.record_walk_in(event=test.event, ref=f"walk-{sent.email}", at=timezone.now(),
                          given_name=sent.given_name, family_name=sent.family_name, email=sent.email,
                          phone=sent.phone, sms_consent_text=CONSENT)


def api(test: SignupRuleTests, sent: Sent) -> None:
    response = test.api("POST", "people", {"person": {
        "given_name": sent.given_name, "family_name": sent.family_name,
        "email_addresses": [{"address": sent.email}],
        "phone_numbers": [{"number": sent.phone, "status": "subscribed"}]}})
    test.assertIn(response.status_code, (200, 201), response.content[:300])


def csv_import(test: SignupRuleTests, sent: Sent) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write(f"first_name,last_name,email,phone,sms_opt_in\n"
                     f"{sent.given_name},{sent.family_name},{sent.email},{sent.phone},yes\n")
    path = Path(handle.name)
    test.addCleanup(path.unlink)
    result = Importer(group=test.local, actor=test.organizer, source_name="members.csv").run(path)
    test.assertEqual(result.failed, 0, result.errors)


SUPPORTER, MEMBER = Membership.Status.SUPPORTER, Membership.Status.MEMBER
DOORS = [
    Door("RSVP", "public", rsvp, SUPPORTER),
    Door("form", "public", form, SUPPORTER),
    Door("petition", "public", petition, SUPPORTER),
    Door("pledge", "public", pledge, SUPPORTER),
    Door("network join", "public", network, SUPPORTER),
    Door("request to organize", "public", intake, SUPPORTER),
    Door("union card", "public", card, SUPPORTER),
    Door("host walk-in", "host", walk_in, SUPPORTER),
    Door("API signup helper", "staff", api, SUPPORTER),
    Door("CSV import", "staff", csv_import, MEMBER),
]


class _Undo(Exception):
    """Rolls back one door's writes so the next door meets the same data."""


class SignupRuleTests(ApiTestCase):
    """Six cases, every door; `self.member` (Maria Lopez) is the local's, `self.stranger` (Zelda
    Quintero) is known only to another group."""

    def setUp(self) -> None:
        super().setUp()
        soon = timezone.now() + timedelta(days=30)
        self.event = events.save_event(actor=None, event=Event(
            group=self.local, title="Rally", postal_code="98101", venue="Westlake Park", starts_at=soon))
        self.form = Form.objects.create(group=self.local, title="Sign up")
        self.petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Heat.")
        self.pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We pledge.")
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee", industry="food")
        self.campaign = Campaign.objects.create(group=self.local, name="Bean Street Workers United",
                                                employer=employer, union_name="Bean Street Workers United")
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike & 5th",
                                             postal_code="98101", industry="food")
        self.unit = Unit.objects.create(campaign=self.campaign, workplace=workplace)

    def each_door(self, case: Callable[[Door], None]) -> None:
        for door in DOORS:
            with self.subTest(door=door.name):
                try:
                    with transaction.atomic():  # each door meets the same data
                        case(door)
                        raise _Undo
                except _Undo:
                    pass

    def local_records(self, email: str) -> list[Person]:
        return list(Person.objects.in_group(self.local).filter(emails__address=email).distinct())

    def test_a_new_person_becomes_one_record_of_the_group(self) -> None:
        """New: one record, in the acting group only, as a supporter from a public page and a
        member from an import; their number can be texted."""
        def case(door: Door) -> None:
            door.submit(self, Sent("Nia", "Okafor", "nia@example.org", "+12065550150"))
            [person] = self.local_records("nia@example.org")
            self.assertEqual(list(person.memberships.values_list("group", "status")),
                             [(self.local.pk, door.standing)])
            self.assertEqual(person.phones.get().sms_status, Subscription.SUBSCRIBED)
        self.each_door(case)

    def test_someone_the_group_knows_is_the_same_record(self) -> None:
        """Known in my group: no second record; their membership stays a membership."""
        def case(door: Door) -> None:
            door.submit(self, Sent("Maria", "Lopez", "maria@example.org", "+12065550123"))
            self.assertEqual(self.local_records("maria@example.org"), [self.member])
            self.assertEqual(Membership.objects.get(person=self.member, group=self.local).status, MEMBER)
        self.each_door(case)

    def test_someone_known_only_to_another_group_is_a_new_record_here(self) -> None:
        """Known only elsewhere: the other group's record is neither matched, changed nor joined;
        the acting group gets its own record, as for anyone new."""
        def case(door: Door) -> None:
            door.submit(self, Sent("Zee", "Q", "zelda@example.org", "+12065550150"))
            self.stranger.refresh_from_db()
            self.assertEqual((self.stranger.given_name, self.stranger.family_name), ("Zelda", "Quintero"))
            self.assertEqual(list(self.stranger.memberships.values_list("group", flat=True)), [self.other.pk])
            [mine] = self.local_records("zelda@example.org")
            self.assertNotEqual(mine.pk, self.stranger.pk)
            self.assertEqual(mine.given_name, "Zee")
        self.each_door(case)

    def test_a_withdrawn_consent_comes_back_only_by_the_persons_own_form(self) -> None:
        """Opted out earlier (STOP to another group's texts): every record of the number is
        stopped; a public form the person fills in opts their record here back in, while a host,
        the API or an import cannot."""
        PhoneNumber.objects.create(person=self.member, number="+12065550177", sms_status=Subscription.SUBSCRIBED)
        PhoneNumber.objects.create(person=self.stranger, number="+12065550177", sms_status=Subscription.SUBSCRIBED)
        record_consent(person=self.stranger, channel="sms", address="+12065550177", action="opt_out",
                       source=ConsentEvent.Source.KEYWORD, source_detail="STOP")
        self.assertEqual(set(PhoneNumber.objects.filter(number="+12065550177").values_list("sms_status", flat=True)),
                         {Subscription.UNSUBSCRIBED})

        def case(door: Door) -> None:
            door.submit(self, Sent("Maria", "Lopez", "maria@example.org", "+12065550177"))
            status = self.member.phones.get(number="+12065550177").sms_status
            expected = Subscription.SUBSCRIBED if door.kind == "public" else Subscription.UNSUBSCRIBED
            self.assertEqual(status, expected)
            self.assertEqual(self.stranger.phones.get(number="+12065550177").sms_status, Subscription.UNSUBSCRIBED)
        self.each_door(case)

    def test_a_bouncing_email_stays_bouncing(self) -> None:
        """Email bouncing: no door makes it mailable again."""
        mark_bouncing(address="maria@example.org")

        def case(door: Door) -> None:
            door.submit(self, Sent("Maria", "Lopez", "maria@example.org", "+12065550123"))
            self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.BOUNCING)
        self.each_door(case)

    def test_a_different_name_is_written_only_by_staff(self) -> None:
        """A different name with a known email: the API and an import (acting for the group)
        rename the record; a public page or a host only fills what is blank."""
        def case(door: Door) -> None:
            door.submit(self, Sent("Mary", "Lopes", "maria@example.org", "+12065550123"))
            self.member.refresh_from_db()
            expected = ("Mary", "Lopes") if door.kind == "staff" else ("Maria", "Lopez")
            self.assertEqual((self.member.given_name, self.member.family_name), expected)
        self.each_door(case)
