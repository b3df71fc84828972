"""Retention: each kind of record goes once older than its period (set by the operator), newer ones
stay, a message and an import keep their counts, and the worker and `turnout prune` both run it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import time_machine
from axes.models import AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from turnout.api.models import Webhook, WebhookDelivery
from turnout.core.models import AuditEntry
from turnout.events.models import Event, RsvpIntake
from turnout.events.services import rsvp_later, save_event, settle_waiting
from turnout.events.tasks import settle_rsvps
from turnout.messaging import outbox, sending
from turnout.messaging.models import Delivery, InboundMessage, Message, UnreadableWebhook
from turnout.messaging.transports import simple
from turnout.people.imports import run_import_job, start_import
from turnout.people.models import ImportJob, Person
from turnout.people.services import add_tag, record_consent
from turnout.site import retention
from turnout.site.management.commands import worker
from turnout.site.testing import TurnoutTestCase, make_group, make_person, run_due_tasks
from turnout.site.tests.helpers import REPO, database_url_for_children

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # noon in Seattle: texts go out at once
CSV = b"email,first_name,zip\nana@example.org,Ana,98101\nbad-email,Bob,98101\n"


def days_ago(days: float) -> Any:
    return time_machine.travel(NOW - timedelta(days=days), tick=False)


def inbound(body: str, *, days: float, handled: bool, waiting: bool = False) -> InboundMessage:
    return InboundMessage.objects.create(from_number="+12065550123", body=body, handled=handled, waiting=waiting,
                                         received_at=NOW - timedelta(days=days))


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory", ORGANIZATION_NAME="Local 8 Union")
class RetentionTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.imports = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.imports, ignore_errors=True)
        overridden = override_settings(IMPORT_DIR=self.imports)
        overridden.enable()
        self.addCleanup(overridden.disable)

    def send_text(self, body: str, *, days: float) -> Message:
        """An organizer's text to the rapid-response tag, sent `days` ago (one texted, one without consent)."""
        with days_ago(days), self.captureOnCommitCallbacks(execute=True):
            message = sending.create_message(actor=self.organizer, group=self.local, fields={
                "channel": "sms", "body": body, "audience": {"tag": "rapid-response"}})
            sending.start_sending(actor=self.organizer, message=message,
                                  audience=Person.objects.filter(pk__in=[self.member.pk, self.quiet.pk]))
        with days_ago(days):
            run_due_tasks()
        message.refresh_from_db()
        self.assertEqual(message.status, "sent")
        return message

    def import_file(self, *, days: float) -> ImportJob:
        with days_ago(days):
            job = start_import(actor=self.organizer, group=self.local, upload=BytesIO(CSV), original_name="members.csv",
                               membership="member")
            return run_import_job(job_id=job.pk)  # type: ignore[return-value]

    def test_handled_texts_go_after_90_days_and_unread_replies_after_a_year(self) -> None:
        """A reply nobody marked handled stays in the inbox for a year; one not yet offered to the apps stays."""
        old_handled = inbound("STOP", days=91, handled=True)
        recent_handled = inbound("Y", days=89, handled=True)
        unread = inbound("Can I bring my kids?", days=200, handled=False)
        forgotten = inbound("Hello?", days=366, handled=False)
        waiting = inbound("Y", days=400, handled=False, waiting=True)
        counts = retention.run()
        self.assertEqual((counts["inbound_handled"], counts["inbound_unhandled"]), (1, 1))
        self.assertEqual(set(InboundMessage.objects.values_list("pk", flat=True)),
                         {recent_handled.pk, unread.pk, waiting.pk})
        self.assertNotIn(old_handled.pk, InboundMessage.objects.values_list("pk", flat=True))
        self.assertNotIn(forgotten.pk, InboundMessage.objects.values_list("pk", flat=True))

    def test_a_finished_messages_outbox_goes_after_180_days_and_its_figures_stay(self) -> None:
        """The message's page, the messages list and the progress counts read the same before and after."""
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        self.quiet = make_person(self.local, given_name="Quiet", phone="+12065550144")
        for person in (self.member, self.quiet):
            add_tag(person=person, group=self.local, name="rapid-response")
        old = self.send_text("Rally at Westlake Park, 6pm", days=181)
        recent = self.send_text("Picket at 7am", days=179)
        InboundMessage.objects.create(from_number="+12065550123", person=self.member, body="Y",
                                      received_at=NOW - timedelta(days=180))
        Delivery.objects.filter(message=old, person=self.member).update(
            status="failed", error="Twilio: +12065550123 is unreachable")
        before = outbox.progress(old)
        started = outbox.started_at(old)
        self.login(self.organizer)
        listed_before = self.row_in_list(old)

        counts = retention.run()

        self.assertEqual(counts["deliveries"], 2)
        self.assertFalse(Delivery.objects.filter(message=old).exists())
        self.assertEqual(Delivery.objects.filter(message=recent).count(), 2)
        old.refresh_from_db()
        self.assertEqual(outbox.progress(old), before)
        self.assertEqual((before["targeted"], before["failed"], before["suppressed"], before["replies"]), (2, 1, 1, 1))
        self.assertEqual(outbox.started_at(old), started)
        # The provider's words are kept as a reason, without the number they quoted.
        self.assertEqual(outbox.failures(old), [("Twilio: … is unreachable", 1)])
        self.assertEqual(self.row_in_list(old), listed_before)
        page = self.client.get(old.get_absolute_url())
        self.assertContains(page, '<dd data-testid="targeted">2</dd>', html=True)
        self.assertContains(page, "was removed on 2026-11-24, as the retention settings ask")
        self.assertNotContains(self.client.get(recent.get_absolute_url()), "retention settings")
        self.assertEqual(retention.run()["deliveries"], 0)  # counted once
        old.refresh_from_db()
        self.assertEqual(outbox.progress(old), before)

    def test_a_reply_removed_before_the_outbox_still_counts_on_the_message(self) -> None:
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        self.quiet = make_person(self.local, given_name="Quiet", phone="+12065550144")
        message = self.send_text("Rally at Westlake Park, 6pm", days=100)
        reply = InboundMessage.objects.create(from_number="+12065550123", person=self.member, body="Y", handled=True,
                                              received_at=NOW - timedelta(days=95))
        self.assertEqual(outbox.progress(message)["replies"], 1)
        self.assertEqual(retention.run()["inbound_handled"], 1)
        self.assertFalse(InboundMessage.objects.filter(pk=reply.pk).exists())
        message.refresh_from_db()
        self.assertEqual(outbox.progress(message)["replies"], 1)
        with override_settings(KEEP_DELIVERIES_DAYS=50):
            self.assertEqual(retention.run()["deliveries"], 2)
        message.refresh_from_db()
        self.assertEqual((outbox.progress(message)["replies"], outbox.progress(message)["sent"]), (1, 1))

    def row_in_list(self, message: Message) -> str:
        listed = self.client.get(reverse("messaging:list")).content.decode()
        return listed.split(message.get_absolute_url())[1].split("</tr>")[0]

    def test_a_message_still_sending_keeps_its_outbox(self) -> None:
        message = Message.objects.create(group=self.local, channel="sms", body="Strike vote", status="sending")
        with days_ago(400):
            outbox.materialize(message, Person.objects.filter(pk=self.member.pk))
        self.assertEqual(retention.run()["deliveries"], 0)
        self.assertTrue(Delivery.objects.filter(message=message).exists())

    def test_webhook_deliveries_delivered_or_given_up_on_go_after_30_days(self) -> None:
        hook = Webhook.objects.create(group=self.local, url="https://example.org/hook", secret="s")

        def delivery(status: str, days: float) -> WebhookDelivery:
            with days_ago(days):
                return WebhookDelivery.objects.create(webhook=hook, event="person.created", payload={}, status=status)

        delivered, failed = delivery("delivered", 31), delivery("failed", 31)
        retrying, recent = delivery("pending", 31), delivery("delivered", 29)
        self.assertEqual(retention.run()["webhook_deliveries"], 2)
        self.assertEqual(set(WebhookDelivery.objects.all()), {retrying, recent})
        self.assertFalse(WebhookDelivery.objects.filter(pk__in=[delivered.pk, failed.pk]).exists())

    def test_unreadable_callbacks_finished_tasks_settled_forms_login_records_and_sessions_go(self) -> None:
        for days in (31, 29):
            UnreadableWebhook.objects.create(source="twilio", body="From=+12065550123", reason="no signature",
                                             received_at=NOW - timedelta(days=days))
        for days in (8, 6):
            with days_ago(days):
                settle_rsvps.enqueue(last_look=False)
                run_due_tasks()
        event = self.make_event()
        for days in (8, 6):
            with days_ago(days):
                rsvp_later(event, {"given_name": f"Ana{days}", "family_name": "", "email": f"ana{days}@example.org",
                                   "phone": "", "postal_code": "", "language": "en", "sms_consent_text": "",
                                   "answers": {}, "source": "form", "shift_id": None, "ref": ""})
                settle_waiting()
        with days_ago(8):
            waiting = RsvpIntake.objects.create(event=event, data={"unknown_field": "x"})
        for days in (91, 89):
            with days_ago(days):
                AccessLog.objects.create(username="organizer@example.org", ip_address="198.51.100.4", user_agent="x")
        for days in (2, 0):
            with days_ago(days):
                session = SessionStore()
                session["seen"] = True
                session.set_expiry(3600)
                session.save()

        counts = retention.run()

        self.assertEqual(counts["unreadable_webhooks"], 1)
        self.assertEqual(UnreadableWebhook.objects.get().received_at, NOW - timedelta(days=29))
        self.assertEqual(counts["task_results"], 1)
        finished = DBTaskResult.objects.finished()
        self.assertFalse(finished.filter(finished_at__lt=NOW - timedelta(days=7)).exists())
        self.assertTrue(finished.filter(finished_at=NOW - timedelta(days=6)).exists())
        self.assertEqual(counts["rsvp_forms"], 1)
        self.assertEqual(sorted(RsvpIntake.objects.values_list("outcome", flat=True)), ["", "going"])
        self.assertTrue(RsvpIntake.objects.filter(pk=waiting.pk).exists())
        self.assertEqual(counts["login_records"], 1)
        self.assertEqual(AccessLog.objects.count(), 1)
        self.assertEqual(counts["sessions"], 1)
        self.assertEqual(Session.objects.count(), 1)

    def make_event(self) -> Event:
        return save_event(actor=None, event=Event(group=self.local, title="Rally", postal_code="98101",
                                                  venue="Westlake Park", starts_at=NOW + timedelta(days=30)))

    def test_an_imports_file_and_report_are_deleted_after_30_days_and_its_page_says_so(self) -> None:
        old, recent = self.import_file(days=31), self.import_file(days=29)
        upload, report = Path(old.file_path), Path(old.error_report_path)
        self.assertTrue(upload.exists() and report.exists())
        stray = self.imports / "6f1c1a52-8d0e-4c39-9a43-3e1f5b3c2d10.csv"  # its import was deleted with its group
        stray.write_bytes(b"email\nx@example.org\n")
        other = self.imports / "README.txt"
        other.write_text("not Turnout's")
        for path in (stray, other):
            os.utime(path, ((NOW - timedelta(days=40)).timestamp(),) * 2)

        self.assertEqual(retention.run()["import_files"], 3)

        self.assertFalse(upload.exists() or report.exists() or stray.exists())
        self.assertTrue(other.exists())
        self.assertTrue(Path(recent.file_path).exists() and Path(recent.error_report_path).exists())
        old.refresh_from_db()
        self.assertEqual((old.rows_created, old.rows_failed, old.files_removed_at), (1, 1, NOW))
        self.login(self.organizer)
        page = self.client.get(old.get_absolute_url())
        self.assertContains(page, "The uploaded file and its report of rows not imported were deleted on 2026-11-24")
        self.assertContains(page, '<dd id="rows-failed">1</dd>', html=True)
        self.assertNotContains(page, "bad-email")  # the sample of rejected rows quoted the file
        self.assertNotContains(page, reverse("people:import_errors", args=[old.public_id]))
        download = self.client.get(reverse("people:import_errors", args=[old.public_id]), follow=True)
        self.assertRedirects(download, old.get_absolute_url())
        self.assertContains(download, "The report of rows not imported was deleted with the file")
        self.assertContains(self.client.get(recent.get_absolute_url()), "bad-email")

    def test_an_upload_left_in_its_preview_goes_after_30_days(self) -> None:
        """Never started, a member list waiting in its column preview is deleted like a finished one."""
        with days_ago(31):
            old = start_import(actor=self.organizer, group=self.local, upload=BytesIO(CSV), original_name="old.csv",
                               membership="member", preview=True)
        with days_ago(29):
            recent = start_import(actor=self.organizer, group=self.local, upload=BytesIO(CSV),
                                  original_name="recent.csv", membership="member", preview=True)
        self.assertEqual(retention.run()["import_files"], 1)
        self.assertFalse(Path(old.file_path).exists())
        self.assertTrue(Path(recent.file_path).exists())
        old.refresh_from_db()
        self.assertEqual((old.status, old.files_removed_at), ("failed", NOW))
        self.login(self.organizer)
        self.assertContains(self.client.get(old.get_absolute_url()), "Never started; the file was deleted")

    def test_the_operators_periods_apply_and_0_keeps_for_ever(self) -> None:
        inbound("Y", days=6, handled=True)
        inbound("STOP", days=1000, handled=True)
        with override_settings(KEEP_INBOUND_DAYS=0):
            counts = retention.run()
        self.assertNotIn("inbound_handled", counts)
        self.assertEqual(InboundMessage.objects.count(), 2)
        with override_settings(KEEP_INBOUND_DAYS=5):
            self.assertEqual(retention.run()["inbound_handled"], 2)
        self.assertFalse(InboundMessage.objects.exists())

    def test_a_run_that_removes_something_is_on_the_audit_log_with_its_counts(self) -> None:
        retention.run()
        self.assertFalse(AuditEntry.objects.filter(action="delete").exists())  # nothing to remove, nothing said
        inbound("STOP", days=91, handled=True)
        inbound("Hello?", days=366, handled=False)
        retention.run()
        entry = AuditEntry.objects.get(action="delete")
        self.assertEqual((entry.actor, entry.actor_label), (None, "command line"))
        self.assertEqual(entry.detail["removed"], {"inbound_handled": 1, "inbound_unhandled": 1})
        self.assertEqual(entry.detail["days"]["inbound_handled"], 90)
        self.assertEqual(entry.summary, "Retention removed handled texts received: 1 (kept 90 days); "
                                        "replies nobody marked handled: 1 (kept 365 days)")

    def test_the_prune_command_removes_and_its_dry_run_only_counts(self) -> None:
        inbound("STOP", days=91, handled=True)
        out = StringIO()
        call_command("prune", "--dry-run", stdout=out)
        self.assertIn("Would remove:\n  handled texts received: 1 (kept 90 days)\n", out.getvalue())
        self.assertEqual(InboundMessage.objects.count(), 1)
        self.assertFalse(AuditEntry.objects.filter(action="delete").exists())
        out = StringIO()
        with override_settings(KEEP_LOGIN_RECORDS_DAYS=0):
            call_command("prune", stdout=out)
        self.assertIn("Removed:\n  handled texts received: 1 (kept 90 days)\n", out.getvalue())
        self.assertIn("Kept for ever (period 0): TURNOUT_KEEP_LOGIN_RECORDS_DAYS", out.getvalue())
        self.assertFalse(InboundMessage.objects.exists())
        self.assertTrue(AuditEntry.objects.filter(action="delete").exists())

    def test_a_small_batch_removes_everything_in_several_transactions(self) -> None:
        for n in range(5):
            inbound(f"Y{n}", days=91, handled=True)
        self.assertEqual(retention.run(batch=2)["inbound_handled"], 5)
        self.assertFalse(InboundMessage.objects.exists())


class WorkerRetentionTests(TransactionTestCase):
    """The worker itself, in its own process: it prunes at start, and then hourly."""

    def setUp(self) -> None:
        self.group = make_group("Local 8")

    def test_the_worker_removes_old_records_when_it_starts(self) -> None:
        old = InboundMessage.objects.create(from_number="+12065550123", body="STOP", handled=True,
                                            received_at=timezone.now() - timedelta(days=91))
        # Its own var/: other tests' import files in the shared one, stamped by the real clock, are
        # strays past their period to a worker whose clock is moved ahead (make test-future).
        var = tempfile.TemporaryDirectory()
        self.addCleanup(var.cleanup)
        env = {**os.environ, "DATABASE_URL": database_url_for_children(), "TURNOUT_VAR_DIR": var.name}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        with tempfile.TemporaryFile("w+") as log:
            process = subprocess.Popen([sys.executable, "-m", "turnout", "worker"], cwd=REPO, env=env,
                                       stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
            try:
                deadline = time.monotonic() + 60
                # The run's audit entry is written once every kind is done, after this row has gone.
                while ((InboundMessage.objects.filter(pk=old.pk).exists()
                        or not AuditEntry.objects.filter(action="delete").exists())
                       and time.monotonic() < deadline):
                    if process.poll() is not None:
                        log.seek(0)
                        self.fail(f"the worker stopped: {log.read()}")
                    time.sleep(0.5)
            finally:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        self.assertFalse(InboundMessage.objects.filter(pk=old.pk).exists())
        self.assertEqual(AuditEntry.objects.get(action="delete").detail["removed"], {"inbound_handled": 1})

    def test_the_workers_minute_loop_prunes_at_start_and_then_every_hour(self) -> None:
        class Stop(BaseException):
            pass

        minutes: list[int] = []

        def sleep(_seconds: float) -> None:
            minutes.append(len(minutes) + 1)
            if len(minutes) == 30:  # half an hour in, a text becomes old enough
                InboundMessage.objects.create(from_number="+12065550123", body="Y", handled=True,
                                              received_at=timezone.now() - timedelta(days=91))
            if len(minutes) == 59:  # not yet removed: retention is hourly
                self.assertEqual(InboundMessage.objects.count(), 1)
            if len(minutes) > 60:
                raise Stop

        InboundMessage.objects.create(from_number="+12065550123", body="STOP", handled=True,
                                      received_at=timezone.now() - timedelta(days=91))
        with self.assertRaises(Stop):
            worker._recover_every_minute(sleep=sleep)
        self.assertFalse(InboundMessage.objects.exists())
        self.assertEqual(AuditEntry.objects.filter(action="delete").count(), 2)
