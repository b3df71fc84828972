"""CSV import: every good row lands, every bad row is reported, nothing is half-written."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from turnout.people.importer import Importer, ImportFileError, ImportResult
from turnout.people.models import (
    ConsentEvent,
    EmailAddress,
    Membership,
    Person,
    PhoneNumber,
    Subscription,
)
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_person


class ImportTests(TurnoutTestCase):
    def run_import(self, content: bytes | str, encoding: str = "utf-8", **options: str) -> ImportResult:
        data = content.encode(encoding) if isinstance(content, str) else content
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
            handle.write(data)
        path = Path(handle.name)
        self.addCleanup(path.unlink)
        return Importer(group=self.local, actor=self.organizer, source_name="test.csv", **options).run(path)

    def test_it_imports_people_with_geography_and_membership(self) -> None:
        """A plain spreadsheet becomes people with a point, a time zone and a membership."""
        result = self.run_import(
            "First Name,Last Name,Email,Phone,ZIP,Member Number\n"
            "Ana,Reyes,ANA@Example.org,(602) 555-0142,85004,M-100\n"
            "Luis,Ortiz,luis@example.org,,10027,\n"
        )
        self.assertEqual((result.created, result.updated, result.failed), (2, 0, 0))
        ana = Person.objects.get(emails__address="ana@example.org")
        self.assertEqual((ana.locality, ana.region, ana.time_zone), ("Phoenix", "AZ", "America/Phoenix"))
        self.assertAlmostEqual(ana.latitude, 33.45, places=1)
        self.assertEqual(ana.phones.get().number, "+16025550142")
        membership = ana.memberships.get()
        self.assertEqual((membership.group, membership.status, membership.member_number), (self.local, "member", "M-100"))
        luis = Person.objects.get(emails__address="luis@example.org")
        self.assertEqual(luis.time_zone, "America/New_York")

    def test_it_accepts_utf8_with_a_byte_order_mark(self) -> None:
        """Excel's “CSV UTF-8” starts with a BOM; the first header still reads as 'email'."""
        result = self.run_import("\ufeffemail,first_name\nnuñez@example.org,José\n".replace("nuñez", "nunez"))
        self.assertEqual(result.created, 1)
        self.assertEqual(Person.objects.get(emails__address="nunez@example.org").given_name, "José")

    def test_it_accepts_windows_1252_files(self) -> None:
        """Older Excel saves accents as Windows-1252; names keep their accents."""
        result = self.run_import("email,first_name,last_name\nrosa@example.org,Rosa,Ramírez “Rosi”\n", encoding="cp1252")
        self.assertEqual(result.created, 1)
        self.assertEqual(Person.objects.get(emails__address="rosa@example.org").family_name, "Ramírez “Rosi”")

    def test_it_accepts_latin1_files(self) -> None:
        self.run_import("email,first_name\nines@example.org,Inés\n", encoding="latin-1")
        self.assertEqual(Person.objects.get(emails__address="ines@example.org").given_name, "Inés")

    def test_missing_contact_columns_stop_before_anything_is_written(self) -> None:
        """A file without an email or phone column is refused whole, with the columns it has."""
        before = Person.objects.count()
        with self.assertRaisesMessage(ImportFileError, "needs an email or a phone column"):
            self.run_import("first_name,last_name\nAna,Reyes\n")
        self.assertEqual(Person.objects.count(), before)

    def test_empty_file_is_refused_clearly(self) -> None:
        with self.assertRaisesMessage(ImportFileError, "The file is empty."):
            self.run_import(b"")

    def test_bad_phones_and_emails_are_reported_and_the_rest_imported(self) -> None:
        """A row whose only contact is bad, or that has none, is listed with its row number, column
        and reason; a bad phone beside a good email (or a bad email beside a good phone) is left
        out with a warning and the row imported."""
        result = self.run_import(
            "email,phone,first_name\n"
            "good1@example.org,206-555-0100,Good\n"
            "not-an-email,,Bad\n"
            "good2@example.org,12345,BadPhone\n"
            ",,NoContact\n"
            "good3@example.org,,Good\n"
            "also-bad,(206) 555-0188,BadEmail\n"
            "still-bad,12345,BothBad\n"
        )
        self.assertEqual(result.created, 4)
        self.assertEqual([(e.row, e.column) for e in result.errors], [(3, "email"), (5, "email"), (8, "email")])
        self.assertIn("not a valid email", result.errors[0].reason)
        self.assertIn("still-bad", result.errors[2].reason)
        self.assertEqual([(w.row, w.column) for w in result.warnings], [(4, "phone"), (7, "email")])
        self.assertIn("12345", result.warnings[0].reason)
        # The kept rows have what was good in them, and nothing of what was not.
        kept = Person.objects.get(emails__address="good2@example.org")
        self.assertEqual((kept.given_name, kept.phones.count()), ("BadPhone", 0))
        by_phone = Person.objects.get(phones__number="+12065550188")
        self.assertEqual((by_phone.given_name, by_phone.emails.count()), ("BadEmail", 0))
        self.assertFalse(Person.objects.filter(given_name__in=["Bad", "NoContact", "BothBad"]).exists())

    def test_a_household_s_own_coordinates_are_imported_over_its_zip_s(self) -> None:
        """Voter files and VAN exports carry each household's point: door knocking walks by it."""
        make_person(self.local, given_name="Old", email="old@example.org", postal_code="98101")
        result = self.run_import(
            "email,address,zip,latitude,longitude\n"
            "new@example.org,101 Pine St,98101,47.6105123,-122.3401456\n"
            "old@example.org,9 Elm St,98101,47.62,-122.35\n"
            "bad@example.org,3 Oak Ave,98101,north,-122.3\n")
        self.assertEqual((result.created, result.updated, result.failed), (2, 1, 0))
        new = Person.objects.get(emails__address="new@example.org")
        self.assertEqual((new.latitude, new.longitude), (47.6105123, -122.3401456))
        old = Person.objects.get(emails__address="old@example.org")
        self.assertEqual((old.latitude, old.longitude), (47.62, -122.35))
        bad = Person.objects.get(emails__address="bad@example.org")
        self.assertAlmostEqual(bad.latitude, 47.61, places=1)  # the ZIP's centre, as without the columns
        self.assertEqual((result.warnings[0].row, result.warnings[0].column), (4, "latitude"))
        self.assertIn("two numbers", result.warnings[0].reason)
        # A new address without a point: the old point goes, the ZIP's centre stands in.
        self.run_import("email,address\nold@example.org,77 Birch Rd\n")
        old.refresh_from_db()
        self.assertAlmostEqual(old.latitude, 47.61, places=1)
        self.assertNotEqual((old.latitude, old.longitude), (47.62, -122.35))

    def test_unknown_zip_codes_are_reported(self) -> None:
        result = self.run_import("email,zip\nz1@example.org,00000\nz2@example.org,98122\n")
        self.assertEqual(result.created, 1)
        self.assertEqual((result.errors[0].row, result.errors[0].column), (2, "zip"))
        self.assertIn("00000", result.errors[0].reason)

    def test_duplicate_rows_in_one_file_make_one_person(self) -> None:
        """The same email twice is one person, updated by the later row."""
        result = self.run_import(
            "email,phone,first_name,city\n"
            "dup@example.org,,Sam,\n"
            "DUP@example.org,(206) 555-0177,Samuel,Seattle\n"
        )
        self.assertEqual((result.created, result.updated, result.failed), (1, 1, 0))
        person = Person.objects.get(emails__address="dup@example.org")
        self.assertEqual((person.given_name, person.locality), ("Samuel", "Seattle"))
        self.assertEqual(person.phones.get().number, "+12065550177")

    def test_it_updates_people_already_on_file_by_email_then_phone(self) -> None:
        """Re-importing a member updates them; a phone match finds them when the email is new."""
        result = self.run_import(
            "email,phone,last_name,membership status\n"
            "maria@example.org,,López,former\n"
            "maria.new@example.org,206-555-0123,,\n"
        )
        self.assertEqual((result.created, result.updated), (0, 2))
        self.member.refresh_from_db()
        self.assertEqual(self.member.family_name, "López")
        self.assertEqual(self.member.given_name, "Maria")  # an empty cell never blanks a field
        self.assertEqual(set(self.member.emails.values_list("address", flat=True)), {"maria@example.org", "maria.new@example.org"})
        self.assertEqual(self.member.memberships.get(group=self.local).status, Membership.Status.FORMER)

    def test_a_one_megabyte_field_rejects_only_its_row(self) -> None:
        big = "x" * (1024 * 1024)
        result = self.run_import(f"email,notes\nbig@example.org,{big}\nsmall@example.org,fine\n")
        self.assertEqual(result.created, 1)
        self.assertEqual((result.errors[0].row, result.errors[0].column), (2, "notes"))
        self.assertIn("1,048,576 characters", result.errors[0].reason)
        self.assertEqual(Person.objects.get(emails__address="small@example.org").custom_fields, {"notes": "fine"})

    def test_it_reads_action_network_export_columns(self) -> None:
        result = self.run_import(
            "first_name,last_name,email,zip_code,can2_phone,can2_user_city,can2_state_abbreviated,Shift Preference\n"
            "Kim,Park,kim@example.org,97205,503-555-0111,Portland,OR,nights\n"
        )
        self.assertEqual(result.created, 1)
        kim = Person.objects.get(emails__address="kim@example.org")
        self.assertEqual((kim.family_name, kim.locality, kim.postal_code), ("Park", "Portland", "97205"))
        self.assertEqual(kim.phones.get().number, "+15035550111")
        self.assertEqual(kim.custom_fields, {"Shift Preference": "nights"})

    def test_it_reads_mobilize_export_columns(self) -> None:
        result = self.run_import("Email,First name,Last name,Phone,Zip\nlee@example.org,Lee,Wong,4155550133,94110\n")
        self.assertEqual(result.created, 1)
        self.assertEqual(Person.objects.get(emails__address="lee@example.org").time_zone, "America/Los_Angeles")

    def test_texts_need_consent_and_the_ledger_records_it(self) -> None:
        """A phone alone gives no consent to texts; an opt-in column records what was agreed."""
        self.run_import("email,phone,sms opt-in\na@example.org,206-555-0101,\nb@example.org,206-555-0102,yes\n")
        self.assertEqual(PhoneNumber.objects.get(number="+12065550101").sms_status, "none")
        self.assertEqual(PhoneNumber.objects.get(number="+12065550102").sms_status, "subscribed")
        event = ConsentEvent.objects.get(address="+12065550102")
        self.assertEqual((event.channel, event.action, event.source, event.source_detail), ("sms", "opt_in", "import", "test.csv"))
        self.assertEqual(event.recorded_by, self.organizer)

    def test_a_form_wide_consent_text_applies_to_every_phone(self) -> None:
        self.run_import("phone\n206-555-0103\n", sms_consent_text="I agree to get texts from Local 8.")
        event = ConsentEvent.objects.get(address="+12065550103")
        self.assertEqual(event.consent_text, "I agree to get texts from Local 8.")

    def test_an_unsubscribed_status_in_the_file_opts_the_email_out_without_rewriting_history(self) -> None:
        self.run_import("email,email status\nmaria@example.org,unsubscribed\n")
        email = EmailAddress.objects.get(address="maria@example.org")
        self.assertEqual(email.status, "unsubscribed")
        self.assertEqual(list(ConsentEvent.objects.filter(address="maria@example.org").values_list("action", flat=True)), ["opt_out"])

    def test_an_operator_import_records_consent_without_a_staff_member(self) -> None:
        """The command line imports with no staff user; the ledger says an operator did it."""
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
            handle.write(b"email,phone,sms opt-in\nop@example.org,206-555-0188,yes\n")
        self.addCleanup(Path(handle.name).unlink)
        Importer(group=self.local, actor=None, source_name="cli.csv").run(Path(handle.name))
        events = ConsentEvent.objects.filter(person__emails__address="op@example.org").order_by("channel")
        self.assertEqual([(e.channel, e.recorded_by, e.source_detail) for e in events],
                         [("email", None, "cli.csv"), ("sms", None, "cli.csv")])
        self.assertIn("an operator", events[0].consent_text)

    def test_re_importing_statuses_for_many_people_takes_a_few_queries_not_one_per_row(self) -> None:
        from turnout.site.testing import make_person

        for n in range(30):
            make_person(self.local, email=f"bulk{n}@example.org")
        body = "email,email status\n" + "".join(f"bulk{n}@example.org,unsubscribed\n" for n in range(30))
        with CaptureQueriesContext(connection) as queries:
            self.run_import(body)
        self.assertLess(len(queries), 20)  # one update per row would be 30 more
        self.assertEqual(EmailAddress.objects.filter(address__startswith="bulk", status="unsubscribed").count(), 30)

    def test_tags_from_the_file_and_for_everyone(self) -> None:
        self.run_import("email,tags\nt@example.org,steward; rapid-response\n", tag="spring-import")
        person = Person.objects.get(emails__address="t@example.org")
        self.assertEqual(sorted(person.taggings.values_list("tag__name", flat=True)), ["rapid-response", "spring-import", "steward"])

    def test_an_unclosed_quote_stops_with_a_clear_message_keeping_earlier_rows(self) -> None:
        body = "email,notes\nbefore@example.org,ok\nafter@example.org,\"" + ("y" * (5 * 1024 * 1024)) + "\n"
        result = self.run_import(body)
        self.assertEqual(result.created, 1)
        self.assertIn("unclosed quote", result.fatal)

    def test_a_row_with_extra_values_is_reported(self) -> None:
        result = self.run_import("email,first_name\nx@example.org,Xi,extra,values\ny@example.org,Yu\n")
        self.assertEqual(result.created, 1)
        self.assertIn("header has 2 columns", result.errors[0].reason)

    def test_a_phone_on_another_of_the_groups_records_is_not_moved(self) -> None:
        """Email matches one of the group's people and phone another: the row is reported, neither changes."""
        neighbour = make_person(self.local, given_name="Nadia", phone="+13125550111")
        result = self.run_import("email,phone,first_name\nmaria@example.org,312-555-0111,Changed\n")
        self.assertEqual(result.failed, 1)
        self.member.refresh_from_db()
        self.assertEqual(self.member.given_name, "Maria")
        self.assertEqual(PhoneNumber.objects.get(number="+13125550111").person, neighbour)

    def test_another_groups_record_is_neither_matched_nor_changed(self) -> None:
        """A phone known only to another group: the importing group's own record gains it, and the
        other group's record keeps its name and number, unseen and unchanged."""
        result = self.run_import("email,phone,first_name\nmaria@example.org,312-555-0199,Changed\n")
        self.assertEqual((result.failed, result.updated), (0, 1))
        self.member.refresh_from_db()
        self.stranger.refresh_from_db()
        self.assertEqual(self.member.given_name, "Changed")
        self.assertEqual(self.stranger.given_name, "Zelda")
        self.assertTrue(self.member.phones.filter(number="+13125550199").exists())
        self.assertTrue(self.stranger.phones.filter(number="+13125550199").exists())
        self.assertFalse(Membership.objects.filter(person=self.stranger, group=self.local).exists())


class ParseInChildTests(TurnoutTestCase):
    """Big files are parsed in a second process; the outcome is the same as parsing inline."""

    CONTENT = (
        "email,phone,first_name,zip\n"
        + "".join(f"p{i}@example.org,206-555-{i:04d},P{i},98101\n" for i in range(30))
        + "bad-email,,Bad,98101\nz@example.org,,Zip,00000\np3@example.org,,Again,\n"
        + 'after@example.org,,"unclosed' + "x" * (5 * 1024 * 1024) + "\n"
    )

    def test_a_child_process_parses_big_files(self) -> None:
        self.check(parse_in_child=True)

    def test_parsing_inline_gives_the_same_results(self) -> None:
        self.check(parse_in_child=False)

    def check(self, parse_in_child: bool) -> None:
        result = ImportTests.run_import(self, self.CONTENT, parse_in_child=parse_in_child)  # type: ignore[arg-type]
        self.assertEqual((result.rows_seen, result.created, result.updated), (33, 30, 1))
        self.assertEqual([(e.row, e.column) for e in result.errors], [(32, "email"), (33, "zip")])
        self.assertIn("unclosed quote", result.fatal)
        self.assertEqual(Person.objects.get(emails__address="p3@example.org").given_name, "Again")
        self.assertEqual(Person.objects.get(emails__address="p29@example.org").phones.get().number, "+12065550029")


class ChunkingTests(TurnoutTestCase):
    def test_repeated_people_wait_for_the_next_chunk_in_file_order_and_chunks_stay_full(self) -> None:
        from turnout.people.importer import Row, chunked

        def row(n: int, email: str, phone: str = "") -> Row:
            return Row(n, email, phone, "unknown", {}, None, None, "", [], None, None, {})

        rows = [row(1, "a@x.org"), row(2, "b@x.org", "+12065550100"), row(3, "a@x.org"), row(4, "c@x.org"),
                row(5, "d@x.org", "+12065550100"), row(6, "a@x.org"), row(7, "e@x.org")]
        chunks = [[r.number for r in chunk] for chunk in chunked(iter(rows), size=3)]
        self.assertEqual(chunks, [[1, 2, 4], [3, 5, 7], [6]])


class ImportConsentTests(TurnoutTestCase):
    """An import is a door like any other: the signup rule decides what it may do."""

    def run_import(self, content: str, **options: Any) -> ImportResult:
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
            handle.write(content)
        path = Path(handle.name)
        self.addCleanup(path.unlink)
        return Importer(group=self.local, actor=self.organizer, source_name="t.csv", **options).run(path)

    def test_an_import_never_turns_texts_back_on_after_stop(self) -> None:
        """Maria texted STOP: a file saying she opted in records nothing, keeps her stopped, and
        the result counts the row so the page can say why."""
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_out",
                       source=ConsentEvent.Source.KEYWORD, source_detail="STOP")
        result = self.run_import("email,phone,sms_opt_in\nmaria@example.org,206-555-0123,yes\n")
        self.assertEqual((result.updated, result.consent_kept_withdrawn), (1, 1))
        self.assertEqual(self.member.phones.get().sms_status, Subscription.UNSUBSCRIBED)
        self.assertFalse(ConsentEvent.objects.filter(person=self.member, action="opt_in").exists())

    def test_a_new_record_of_a_stopped_number_starts_stopped_even_on_postgresql_fast_path(self) -> None:
        """The number is stopped on the worker center's record; the local imports a new person
        with it and a yes: the new record starts stopped and no opt-in is recorded."""
        PhoneNumber.objects.create(person=self.stranger, number="+12065550177", sms_status=Subscription.SUBSCRIBED)
        record_consent(person=self.stranger, channel="sms", address="+12065550177", action="opt_out",
                       source=ConsentEvent.Source.KEYWORD)
        result = self.run_import("first_name,phone,sms_opt_in\nNew,206-555-0177,yes\n")
        self.assertEqual((result.created, result.consent_kept_withdrawn), (1, 1))
        mine = Person.objects.in_group(self.local).get(phones__number="+12065550177")
        self.assertEqual(mine.phones.get().sms_status, Subscription.UNSUBSCRIBED)
        self.assertFalse(ConsentEvent.objects.filter(person=mine).exists())

    def test_an_opt_out_in_the_file_holds_for_every_record_of_the_number(self) -> None:
        PhoneNumber.objects.create(person=self.stranger, number="+12065550123", sms_status=Subscription.SUBSCRIBED)
        self.run_import("email,phone,sms_opt_in\nmaria@example.org,206-555-0123,no\n")
        self.assertEqual(self.stranger.phones.get(number="+12065550123").sms_status, Subscription.UNSUBSCRIBED)
        self.assertTrue(ConsentEvent.objects.filter(person=self.stranger, action="opt_out", source="import").exists())

    def test_the_import_says_whether_its_people_are_members_or_supporters(self) -> None:
        self.run_import("email,first_name,membership_status\na@example.org,A,\nb@example.org,B,member\n",
                        membership="supporter")
        status = dict(Membership.objects.filter(group=self.local).values_list("person__given_name", "status"))
        self.assertEqual((status["A"], status["B"]), ("supporter", "member"))
