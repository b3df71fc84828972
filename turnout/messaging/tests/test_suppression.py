"""An opt-out outlives the erasure of the person who gave it: the suppression list.

Maria (Local 8's member) texts STOP, then asks to be erased. Her number comes back later through an
import, the API and a public form: only the form, with the text box ticked (her own new consent),
lets a group text it again, and the audit log says so. The database keeps no trace of the number
in clear, only a keyed hash, which survives a rotation of Turnout's keys.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection, models
from django.test import override_settings
from django.urls import reverse

from turnout.actions.models import Form
from turnout.api.tests.base import ApiTestCase
from turnout.core import sealing
from turnout.messaging import optouts, outbox
from turnout.messaging.models import Delivery, Message
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.people.importer import Importer, ImportResult
from turnout.people.models import Person, PhoneNumber, Subscription, Suppression, SuppressionKey
from turnout.site.testing import audit_summaries

SECRET = "gateway-secret"
NOON = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 12:00 in Seattle: no quiet hours
NUMBER = "+12065550123"  # Maria's, on no other record
DIGITS = "2065550123"


@time_machine.travel(NOON, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, ORGANIZATION_NAME="Local 8 Union")
class SuppressionTests(ApiTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()

    def text_in(self, body: str, provider_id: str) -> None:
        raw = json.dumps({"id": provider_id, "from": NUMBER, "to": "+12065550000", "body": body}).encode()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                                        headers={"X-Turnout-Signature": signature(raw, SECRET)})
        self.assertEqual(response.status_code, 200)
        self.run_worker()

    def erase(self, person: Person) -> None:
        self.login(self.admin)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("people:erase", args=[person.public_id]),
                                        {"confirm": person.display_name})
        self.assertEqual(response.status_code, 302)
        self.client.logout()

    def stop_and_erase_maria(self) -> None:
        self.text_in("STOP", provider_id="stop")
        self.assertEqual(PhoneNumber.objects.get(number=NUMBER).sms_status, Subscription.UNSUBSCRIBED)
        self.erase(self.member)
        self.assertFalse(PhoneNumber.objects.filter(number=NUMBER).exists())

    def run_import(self, content: str) -> ImportResult:
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
            handle.write(content.encode())
        path = Path(handle.name)
        self.addCleanup(path.unlink)
        return Importer(group=self.local, actor=self.organizer, source_name="members.csv").run(path)

    def blast(self) -> Message:
        """An admin of the council texts everyone they can see, and the outbox sends it."""
        message = Message.objects.create(group=self.council, channel="sms", body="Rally at Westlake Park, 6pm",
                                         created_by=self.admin)
        outbox.materialize(message, Person.objects.visible_to(self.admin))
        outbox.dispatch(message)
        return message

    def texted(self) -> list[str]:
        return [sms.to for sms in simple.outbox]

    def test_an_erased_members_number_comes_back_by_import_and_api_and_a_blast_does_not_text_it(self) -> None:
        """STOP, then erasure: her number imported again with a consent column, and sent by the API as
        subscribed, starts opted out on both new records, and a blast to everyone texts neither."""
        self.stop_and_erase_maria()
        self.assertEqual(list(Suppression.objects.values_list("channel", flat=True)), ["sms"])
        simple.outbox.clear()  # the STOP's answer

        result = self.run_import(f"first_name,last_name,phone,sms_opt_in\nMaria,Lopez,{DIGITS},yes\n")
        self.assertEqual((result.created, result.consent_kept_withdrawn), (1, 1))
        imported = Person.objects.get(phones__number=NUMBER)
        self.assertEqual(imported.phones.get().sms_status, Subscription.UNSUBSCRIBED)
        self.assertFalse(imported.consent_events.filter(action="opt_in").exists())

        # The second door: another group's system adds the number through the API, "subscribed".
        self.ok("POST", "people", {"person": {"given_name": "M", "family_name": "L", "phone_numbers": [
            {"number": "(206) 555-0123", "status": "subscribed"}]}}, status=201, key=self.outsider_key)
        api_record = Person.objects.get(phones__number=NUMBER, memberships__group=self.other)
        self.assertEqual(api_record.phones.get().sms_status, Subscription.UNSUBSCRIBED)

        message = self.blast()
        self.assertNotIn(NUMBER, self.texted())
        self.assertEqual(Delivery.objects.get(message=message, person=imported).error, "no consent")

    def test_a_form_with_the_text_box_ticked_is_her_new_consent_and_the_log_says_so(self) -> None:
        """Her own new consent on a public form subscribes that group's record again (the audit log
        names the suppression it lifted); the entry stays, so an import elsewhere still starts opted out."""
        self.stop_and_erase_maria()
        simple.outbox.clear()
        form = Form.objects.create(group=self.local, title="Join the contract campaign")
        unticked = Form.objects.create(group=self.other, title="Eastside newsletter")
        self.client.post(unticked.public_url(), {"given_name": "Maria", "phone": "(206) 555-0123",
                                                 "postal_code": "98101"})
        self.client.post(form.public_url(), {"given_name": "Maria", "phone": "(206) 555-0123",
                                             "sms_consent": "on", "postal_code": "98101"})
        self.settle_forms()

        ours = Person.objects.get(phones__number=NUMBER, memberships__group=self.local)
        theirs = Person.objects.get(phones__number=NUMBER, memberships__group=self.other)
        self.assertEqual(ours.phones.get().sms_status, Subscription.SUBSCRIBED)
        self.assertEqual(theirs.phones.get().sms_status, Subscription.UNSUBSCRIBED)
        self.assertIn("Consent to texts given again through the form, over an opt-out kept from an "
                      "erased record (the suppression list)", audit_summaries(ours))
        self.assertFalse([s for s in audit_summaries(theirs) if "suppression" in s])
        self.assertEqual(Suppression.objects.count(), 1)

        message = self.blast()
        self.assertEqual(self.texted(), [NUMBER])  # once, to Local 8's record
        self.assertEqual(Delivery.objects.get(message=message, person=ours).status, Delivery.Status.SENT)

    def test_a_consent_given_on_a_record_already_on_file_is_logged_too(self) -> None:
        """The one-by-one sign-up (a record of the group already holds the number): the same rule."""
        self.stop_and_erase_maria()
        self.run_import(f"first_name,phone\nMaria,{DIGITS}\n")
        record = Person.objects.get(phones__number=NUMBER)
        form = Form.objects.create(group=self.local, title="Join")
        self.client.post(form.public_url(), {"given_name": "Maria", "phone": "(206) 555-0123", "sms_consent": "on"})
        self.settle_forms()
        self.assertEqual(record.phones.get().sms_status, Subscription.SUBSCRIBED)
        self.assertEqual(len([s for s in audit_summaries(record) if "suppression list" in s]), 1)

    def test_erasing_someone_who_never_opted_out_keeps_nothing(self) -> None:
        self.erase(self.member)
        self.assertFalse(Suppression.objects.exists())
        self.assertFalse(SuppressionKey.objects.exists())
        self.run_import(f"first_name,phone,sms_opt_in\nMaria,{DIGITS},yes\n")
        self.assertEqual(PhoneNumber.objects.get(number=NUMBER).sms_status, Subscription.SUBSCRIBED)

    def test_an_unsubscribed_email_is_kept_too_and_a_form_does_not_resubscribe_it(self) -> None:
        """The unsubscribe link's opt-out outlives her; giving the address on a form later is not a
        new yes to email (only an explicit opt-in would be)."""
        self.login(self.organizer)
        self.client.post(reverse("people:consent", args=[self.member.public_id]),
                         {"address": "maria@example.org", "channel": "email", "action": "opt_out", "note": "asked"})
        self.erase(self.member)
        self.assertEqual(list(Suppression.objects.values_list("channel", flat=True)), ["email"])
        form = Form.objects.create(group=self.local, title="Join")
        self.client.post(form.public_url(), {"given_name": "Maria", "email": "Maria@Example.org"})
        self.settle_forms()
        self.assertEqual(Person.objects.get(emails__address="maria@example.org").emails.get().status,
                         Subscription.UNSUBSCRIBED)

    def test_the_check_at_send_time_reads_the_list_too(self) -> None:
        """A record marked subscribed by a write that skipped the rule (no opt-in of her own since
        the opt-out) is still not texted: `sendable` counts the erased record's opt-out."""
        self.stop_and_erase_maria()
        simple.outbox.clear()
        self.run_import(f"first_name,phone\nMaria,{DIGITS}\n")
        record = Person.objects.get(phones__number=NUMBER)
        PhoneNumber.objects.filter(person=record).update(sms_status=Subscription.SUBSCRIBED)
        message = Message.objects.create(group=self.local, channel="sms", body="Rally")
        Delivery.objects.create(message=message, person=record, channel="sms", address=NUMBER)
        outbox.dispatch(message)
        self.assertEqual(self.texted(), [])
        self.assertEqual(Delivery.objects.get(message=message).status, Delivery.Status.SUPPRESSED)

    def test_an_address_that_bounced_and_then_unsubscribed_is_kept(self) -> None:
        """A bounce keeps the address "bouncing" after an unsubscribe; the ledger's last word is the
        opt-out, and that is what the list keeps."""
        optouts.bounced(address="maria@example.org")
        optouts.opt_out(channel="email", address="maria@example.org", source="provider", detail="unsubscribe link",
                        why="unsubscribed")
        self.assertEqual(self.member.emails.get().status, Subscription.BOUNCING)
        self.erase(self.member)
        self.assertEqual(list(Suppression.objects.values_list("channel", flat=True)), ["email"])

    def columns_holding(self, needle: str) -> list[str]:
        """Every text column of every table (JSON read as text too) that holds `needle` in some row."""
        found = []
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                    continue
                table, column = (connection.ops.quote_name(n) for n in (model._meta.db_table, field.column))
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE CAST({column} AS TEXT) LIKE %s",  # noqa: S608
                                   [f"%{needle}%"])
                    if cursor.fetchone()[0]:
                        found.append(f"{model._meta.label}.{field.name}")
        return found

    def test_the_database_keeps_no_trace_of_the_number_in_clear(self) -> None:
        """Every text column of every table, searched for her number's digits after the erasure: the
        list holds a hash, and staff see only how many entries it has."""
        self.text_in("STOP", provider_id="stop")
        self.assertIn("people.PhoneNumber.number", self.columns_holding(DIGITS))  # the search finds it
        self.erase(self.member)
        self.assertEqual(self.columns_holding(DIGITS), [])
        self.assertEqual(Suppression.objects.count(), 1)

        self.login(self.outsider)  # an admin of another group, on one of their people
        page = self.client.get(self.stranger.get_absolute_url())
        self.assertContains(page, "The list holds 1 numbers and 0 email addresses")
        self.assertNotContains(page, DIGITS)

    def test_the_list_still_holds_after_turnouts_keys_are_rotated(self) -> None:
        """A new key put first, `rotate_keys`, the old key dropped: the list's own key is sealed again,
        not changed, so the number imported again still starts opted out."""
        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        with override_settings(ENCRYPTION_KEYS=[old]):
            self.stop_and_erase_maria()
        sealed_before = self.stored_key()
        with override_settings(ENCRYPTION_KEYS=[new, old]):
            sealing.rotate()
        self.assertNotEqual(self.stored_key(), sealed_before)
        with override_settings(ENCRYPTION_KEYS=[new]):
            self.assertEqual(Fernet(new.encode()).decrypt(self.stored_key().encode()),
                             Fernet(old.encode()).decrypt(sealed_before.encode()))
            self.run_import(f"first_name,phone,sms_opt_in\nMaria,{DIGITS},yes\n")
            self.assertEqual(PhoneNumber.objects.get(number=NUMBER).sms_status, Subscription.UNSUBSCRIBED)

    def stored_key(self) -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT key FROM people_suppressionkey")
            return cursor.fetchone()[0]

    def test_a_later_stop_and_erasure_of_the_same_number_keeps_one_entry(self) -> None:
        self.stop_and_erase_maria()
        self.run_import(f"first_name,phone\nMaria,{DIGITS}\n")
        with time_machine.travel(NOON + timedelta(days=1), tick=False):
            self.text_in("STOP", provider_id="stop-again")
            self.erase(Person.objects.get(phones__number=NUMBER))
        self.assertEqual(Suppression.objects.count(), 1)
