"""Erasure reaches everything Turnout kept about a person: audit text (sealed with a key that
erasure destroys), webhook payloads, texts they sent, RSVP forms still waiting, kept import files,
mail the file backend kept, and tags only they held. Each act is tried through the page an admin
uses and checked with what an admin, an API client or the worker would then see."""

from __future__ import annotations

import importlib
import json
import tempfile
import uuid
from io import BytesIO
from pathlib import Path

from django.apps import apps as django_apps
from django.core import mail
from django.db import DatabaseError, connection
from django.test import override_settings
from django.urls import reverse

from turnout.api import webhooks
from turnout.api.models import WebhookDelivery
from turnout.core import audit
from turnout.core.models import AppendOnlyError, AuditEntry, SubjectKey
from turnout.events.models import Event, RsvpIntake
from turnout.messaging.models import InboundMessage, UnreadableWebhook
from turnout.messaging.transports.http import signature
from turnout.people import services
from turnout.people.imports import run_import_job, start_import
from turnout.people.models import Person
from turnout.site.testing import TurnoutTestCase, make_person, run_due_tasks


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET="s")
class ErasureReachTests(TurnoutTestCase):
    def erase_through_the_page(self, person: Person) -> None:
        self.login(self.admin)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("people:erase", args=[person.public_id]),
                                        {"confirm": person.display_name})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Person.objects.filter(pk=person.pk).exists())

    def test_webhook_deliveries_about_them_go_and_the_worker_sends_nothing_after(self) -> None:
        hook = webhooks.register_webhook(actor=self.organizer, group=self.local, url="https://hooks.example.org/in")
        webhooks.queue_person(person_id=self.member.pk, event="person.updated")
        webhooks.queue_person(person_id=(ana := make_person(self.local, given_name="Ana")).pk, event="person.updated")
        delivery = WebhookDelivery.objects.get(payload__subject=f"person:{self.member.public_id}")
        # A payload already built for a retry carries her details.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            payload={**delivery.payload, "raw": json.dumps({"email": "maria@example.org"})})
        self.erase_through_the_page(self.member)
        self.assertEqual([d.payload["subject"] for d in WebhookDelivery.objects.all()], [f"person:{ana.public_id}"])
        self.assertIsNone(webhooks.deliver(delivery.pk))  # the queued retry finds nothing to send
        self.login(self.organizer)
        self.assertNotContains(self.client.get(hook.get_absolute_url()), "maria@example.org")

    def test_texts_they_sent_go_whoever_they_were_matched_to(self) -> None:
        for n, sender in enumerate(["+12065550123", "+12065550123", "+13125550199"]):
            raw = json.dumps({"id": f"in-{n}", "from": sender, "body": f"Count me in {n}"}).encode()
            self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                             headers={"X-Turnout-Signature": signature(raw, "s")})
        # One of them came before her record held the number (no person matched).
        InboundMessage.objects.filter(provider_id="in-1").update(person=None)
        UnreadableWebhook.objects.create(source="twilio", body="From=%2B12065550123&Body=garbled", reason="bad")
        UnreadableWebhook.objects.create(source="twilio", body="From=%2B19995550000", reason="bad")
        self.erase_through_the_page(self.member)
        self.assertEqual(list(InboundMessage.objects.values_list("from_number", flat=True)), ["+13125550199"])
        # The carrier's form-encoded body is matched by the number's digits, however it is written.
        self.assertEqual(list(UnreadableWebhook.objects.values_list("body", flat=True)), ["From=%2B19995550000"])

    def test_a_waiting_rsvp_form_with_their_address_goes(self) -> None:
        event = Event.objects.create(group=self.local, title="Rally", starts_at="2030-01-01T18:00:00Z")
        RsvpIntake.objects.create(event=event, data={"email": "Maria@Example.org", "given_name": "Maria"})
        RsvpIntake.objects.create(event=event, data={"phone": "(206) 555-0123", "given_name": "M"})
        RsvpIntake.objects.create(event=event, data={"email": "luis@example.org", "phone": "206 555 0999"})
        self.erase_through_the_page(self.member)
        self.assertEqual([i.data["email"] for i in RsvpIntake.objects.all()], ["luis@example.org"])

    def test_waiting_forms_petition_and_pledge_signatures_with_their_address_go(self) -> None:
        from turnout.actions.models import ActionIntake, Form, Petition
        from turnout.mobilization.models import Pledge, PledgeIntake

        form = Form.objects.create(group=self.local, title="Join")
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        pledge = Pledge.objects.create(group=self.local, title="Protect", text="We pledge.")
        ActionIntake.objects.create(kind="form", form=form, data={"email": "Maria@Example.org", "given_name": "M"})
        ActionIntake.objects.create(kind="petition", petition=petition, data={"phone": "(206) 555-0123"})
        ActionIntake.objects.create(kind="form", form=form, data={"email": "luis@example.org"})
        PledgeIntake.objects.create(pledge=pledge, data={"phone": "206 555 0123", "given_name": "M"})
        PledgeIntake.objects.create(pledge=pledge, data={"email": "luis@example.org"})
        self.erase_through_the_page(self.member)
        self.assertEqual([i.data["email"] for i in ActionIntake.objects.all()], ["luis@example.org"])
        self.assertEqual([i.data["email"] for i in PledgeIntake.objects.all()], ["luis@example.org"])

    def test_kept_import_files_that_list_them_are_deleted(self) -> None:
        with tempfile.TemporaryDirectory() as folder, self.settings(IMPORT_DIR=folder):
            listing = start_import(actor=self.organizer, group=self.local, membership="member", original_name="a.csv",
                                   upload=BytesIO(b"first_name,phone\nMaria,(206) 555-0123\nLuis,bad-phone\n"))
            other = start_import(actor=self.organizer, group=self.local, membership="member", original_name="b.csv",
                                 upload=BytesIO(b"first_name,email\nLuis,luis@example.org\n"))
            for job in (listing, other):
                run_import_job(job_id=job.pk)
            listing.refresh_from_db()
            kept = [Path(listing.file_path), Path(listing.error_report_path)]
            self.assertTrue(all(path.exists() for path in kept))
            self.erase_through_the_page(self.member)
            self.assertFalse(any(path.exists() for path in kept))
            listing.refresh_from_db()
            other.refresh_from_db()
            self.assertEqual((listing.file_path, listing.error_report_path, listing.rows_seen), ("", "", 2))
            self.assertTrue(Path(other.file_path).exists())
            self.login(self.organizer)
            self.assertEqual(self.client.get(listing.get_absolute_url()).status_code, 200)

    def test_a_report_holding_their_row_and_an_upload_waiting_in_its_preview_go(self) -> None:
        """The report of rows with problems holds those rows as they came: one listing them goes,
        and so does an upload not yet started that lists them (started later, it would bring
        them back)."""
        with tempfile.TemporaryDirectory() as folder, self.settings(IMPORT_DIR=folder):
            rejected = start_import(actor=self.organizer, group=self.local, membership="member", original_name="a.csv",
                                    upload=BytesIO(b"email,phone,zip\nana@example.org,,98101\n"
                                                   b"other@example.org,(206) 555-0123,00000\n"))
            run_import_job(job_id=rejected.pk)
            rejected.refresh_from_db()
            report = Path(rejected.error_report_path)
            self.assertIn(b"(206) 555-0123", report.read_bytes())
            waiting = start_import(actor=self.organizer, group=self.local, membership="member", original_name="b.csv",
                                   upload=BytesIO(b"email\nMARIA@example.org\n"),
                                   preview=True)
            upload = Path(waiting.file_path)
            self.erase_through_the_page(self.member)
            self.assertFalse(report.exists() or Path(rejected.file_path).exists() or upload.exists())
            waiting.refresh_from_db()
            self.assertEqual((waiting.status, waiting.file_path), ("failed", ""))
            self.assertIsNotNone(waiting.files_removed_at)
            self.login(self.organizer)
            self.assertContains(self.client.get(waiting.get_absolute_url()), 'data-testid="files-removed"')

    def test_mail_kept_by_the_file_backend_goes(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            filebased = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                                     "OPTIONS": {"file_path": folder}}}
            with self.settings(MAILERS=filebased):
                mail.send_mail("Welcome", "Hello Maria", "turnout@localhost", ["maria@example.org"])
                mail.send_mail("Welcome", "Hello Luis", "turnout@localhost", ["luis@example.org"])
                self.assertEqual(len(list(Path(folder).iterdir())), 2)
                self.erase_through_the_page(self.member)
                left = [path.read_text() for path in Path(folder).iterdir()]
            self.assertEqual(len(left), 1)
            self.assertIn("luis@example.org", left[0])

    def test_the_erasure_queues_the_scrub_and_the_worker_runs_it(self) -> None:
        self.erase_through_the_page(self.member)
        self.assertEqual(run_due_tasks(), 1)


class AuditKeyTests(TurnoutTestCase):
    def test_searches_are_on_the_log_without_the_words_typed(self) -> None:
        """A search for a name, an email or a number would outlive that person's erasure in the log."""
        self.login(self.organizer)
        self.client.get(reverse("people:list"), {"q": "Maria Lopez"})
        self.client.get(reverse("people:export"), {"q": "maria@example.org"})
        summaries = list(AuditEntry.objects.values_list("summary", flat=True))
        self.assertFalse([s for s in summaries if "Maria" in s or "maria" in s], summaries)
        self.assertTrue([s for s in summaries if "q=…" in s], summaries)


    def test_a_merge_makes_the_merged_records_history_the_kept_ones(self) -> None:
        duplicate = make_person(self.local, given_name="M.", email="m.lopez@example.org")
        services.add_tag(actor=self.organizer, person=duplicate, group=self.local, name="night-shift")
        services.merge_people(actor=self.organizer, keep=self.member, other=duplicate)
        self.login(self.organizer)
        page = self.client.get(self.member.get_absolute_url())
        self.assertContains(page, "Added tag night-shift")

    def test_the_audit_log_filters_a_persons_entries_by_their_public_id(self) -> None:
        self.login(self.admin)
        self.client.get(self.member.get_absolute_url())
        self.client.get(self.stranger.get_absolute_url())
        page = self.client.get(reverse("accounts:audit_log"), {"target": str(self.member.public_id)})
        self.assertContains(page, str(self.member.public_id)[:8])
        self.assertNotContains(page, str(self.stranger.public_id)[:8])

    def test_a_sealed_entry_cannot_be_rewritten(self) -> None:
        services.add_tag(actor=self.organizer, person=self.member, group=self.local, name="steward")
        entry = AuditEntry.objects.exclude(sealed="").first()
        assert entry is not None
        with self.assertRaises(AppendOnlyError):
            entry.save()
        with self.assertRaises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditentry SET sealed = '' WHERE id = %s", [entry.pk])

    def test_keys_are_sealed_with_turnouts_keys(self) -> None:
        services.add_tag(actor=self.organizer, person=self.member, group=self.local, name="steward")
        key = SubjectKey.objects.get()
        with connection.cursor() as cursor:
            cursor.execute("SELECT key FROM core_subjectkey")
            raw = cursor.fetchone()[0]
        self.assertNotEqual(raw, key.key)
        self.assertTrue(raw.startswith("gAAAAA"))


class SealHistoryMigrationTests(TurnoutTestCase):
    def test_entries_written_before_sealing_are_sealed_or_redacted(self) -> None:
        """people 0011: entries about a person on file are sealed with their key; those about an
        erased person keep only what was done; a name in another entry's summary is replaced."""
        forwards = importlib.import_module("turnout.people.migrations.0011_seal_audit_history").forwards
        gone = str(uuid.uuid4())
        AuditEntry.objects.create(action="change", target_type="person", target_id=str(self.member.public_id),
                                  summary="Added tag fired-for-organizing", ip_address="203.0.113.9")
        AuditEntry.objects.create(action="view", target_type="person", target_id=gone, summary="Viewed",
                                  ip_address="203.0.113.8")
        AuditEntry.objects.create(action="erase", summary="Erased a person at their request", detail={"person": gone})
        AuditEntry.objects.create(action="change", target_type="event", target_id=str(uuid.uuid4()),
                                  summary="A host checked in Maria Lopez")
        AuditEntry.objects.create(action="export", target_type="card", target_id=str(uuid.uuid4()),
                                  summary="Downloaded the card of Maria Lopez (pdf)")
        AuditEntry.objects.create(action="view", summary="Read people 1 to 1 of 1 on the People page (filter q=Maria+Lopez&tag=x)")
        AuditEntry.objects.create(action="export", summary="Read 1 people through the API (token “sync”, filter "
                                                           "email_address eq 'maria@example.org')")
        AuditEntry.objects.create(action="change", target_type="unit", summary="Added Maria Lopez to the roster")
        forwards(django_apps, connection.schema_editor())
        rows = [str(row) for row in AuditEntry.objects.values_list()]
        for needle in ("fired-for-organizing", "Maria", "maria@", gone, "203.0.113"):
            self.assertFalse([row for row in rows if needle in row], needle)
        self.assertEqual(audit_summaries_of(self.member), ["Added tag fired-for-organizing"])
        self.assertEqual(sorted(AuditEntry.objects.filter(target_type__in=["event", "card", "unit"])
                                .values_list("summary", flat=True)),
                         ["A host checked in a person", "Added a person to the roster", "Downloaded a card (pdf)"])
        self.assertEqual(sorted(AuditEntry.objects.filter(summary__startswith="Read").values_list("summary", flat=True)),
                         ["Read 1 people through the API (token “sync”, filter email_address eq '…')",
                          "Read people 1 to 1 of 1 on the People page (filter q=…&tag=x)"])
        entry = AuditEntry.objects.get(target_type="event")
        with self.assertRaises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditentry SET summary = 'x' WHERE id = %s", [entry.pk])


def audit_summaries_of(person: Person) -> list[str]:
    keys = audit.keys_of(person).values("subject")
    return [e.shown_summary for e in audit.opened(AuditEntry.objects.filter(subject__in=keys))]
