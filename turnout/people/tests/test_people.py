"""People: the same contact is the same person, consent is a ledger, merges lose nothing."""

from __future__ import annotations

import io

from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from turnout.core import audit
from turnout.core.models import AppendOnlyError, AuditEntry
from turnout.people import services
from turnout.people.contact import InvalidContact, normalize_email, normalize_phone
from turnout.people.models import ConsentEvent, Membership, Person, PhoneNumber, Tag
from turnout.site.testing import TurnoutTestCase, audit_summaries, make_person


class ContactTests(TurnoutTestCase):
    def test_phones_are_stored_in_e164_with_their_kind(self) -> None:
        self.assertEqual(normalize_phone("(206) 555-0123"), ("+12065550123", "unknown"))
        self.assertEqual(normalize_phone("1-206-555-0123")[0], "+12065550123")
        self.assertEqual(normalize_phone("+44 7911 123456"), ("+447911123456", "mobile"))
        self.assertEqual(normalize_phone("55 1234 5678", "MX")[0], "+525512345678")

    def test_invalid_phones_and_emails_say_why(self) -> None:
        with self.assertRaisesMessage(InvalidContact, "“123-4567” is not a valid phone number."):
            normalize_phone("123-4567")
        with self.assertRaisesMessage(InvalidContact, "not a valid phone number"):
            normalize_phone("(011) 555-0123")  # no US area code starts with 0
        with self.assertRaisesMessage(InvalidContact, "not a valid email address"):
            normalize_email("maria@")
        self.assertEqual(normalize_email("  Maria@Example.ORG "), "maria@example.org")


class PersonServiceTests(TurnoutTestCase):
    def test_the_same_email_cannot_make_a_second_person(self) -> None:
        with self.assertRaises(services.ContactInUse) as caught:
            services.create_person(actor=self.organizer, group=self.local, fields={"given_name": "Other"},
                                   email="maria@example.org")
        self.assertEqual(caught.exception.person, self.member)
        self.assertEqual(Person.objects.filter(given_name="Other").count(), 0)

    def test_consent_status_derives_from_the_ledger_and_history_is_kept(self) -> None:
        phone = "+12065550123"
        services.record_consent(person=self.member, channel="sms", address=phone, action="opt_in",
                                source="form", text="Text me about rallies")
        self.assertEqual(PhoneNumber.objects.get(number=phone).sms_status, "subscribed")
        services.record_consent(person=self.member, channel="sms", address=phone, action="opt_out", source="keyword")
        self.assertEqual(PhoneNumber.objects.get(number=phone).sms_status, "unsubscribed")
        self.assertEqual(list(ConsentEvent.objects.filter(address=phone).order_by("id").values_list("action", "source")),
                         [("opt_in", "form"), ("opt_out", "keyword")])
        event = ConsentEvent.objects.filter(address=phone).first()
        event.consent_text = "rewritten"
        with self.assertRaises(AppendOnlyError):
            event.save()

    def test_merge_keeps_every_contact_consent_tag_and_membership(self) -> None:
        duplicate = make_person(self.local, given_name="M.", family_name="", email="m.lopez@example.org",
                                phone="+12065550999", status=Membership.Status.PROSPECT)
        services.add_tag(person=duplicate, group=self.local, name="steward")
        services.record_consent(person=duplicate, channel="email", address="m.lopez@example.org",
                                action="opt_in", source="form", text="Yes")
        duplicate_id = str(duplicate.public_id)
        kept = services.merge_people(actor=self.organizer, keep=self.member, other=duplicate)
        self.assertFalse(Person.objects.filter(public_id=duplicate_id).exists())
        self.assertEqual(set(kept.emails.values_list("address", flat=True)), {"maria@example.org", "m.lopez@example.org"})
        self.assertEqual(set(kept.phones.values_list("number", flat=True)), {"+12065550123", "+12065550999"})
        self.assertEqual(list(kept.taggings.values_list("tag__name", flat=True)), ["steward"])
        # The stronger standing survives the merge.
        self.assertEqual(set(kept.memberships.values_list("group__slug", "status")), {("local-8", "member")})
        self.assertEqual(kept.consent_events.get().address, "m.lopez@example.org")
        self.assertEqual(kept.given_name, "Maria")
        entry = AuditEntry.objects.get(action="merge").opened()
        self.assertEqual((entry.actor, entry.shown_detail["merged"]), (self.organizer, duplicate_id))

    def test_erasing_a_person_removes_everything_but_an_anonymous_audit_line(self) -> None:
        public_id = str(self.member.public_id)
        services.add_tag(actor=self.organizer, person=self.member, group=self.local, name="fired-for-organizing")
        services.add_tag(actor=self.organizer, person=self.member, group=self.local, name="steward")
        services.add_tag(actor=self.organizer, person=make_person(self.local, given_name="Ana"), group=self.local, name="steward")
        self.login(self.admin)
        self.client.get(self.member.get_absolute_url(), REMOTE_ADDR="203.0.113.9")
        log = self.client.get(reverse("accounts:audit_log")).content.decode()
        self.assertIn("Added tag fired-for-organizing", log)
        self.assertIn("203.0.113.9", log)
        services.erase_person(actor=self.admin, person=self.member)
        self.assertFalse(Person.objects.filter(public_id=public_id).exists())
        self.assertFalse(ConsentEvent.objects.filter(address="maria@example.org").exists())
        self.assertFalse(PhoneNumber.objects.filter(number="+12065550123").exists())
        # A tag only they held goes with them; one others hold stays.
        self.assertEqual(sorted(Tag.objects.values_list("name", flat=True)), ["steward"])
        entry = AuditEntry.objects.get(action="erase")
        self.assertEqual((entry.summary, entry.detail, entry.target_id), ("Erased a person at their request", {}, ""))
        # The history stays, naming nobody: no name, tag, id or address in any column of any entry.
        entries = list(AuditEntry.objects.filter(subject=entry.subject))
        self.assertGreaterEqual(len(entries), 3)  # two tags and a reading, at least
        for row in AuditEntry.objects.values_list():
            for needle in ("Maria", "fired-for-organizing", public_id, "203.0.113.9"):
                self.assertNotIn(needle, str(row))
        log = self.client.get(reverse("accounts:audit_log")).content.decode()
        self.assertNotIn("fired-for-organizing", log)
        self.assertNotIn("203.0.113.9", log)
        self.assertIn("(about a person since erased)", log)
        self.assertIn("Erased a person at their request", log)

    def test_people_near_a_zip_are_found_by_real_distance(self) -> None:
        """Tacoma is 25 miles from Seattle, Olympia 55; Chicago is far away."""
        tacoma = make_person(self.local, given_name="Tacoma", postal_code="98402")
        olympia = make_person(self.local, given_name="Olympia", postal_code="98501")
        seattle = (47.6114, -122.3305)
        within_30 = set(Person.objects.near(*seattle, miles=30))
        self.assertIn(tacoma, within_30)
        self.assertIn(self.member, within_30)
        self.assertNotIn(olympia, within_30)
        self.assertNotIn(self.stranger, within_30)
        self.assertIn(olympia, set(Person.objects.near(*seattle, miles=60)))

    def test_search_finds_by_name_email_and_phone(self) -> None:
        people = Person.objects.all()
        self.assertEqual(list(people.search("maria lopez")), [self.member])
        self.assertEqual(list(people.search("maria@example")), [self.member])
        self.assertEqual(list(people.search("555-0123")), [self.member])


class ExportTests(TurnoutTestCase):
    def test_export_writes_import_compatible_csv_and_is_audited(self) -> None:
        out = io.StringIO()
        services.add_tag(person=self.member, group=self.local, name="steward")
        count = services.export_people(actor=self.organizer, people=Person.objects.visible_to(self.organizer),
                                       out=out, summary="all")
        lines = out.getvalue().splitlines()
        self.assertEqual(count, 1)
        self.assertTrue(lines[0].startswith('"id","first_name","last_name"'))
        self.assertIn("maria@example.org", lines[1])
        self.assertIn("(206) 555-0123", lines[1])
        self.assertIn("steward", lines[1])
        self.assertNotIn("zelda", out.getvalue())
        entry = AuditEntry.objects.get(action="export")
        self.assertEqual((entry.actor, entry.detail), (self.organizer, {"count": 1}))

    def test_export_page_downloads_filtered_people(self) -> None:
        make_person(self.local, given_name="Tagged", email="tagged@example.org")
        services.add_tag(person=Person.objects.get(given_name="Tagged"), group=self.local, name="rally")
        self.login(self.organizer)
        response = self.client.get(reverse("people:export"), {"tag": "rally"})
        body = response.content.decode()
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("tagged@example.org", body)
        self.assertNotIn("maria@example.org", body)
        self.assertTrue(AuditEntry.objects.filter(action="export", actor=self.organizer).exists())


class PersonPageTests(TurnoutTestCase):
    def test_viewing_a_person_is_audited_with_the_address(self) -> None:
        self.login(self.organizer)
        response = self.client.get(self.member.get_absolute_url(), REMOTE_ADDR="203.0.113.9")
        self.assertContains(response, "maria@example.org")
        entry = AuditEntry.objects.get(action="view").opened()
        self.assertEqual((entry.actor, entry.shown_target_id, entry.shown_ip),
                         (self.organizer, str(self.member.public_id), "203.0.113.9"))
        # Sealed with Maria's key: the row itself holds neither her id nor the address.
        self.assertEqual((entry.target_id, entry.ip_address, entry.summary), ("", None, ""))

    def test_behind_a_trusted_proxy_the_audit_log_keeps_the_client_address(self) -> None:
        self.login(self.organizer)
        # The client wrote 6.6.6.6 itself; the proxy appended the address it saw.
        with self.settings(TRUSTED_PROXY_HOPS=1):
            self.client.get(self.member.get_absolute_url(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
        self.client.get(self.member.get_absolute_url(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.4")
        self.assertEqual([e.shown_ip for e in audit.opened(AuditEntry.objects.filter(action="view").order_by("id"))],
                         ["198.51.100.4", "10.0.0.2"])

    def test_add_person_form_keeps_what_was_typed_on_error(self) -> None:
        self.login(self.organizer)
        response = self.client.post(reverse("people:new"), {
            "group": self.local.pk, "membership_status": "member", "given_name": "Rosa",
            "family_name": "Ramírez", "email": "rosa@example.org", "phone": "555-01", "country": "US",
            "postal_code": "98101",
        })
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "not a valid phone number")
        self.assertContains(response, 'value="Ramírez"')
        self.assertContains(response, 'value="rosa@example.org"')
        self.assertFalse(Person.objects.filter(given_name="Rosa").exists())

    def test_add_person_with_consent_records_the_ledger(self) -> None:
        self.login(self.organizer)
        response = self.client.post(reverse("people:new"), {
            "group": self.local.pk, "membership_status": "member", "given_name": "Rosa", "family_name": "Ramírez",
            "email": "rosa@example.org", "phone": "(206) 555-0177", "sms_consent": "on", "country": "US",
            "postal_code": "98101", "tags": "new, rally",
        })
        rosa = Person.objects.get(given_name="Rosa")
        self.assertRedirects(response, rosa.get_absolute_url())
        self.assertEqual(rosa.phones.get().sms_status, "subscribed")
        self.assertEqual(rosa.emails.get().status, "none")
        self.assertEqual(sorted(Tag.objects.values_list("name", flat=True)), ["new", "rally"])

    def test_adding_an_email_is_audited_and_one_on_another_of_the_groups_records_is_refused(self) -> None:
        self.login(self.organizer)
        url = reverse("people:contact", args=[self.member.public_id, "email"])
        self.client.post(url, {"email": "Maria.Work@Example.org", "consent": "on"}, REMOTE_ADDR="203.0.113.5")
        self.assertEqual(self.member.emails.get(address="maria.work@example.org").status, "subscribed")
        entry = next(e for e in audit.opened(AuditEntry.objects.all()) if e.shown_summary == "Added an email address")
        self.assertEqual((entry.actor, entry.shown_ip), (self.organizer, "203.0.113.5"))
        make_person(self.local, given_name="Nadia", email="nadia@example.org")
        response = self.client.post(url, {"email": "nadia@example.org"}, follow=True)
        self.assertContains(response, "That belongs to Nadia")
        self.assertFalse(self.member.emails.filter(address="nadia@example.org").exists())
        # Known only to another group: added here, with nothing said of the other record.
        response = self.client.post(url, {"email": "zelda@example.org"}, follow=True)
        self.assertNotContains(response, "someone else")
        self.assertTrue(self.member.emails.filter(address="zelda@example.org").exists())
        self.assertEqual(self.stranger.emails.get().address, "zelda@example.org")
        self.assertNotContains(response, "Zelda")  # she is in a group this organizer cannot see
        self.assertEqual(self.member.emails.count(), 3)

    def test_tagging_from_the_page_is_audited_once(self) -> None:
        self.login(self.organizer)
        url = reverse("people:tags", args=[self.member.public_id])
        self.client.post(url, {"name": "steward"})
        self.client.post(url, {"name": "steward"})  # tagging twice is once
        self.client.post(url, {"tag": str(Tag.objects.get(group=self.local, name="steward").public_id), "remove": "1"})
        self.assertFalse(self.member.taggings.exists())
        self.assertEqual(audit_summaries(self.member, action="change"),
                         ["Added tag steward", "Removed tag steward"])

    def test_a_viewer_cannot_change_anyone(self) -> None:
        from turnout.site.testing import make_staff

        viewer = make_staff("viewer@example.org", self.local, "viewer")
        self.login(viewer)
        self.assertEqual(self.client.get(self.member.get_absolute_url()).status_code, 200)
        self.assertEqual(self.client.post(reverse("people:tags", args=[self.member.public_id]), {"name": "x"}).status_code, 404)
        self.assertEqual(self.client.get(reverse("people:export")).status_code, 403)

    def test_merge_page_merges_the_chosen_duplicate(self) -> None:
        duplicate = make_person(self.local, given_name="Maria", family_name="Lopez", email="mlopez@example.org")
        self.login(self.organizer)
        page = self.client.get(reverse("people:merge", args=[self.member.public_id]), {"q": "mlopez@"})
        self.assertContains(page, str(duplicate.public_id))
        response = self.client.post(reverse("people:merge", args=[self.member.public_id]), {"other": duplicate.public_id})
        self.assertRedirects(response, self.member.get_absolute_url())
        self.assertEqual(self.member.emails.count(), 2)
        bad = self.client.get(reverse("people:merge", args=[self.member.public_id]), {"other": "not-a-uuid"})
        self.assertEqual(bad.status_code, 404)


class AuditLogTests(TurnoutTestCase):
    def test_audit_entries_cannot_be_rewritten_even_in_sql(self) -> None:
        entry = AuditEntry.objects.create(action="view", actor_label="x", summary="original")
        with self.assertRaises(AppendOnlyError):
            entry.save()
        with self.assertRaises(AppendOnlyError):
            entry.delete()
        with self.assertRaises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditentry SET summary = 'forged' WHERE id = %s", [entry.pk])
        self.assertEqual(AuditEntry.objects.get(pk=entry.pk).summary, "original")


class SaveListTests(TurnoutTestCase):
    def test_an_organizer_saves_the_filtered_people_as_a_list(self) -> None:
        """The list holds who the filters matched then; later changes to the filter do not move it."""
        from turnout.people.models import PersonList
        from turnout.people.services import add_tag
        from turnout.site.testing import make_person

        add_tag(person=self.member, group=self.local, name="phonebank")
        other = make_person(self.local, given_name="Other")
        self.login(self.organizer)
        response = self.client.post("/people/lists/save/?tag=phonebank", {"name": "Call Tuesday", "group": self.local.pk})
        saved = PersonList.objects.get()
        self.assertRedirects(response, f"/people/?list={saved.public_id}")
        self.assertEqual(list(saved.items.values_list("person", flat=True)), [self.member.pk])
        add_tag(person=other, group=self.local, name="phonebank")
        page = self.client.get(f"/people/?list={saved.public_id}")
        self.assertContains(page, "Maria")
        self.assertNotContains(page, "Other Worker")

    def test_a_list_cannot_be_saved_into_another_group(self) -> None:
        from turnout.people.models import PersonList

        self.login(self.organizer)
        self.client.post("/people/lists/save/", {"name": "Theirs", "group": self.other.pk})
        self.assertFalse(PersonList.objects.exists())
