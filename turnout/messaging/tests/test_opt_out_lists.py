"""Opt-out lists for the whole organization: upload, download, and undo an upload made in error."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from turnout.core.models import AuditEntry
from turnout.messaging import sending
from turnout.messaging.models import Delivery, Message, OptOutList
from turnout.people import suppression
from turnout.people.models import ConsentEvent, Person, Subscription
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_person


class OptOutListTests(TurnoutTestCase):
    def setUp(self) -> None:
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        self.other_member = make_person(self.local, given_name="Ken", phone="+12065550177")
        record_consent(person=self.other_member, channel="sms", address="+12065550177", action="opt_in",
                       source="form")

    def upload(self, text: str, name: str = "old-tool-optouts.csv") -> object:
        return self.client.post("/messages/opt-outs/", {"group": self.local.pk,
                                                        "file": SimpleUploadedFile(name, text.encode())})

    def sms_status(self, person: Person) -> str:
        return person.phones.get().sms_status

    def test_an_upload_opts_out_every_record_and_keeps_unknown_numbers_and_can_be_undone(self) -> None:
        self.login(self.admin)
        response = self.upload("Name,Phone\nMaria,(206) 555-0123\nNew,+1 312 555 0100\nBad,not a number\n")
        self.assertEqual(response.status_code, 302)
        made = OptOutList.objects.get()
        self.assertEqual((made.numbers, made.on_records, made.stopped), (2, 1, 1))
        self.assertEqual(made.refused, [[4, "not a phone number"]])  # what the line held is not kept
        self.assertEqual(self.sms_status(self.member), Subscription.UNSUBSCRIBED)
        self.assertEqual(self.sms_status(self.other_member), Subscription.SUBSCRIBED)
        self.assertTrue(suppression.suppressed(channel="sms", addresses=["+13125550100"]))
        # A blast afterwards leaves the number out.
        blast = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
        sending.start_sending(actor=self.organizer, message=blast, audience=Person.objects.filter(pk=self.member.pk))
        self.assertEqual(Delivery.objects.get(message=blast).status, Delivery.Status.SUPPRESSED)
        page = self.client.get("/messages/opt-outs/")
        self.assertContains(page, "old-tool-optouts.csv")
        self.assertContains(page, "line 4")
        self.client.post(f"/messages/opt-outs/{made.public_id}/undo/")
        self.assertEqual(self.sms_status(self.member), Subscription.SUBSCRIBED)
        self.assertFalse(suppression.suppressed(channel="sms", addresses=["+13125550100"]))
        self.assertEqual(ConsentEvent.objects.filter(person=self.member).order_by("-pk").first().source_detail,
                         f"undo of opt-out list {made.public_id}")
        again = self.client.post(f"/messages/opt-outs/{made.public_id}/undo/", follow=True)
        self.assertContains(again, "undone already")
        self.assertTrue(AuditEntry.objects.filter(action="import", target_type="optoutlist").exists())

    def test_undoing_one_upload_leaves_another_uploads_opt_outs_standing(self) -> None:
        self.login(self.admin)
        self.upload("+12065550123\n+13125550100\n", name="mistake.csv")
        self.upload("+12065550123\n+13125550100\n", name="carrier.csv")  # the same numbers, rightly
        mistake = OptOutList.objects.get(name="mistake.csv")
        self.client.post(f"/messages/opt-outs/{mistake.public_id}/undo/")
        self.assertEqual(self.sms_status(self.member), Subscription.UNSUBSCRIBED)
        self.assertTrue(suppression.suppressed(channel="sms", addresses=["+13125550100"]))
        carrier = OptOutList.objects.get(name="carrier.csv")
        self.client.post(f"/messages/opt-outs/{carrier.public_id}/undo/")
        self.assertEqual(self.sms_status(self.member), Subscription.UNSUBSCRIBED)  # consent was not there before it
        self.assertFalse(suppression.suppressed(channel="sms", addresses=["+13125550100"]))

    def test_a_file_that_is_not_a_csv_says_so(self) -> None:
        self.login(self.organizer)
        spreadsheet = SimpleUploadedFile("numbers.xlsx", b"PK\x03\x04\xff\xfe binary")
        page = self.client.post("/messages/opt-outs/", {"group": self.local.pk, "file": spreadsheet})
        self.assertContains(page, "Save the file as CSV in UTF-8")
        self.assertFalse(OptOutList.objects.exists())

    def test_undo_leaves_a_later_stop_standing(self) -> None:
        self.login(self.admin)
        self.upload("+12065550123\n+12065550177\n")
        record_consent(person=self.other_member, channel="sms", address="+12065550177", action="opt_out",
                       source="keyword", text="STOP")  # Ken texts STOP after the upload
        self.client.post(f"/messages/opt-outs/{OptOutList.objects.get().public_id}/undo/")
        self.assertEqual(self.sms_status(self.member), Subscription.SUBSCRIBED)
        self.assertEqual(self.sms_status(self.other_member), Subscription.UNSUBSCRIBED)

    def test_only_an_admin_undoes_and_a_bad_file_says_what_to_fix(self) -> None:
        self.login(self.organizer)
        bad = self.upload("Name\nMaria\n")
        self.assertContains(bad, "No phone numbers found")  # the form again, saying what to fix
        self.upload("phone\n206-555-0123\n")
        made = OptOutList.objects.get()
        page = self.client.get("/messages/opt-outs/")
        self.assertNotContains(page, f"/messages/opt-outs/{made.public_id}/undo/")
        self.assertEqual(self.client.post(f"/messages/opt-outs/{made.public_id}/undo/").status_code, 403)
        self.assertEqual(self.sms_status(self.member), Subscription.UNSUBSCRIBED)

    def test_the_download_holds_only_the_users_people(self) -> None:
        record_consent(person=self.stranger, channel="sms", address="+13125550199", action="opt_out", source="keyword")
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_out", source="keyword",
                       text="STOP")
        self.login(self.organizer)
        rows = list(csv.reader(io.StringIO(self.client.get("/messages/opt-outs/download.csv").content.decode())))
        self.assertEqual(rows[0], ["phone", "opted_out_at", "how"])
        self.assertEqual([(r[0], r[2]) for r in rows[1:]], [("(206) 555-0123", "keyword")])
        self.assertTrue(AuditEntry.objects.filter(action="export", actor=self.organizer).exists())
        self.login(self.outsider)
        rows = list(csv.reader(io.StringIO(self.client.get("/messages/opt-outs/download.csv").content.decode())))
        self.assertEqual([r[0] for r in rows[1:]], ["(312) 555-0199"])
