"""Groups are blind to each other: each group's own records, opt-outs that hold everywhere, members
counted apart from supporters."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

from django.apps import apps as django_apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from turnout.accounts.models import Role
from turnout.core.models import AuditEntry
from turnout.people.models import (
    ConsentEvent,
    EmailAddress,
    Membership,
    Person,
    PhoneNumber,
    Subscription,
)
from turnout.people.services import (
    ContactChoice,
    mark_bouncing,
    merge_people,
    record_consent,
    signup_person,
)
from turnout.people.signup import PublicSignup, sign_up
from turnout.site.testing import (
    TurnoutTestCase,
    audit_summaries,
    make_group,
    make_person,
    make_staff,
)


class SeparateRecordsTests(TurnoutTestCase):
    def test_a_public_form_makes_a_supporter_and_a_second_group_its_own_record(self) -> None:
        """The same worker signs the local's page and the worker center's: two records, one per
        group, each a supporter; neither group's people list shows the other's record."""
        form = PublicSignup(given_name="Ana", email="ana@example.org", phone="+12065550150")
        mine = sign_up(self.local, form, "ana@example.org", "+12065550150", "Petition")
        theirs = sign_up(self.other, form, "ana@example.org", "+12065550150", "Petition")
        self.assertNotEqual(mine.pk, theirs.pk)
        self.assertEqual(list(mine.memberships.values_list("group", "status")), [(self.local.pk, "supporter")])
        self.assertEqual(list(theirs.memberships.values_list("group", "status")), [(self.other.pk, "supporter")])
        self.assertEqual(list(Person.objects.visible_to(self.organizer).filter(emails__address="ana@example.org")),
                         [mine])
        self.assertEqual(list(Person.objects.visible_to(self.outsider).filter(emails__address="ana@example.org")),
                         [theirs])

    def test_a_signup_by_another_group_never_renames_or_joins_my_record(self) -> None:
        """The other group's staff sign up Maria's email with a new name: Maria's record is unchanged
        and the local sees no new membership or audit entry naming the other group."""
        outsider_record, created = signup_person(
            actor=self.outsider, group=self.other, fields={"given_name": "Renamed", "address_line1": "1 Main St"},
            emails=[ContactChoice("maria@example.org")], source=ConsentEvent.Source.API)
        self.assertTrue(created)
        self.member.refresh_from_db()
        self.assertEqual((self.member.given_name, self.member.address_line1), ("Maria", ""))
        self.assertFalse(Membership.objects.filter(person=self.member, group=self.other).exists())
        self.assertFalse([s for s in audit_summaries(self.member) if self.other.name in s])
        self.assertEqual(outsider_record.given_name, "Renamed")

    def test_one_stop_stops_every_record_and_a_staffer_cannot_undo_it(self) -> None:
        """STOP on the worker center's record stops the local's record of the number too (with a
        ledger entry there); a staffer's opt-in is refused, the person's own form is not."""
        PhoneNumber.objects.create(person=self.stranger, number="+12065550123", sms_status=Subscription.SUBSCRIBED)
        PhoneNumber.objects.filter(person=self.member).update(sms_status=Subscription.SUBSCRIBED)
        record_consent(person=self.stranger, channel="sms", address="+12065550123", action="opt_out",
                       source=ConsentEvent.Source.KEYWORD, source_detail="STOP")
        self.assertEqual(self.member.phones.get().sms_status, Subscription.UNSUBSCRIBED)
        self.assertTrue(ConsentEvent.objects.filter(person=self.member, action="opt_out").exists())
        refused = record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in",
                                 source=ConsentEvent.Source.STAFF, text="They said yes on the phone")
        self.assertIsNone(refused)
        self.assertEqual(self.member.phones.get().sms_status, Subscription.UNSUBSCRIBED)
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in",
                       source=ConsentEvent.Source.FORM, text="Text me")
        self.assertEqual(self.member.phones.get().sms_status, Subscription.SUBSCRIBED)
        self.assertEqual(self.stranger.phones.get(number="+12065550123").sms_status, Subscription.UNSUBSCRIBED)

    def test_the_console_refuses_a_staff_opt_in_after_an_opt_out_with_the_reason(self) -> None:
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_out",
                       source=ConsentEvent.Source.KEYWORD)
        self.login(self.organizer)
        response = self.client.post(reverse("people:consent", args=[self.member.public_id]),
                                    {"channel": "sms", "address": "+12065550123", "action": "opt_in"}, follow=True)
        self.assertContains(response, "only their own new opt-in")
        self.assertEqual(self.member.phones.get().sms_status, Subscription.UNSUBSCRIBED)

    def test_a_new_record_of_an_opted_out_address_starts_opted_out(self) -> None:
        """An address unsubscribed on the worker center's record: the local's import of it makes a
        record that starts unsubscribed (an opt-out holds for every record)."""
        record_consent(person=self.stranger, channel="email", address="zelda@example.org", action="opt_out",
                       source=ConsentEvent.Source.FORM)
        person, created = signup_person(actor=self.organizer, group=self.local, fields={"given_name": "Z"},
                                        emails=[ContactChoice("zelda@example.org")], source=ConsentEvent.Source.API)
        self.assertTrue(created)
        self.assertEqual(person.emails.get().status, Subscription.UNSUBSCRIBED)


class CouncilViewTests(TurnoutTestCase):
    def test_a_council_sees_two_records_of_one_human_and_a_local_sees_only_its_own(self) -> None:
        sister = make_person(self.council, given_name="Maria", family_name="L.", email="maria@example.org")
        self.login(self.admin)  # council admin
        page = self.client.get(self.member.get_absolute_url())
        self.assertContains(page, "Other records of this person")
        self.assertContains(page, sister.get_absolute_url())
        self.login(self.organizer)  # the local's organizer
        page = self.client.get(self.member.get_absolute_url())
        self.assertNotContains(page, "Other records of this person")
        self.assertNotContains(page, str(sister.public_id))

    def test_the_dashboard_counts_members_and_supporters_apart(self) -> None:
        sign_up(self.local, PublicSignup(given_name="Ana", email="ana@example.org"), "ana@example.org", "", "Form")
        self.login(self.organizer)
        page = self.client.get("/")
        self.assertContains(page, "1 member")
        self.assertContains(page, "1 supporter")


class MigrationTests(TurnoutTestCase):
    def test_only_public_signups_become_supporters(self) -> None:
        """The relabelling migration: a membership made with a public sign-up becomes a supporter;
        one with a member number, one a staffer acted on, or an imported one (older than its first
        entry) stays a member."""
        relabel = importlib.import_module("turnout.people.migrations.0009_supporters").relabel

        def entry(*, target: Person, actor: Any = None, **fields: Any) -> None:
            """An entry as written before entries about a person were sealed (people 0011)."""
            AuditEntry.objects.create(actor=actor, target_type="person", target_id=str(target.public_id), **fields)

        from_form = make_person(self.local, given_name="Form")
        with_number = make_person(self.local, given_name="Numbered")
        by_staff = make_person(self.local, given_name="Staff")
        Membership.objects.filter(person=with_number).update(member_number="A-1")
        for person in (from_form, with_number):
            entry(action=AuditEntry.Action.CREATE, target=person, group=self.local,
                         summary="Signed up through the form (Petition: Fix the heat)")
        entry(actor=make_staff("s@example.org", self.local, Role.ORGANIZER), target=by_staff,
                     action=AuditEntry.Action.CREATE, group=self.local, summary="Added to Local 8")
        entry(action=AuditEntry.Action.CHANGE, target=by_staff, group=self.local,
                     summary="Signed up through the form (RSVP)")
        imported = make_person(self.local, given_name="Imported")  # an import writes no entry per person
        Membership.objects.filter(person=imported).update(created_at=timezone.now() - timedelta(days=2))
        entry(action=AuditEntry.Action.CHANGE, target=imported, group=self.local,
                     summary="Signed up through the form (RSVP: Rally)")
        relabel(django_apps, connection.schema_editor())
        status = dict(Membership.objects.filter(group=self.local).values_list("person__given_name", "status"))
        self.assertEqual((status["Form"], status["Numbered"], status["Staff"], status["Maria"], status["Imported"]),
                         ("supporter", "member", "member", "member", "member"))
        self.assertEqual(EmailAddress.objects.filter(address="maria@example.org").count(), 1)


class SiblingLocalTests(TurnoutTestCase):
    """Two locals under one council: neither learns of the other's records through the one
    record they both touch (a council page's sign-up gives Maria a council membership)."""

    def setUp(self) -> None:
        super().setUp()
        self.sister = make_group("Local 9", parent=self.council)
        self.sam = make_person(self.sister, given_name="Sam", email="secret@example.org", phone="+12065550777")
        sign_up(self.council, PublicSignup(given_name="Maria", email="maria@example.org"), "maria@example.org", "",
                "Council form")
        self.assertTrue(Membership.objects.filter(person=self.member, group=self.council).exists())

    def test_adding_an_address_a_sister_local_holds_is_like_adding_a_new_one(self) -> None:
        self.login(self.organizer)
        for kind, value in (("email", "secret@example.org"), ("phone", "+12065550777")):
            response = self.client.post(reverse("people:contact", args=[self.member.public_id, kind]),
                                        {kind: value}, follow=True)
            self.assertContains(response, "Added.")
            self.assertNotContains(response, "Sam")
        self.assertTrue(self.member.emails.filter(address="secret@example.org").exists())
        self.assertTrue(self.member.phones.filter(number="+12065550777").exists())

    def test_a_signup_matching_maria_keeps_a_sister_locals_address_too(self) -> None:
        person, created = signup_person(actor=self.organizer, group=self.local, fields={},
                                        emails=[ContactChoice("maria@example.org"), ContactChoice("secret@example.org")],
                                        source=ConsentEvent.Source.API)
        self.assertEqual((person, created), (self.member, False))
        self.assertTrue(self.member.emails.filter(address="secret@example.org").exists())

    def test_making_a_member_a_host_or_a_coworker_never_demotes_them(self) -> None:
        signup_person(actor=self.organizer, group=self.local, fields={}, emails=[ContactChoice("maria@example.org")],
                      source=ConsentEvent.Source.STAFF, membership=Membership.Status.PROSPECT)
        self.assertEqual(Membership.objects.get(person=self.member, group=self.local).status, "member")

    def test_the_status_filter_reads_only_the_readers_own_groups(self) -> None:
        """Maria is a member in Local 8 and a supporter of the council: Local 8's organizer, who
        cannot see the council's membership, finds her among members and not among supporters."""
        self.login(self.organizer)
        supporters = self.client.get("/people/", {"status": "supporter"})
        self.assertNotContains(supporters, "Maria")
        members = self.client.get("/people/", {"status": "member"})
        self.assertContains(members, "Maria")

    def test_the_dashboard_counts_a_member_once(self) -> None:
        self.login(self.admin)  # council admin: Maria is a member in Local 8 and a supporter in the council
        page = self.client.get("/")
        self.assertContains(page, "2 members")  # Maria and Sam
        self.assertContains(page, "0 supporters")


class MergeTests(TurnoutTestCase):
    def test_a_council_cannot_merge_two_locals_records_into_one(self) -> None:
        """Merging would show each local the other's record: refused, with the reason."""
        sister = make_group("Local 9", parent=self.council)
        theirs = make_person(sister, given_name="Maria", email="maria.l@example.org")
        self.login(self.admin)
        response = self.client.post(reverse("people:merge", args=[self.member.public_id]),
                                    {"other": str(theirs.public_id)}, follow=True)
        self.assertContains(response, "Each group keeps its own record")
        self.assertTrue(Person.objects.filter(pk=theirs.pk).exists())

    def test_a_merge_keeps_the_opt_out_and_the_member(self) -> None:
        """Two of the local's records: the opted-out number stays opted out, the member stays a member."""
        dup = make_person(self.local, given_name="Maria", phone="+12065550123")
        Membership.objects.filter(person=dup).update(status="supporter")
        PhoneNumber.objects.filter(person=dup).update(sms_status=Subscription.SUBSCRIBED)
        PhoneNumber.objects.filter(person=self.member).update(sms_status=Subscription.UNSUBSCRIBED)
        merge_people(actor=self.organizer, keep=dup, other=self.member)
        self.assertEqual(dup.phones.get().sms_status, Subscription.UNSUBSCRIBED)
        self.assertEqual(dup.memberships.get(group=self.local).status, "member")

    def test_an_opt_out_tells_other_groups_records_nothing_of_who_recorded_it(self) -> None:
        PhoneNumber.objects.create(person=self.stranger, number="+12065550123")
        record_consent(person=self.stranger, channel="sms", address="+12065550123", action="opt_out",
                       source=ConsentEvent.Source.STAFF, source_detail="Eastside intake call",
                       text="Fears retaliation at Acme", actor=self.outsider)
        entry = ConsentEvent.objects.get(person=self.member)
        self.assertEqual((entry.source_detail, entry.recorded_by), ("", None))
        self.assertNotIn("Acme", entry.consent_text)
        self.assertEqual(self.member.phones.get().sms_status, Subscription.UNSUBSCRIBED)


class BounceTests(TurnoutTestCase):
    def test_a_bounce_marks_every_record_but_leaves_an_unsubscribe_standing(self) -> None:
        EmailAddress.objects.create(person=self.stranger, address="maria@example.org")
        record_consent(person=self.member, channel="email", address="maria@example.org", action="opt_out",
                       source=ConsentEvent.Source.FORM)
        EmailAddress.objects.filter(person=self.stranger, address="maria@example.org").update(
            status=Subscription.SUBSCRIBED)
        mark_bouncing(address="maria@example.org")
        self.assertEqual(self.member.emails.get().status, Subscription.UNSUBSCRIBED)
        self.assertEqual(self.stranger.emails.get(address="maria@example.org").status, Subscription.BOUNCING)
