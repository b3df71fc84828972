"""A seized copy: what the database files and var/ would give away, read byte for byte.

Marked values go in through every door (an import with columns Turnout refuses, the API, a public
form, an RSVP, a text and a STOP, a union card, a workplace walk's door result, a webhook delivery,
the audit log); then an admin erases the person, the worker scrubs, and the database's own files
(SQLite's file and write-ahead log, or every PostgreSQL relation's file after CHECKPOINT) and every
file under var/ are searched for the markers. Before the erasure the person's plain details are found (the search works); refused
columns and sealed card fields are never found, before or after.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from turnout.accounts.models import Group, Role
from turnout.accounts.services import create_api_token
from turnout.actions.models import Form, FormQuestion
from turnout.api import webhooks
from turnout.api.models import WebhookDelivery
from turnout.events.models import Event
from turnout.messaging.transports.http import signature
from turnout.organizing.models import Campaign, Employer, Unit, Worker, Workplace
from turnout.organizing.models import Conversation as OneOnOne
from turnout.people.models import ImportJob, Person, ResultCode, Suppression
from turnout.site.testing import make_group, make_staff, run_due_tasks, start_previewed_import
from turnout.texting import doors
from turnout.texting import services as texting
from turnout.texting.models import Turf


def database_files_holding(needles: dict[str, bytes], *, kinds: str = "rit") -> dict[str, list[str]]:
    """For each marker, the database files that hold its bytes (on PostgreSQL, of the relations of
    these kinds: r tables, i indexes, t TOAST)."""
    found: dict[str, list[str]] = {name: [] for name in needles}
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        for file in (path, Path(f"{path}-wal")):
            data = file.read_bytes() if file.exists() else b""
            for name, needle in needles.items():
                if needle in data:
                    found[name].append(file.name)
        return found
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        for name, needle in needles.items():
            cursor.execute("SELECT relname FROM pg_class WHERE pg_relation_filepath(oid) IS NOT NULL "
                           "AND relpersistence = 'p' AND relkind = ANY(%s) AND position(%s::bytea IN "
                           "pg_read_binary_file(pg_relation_filepath(oid), 0, 1000000000, true)) > 0",
                           [list(kinds), needle])
            found[name] = [row[0] for row in cursor.fetchall()]
    return found


def var_files_holding(needles: dict[str, bytes]) -> dict[str, list[str]]:
    """For each marker, the files under var/ (uploads, reports, scans, mail) that hold it; the
    SQLite databases are read by database_files_holding."""
    found: dict[str, list[str]] = {name: [] for name in needles}
    for file in Path(settings.VAR_DIR).rglob("*"):
        if not file.is_file() or ".sqlite3" in file.name:
            continue
        data = file.read_bytes()
        for name, needle in needles.items():
            if needle in data:
                found[name].append(str(file))
    return found


# Other tests' transactions (in their own databases on the same server) keep PostgreSQL from removing
# rows while they run: the scrub waits for those older than the erasure to end.
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET="s", ALLOWED_HOSTS=["testserver"], SCRUB_WAIT_SECONDS=900)
class SeizedCopyTests(TransactionTestCase):
    def setUp(self) -> None:
        self.local = make_group("Local 8", parent=make_group("Metro Council", kind=Group.Kind.COUNCIL))
        self.organizer = make_staff("organizer@example.org", self.local, Role.ORGANIZER)
        self.admin = make_staff("admin@example.org", self.local, Role.ADMIN)
        mark = uuid.uuid4().hex[:12]
        self.number = f"+1206555{int(mark[:6], 16) % 9000 + 1000:04d}"
        self.plain = {  # on file until the erasure
            "name": f"Xq{mark}",
            "email": f"seized{mark}@example.org",
            "phone": self.number[2:],
            "custom field": f"cf{mark}",
            "form answer": f"ans{mark}",
            "text": f"txt{mark}",
            "tag": f"tag{mark}",
        }
        self.never = {  # refused or sealed: never on disk in plaintext
            "immigration status": f"imm{mark}",
            "ssn": f"ssn{mark}",
            "API refused key": f"visa{mark}",
            "card browser": f"ua{mark}",
            "card job": f"job{mark}",
            "door next step": f"nxt{mark}",
        }

    def login(self, user: object) -> None:
        self.client.force_login(user)  # type: ignore[arg-type]
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = self.client.session
        session["otp_device_id"] = device.persistent_id
        session.save()

    def seed_through_every_door(self) -> Person:
        plain, never = self.plain, self.never
        webhooks.register_webhook(actor=self.organizer, group=self.local, url="http://127.0.0.1:9/hook")
        # 1. The import page, with columns Turnout refuses.
        self.login(self.organizer)
        csv = (f"first_name,last_name,email,phone,Immigration Status,SSN,Notes\n"
               f"{plain['name']},Marker,{plain['email']},{self.number},{never['immigration status']},"
               f"{never['ssn']},{plain['custom field']}\n").encode()
        response = self.client.post(reverse("people:imports"), {
            "file": SimpleUploadedFile("members.csv", csv, "text/csv"), "group": self.local.pk,
            "tag": "spring", "membership": "member"})
        self.assertEqual(response.status_code, 302, response.content[:500])
        self.assertEqual(start_previewed_import(self.client, ImportJob.objects.get()).status_code, 302)
        run_due_tasks()
        person = Person.objects.get(emails__address=plain["email"])
        # A tag only they hold, from their page: its name alone could say who it was about.
        self.client.post(reverse("people:tags", args=[person.public_id]), {"name": plain["tag"]})
        # 2. The API, with a key Turnout refuses.
        _token, key = create_api_token(actor=None, user=self.organizer, group=self.local, name="sync")
        response = self.client.post("/api/v2/people", json.dumps({"person": {
            "email_addresses": [{"address": plain["email"]}],
            "custom_fields": {"shoe_size": plain["custom field"], "Visa status": never["API refused key"]}}}),
            content_type="application/json", headers={"OSDI-API-Token": key})
        self.assertIn(response.status_code, (200, 201), response.content[:500])
        # 3. A public form and 4. an RSVP.
        form = Form.objects.create(group=self.local, title="Join")
        question = FormQuestion.objects.create(form=form, position=1, label="Anything else?")
        self.client.post(form.public_url(), {"given_name": plain["name"], "email": plain["email"],
                                             f"fq{question.pk}": plain["form answer"]})
        event = Event.objects.create(group=self.local, title="Rally", starts_at=timezone.now() + timedelta(days=30),
                                     time_zone="America/Los_Angeles")
        self.client.post(event.public_url(), {"given_name": plain["name"], "email": plain["email"],
                                              "postal_code": "98101"})
        # 5. A text from their phone.
        raw = json.dumps({"id": "in-1", "from": self.number, "body": plain["text"]}).encode()
        self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                         headers={"X-Turnout-Signature": signature(raw, "s")})
        # And STOP: the opt-out outlives the erasure, on the suppression list, as a keyed hash only.
        raw = json.dumps({"id": "in-2", "from": self.number, "body": "STOP"}).encode()
        self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                         headers={"X-Turnout-Signature": signature(raw, "s")})
        # 6. A union card on the public card page.
        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee", industry="food")
        campaign = Campaign.objects.create(group=self.local, name="Bean Street", employer=employer,
                                           union_name="Bean Street Workers United")
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike", postal_code="98101")
        unit = Unit.objects.create(campaign=campaign, workplace=workplace)
        url = reverse("public_card", args=[campaign.public_id])
        card = {"given_name": plain["name"], "family_name": "Marker", "email": plain["email"], "phone": "",
                "job_title": never["card job"], "website": "", "unit": unit.pk}
        review = self.client.post(url, {**card, "step": "review"})
        done = self.client.post(url, {**card, "step": "sign", "card_text": review.context["card_text"],
                                      "signature": f"{plain['name']} Marker", "agree": "on"},
                                HTTP_USER_AGENT=never["card browser"])
        self.assertContains(done, "Your union card is signed")
        # 6b. A coworker walks the shop and records a next step: sealed on the door result and on
        # the campaign's one-on-one.
        Worker.objects.get_or_create(unit=unit, person=person)
        walk = texting.create_campaign(actor=self.organizer, group=self.local, fields={
            "title": "Walk the shop", "channel": "door", "audience": {"source": f"roster:{campaign.public_id}"},
            "script": "Hi {first_name}, it's {texter_first_name}."})
        texting.launch(actor=self.organizer, campaign=walk, audience=Person.objects.filter(pk=person.pk))
        doors.cut(actor=self.organizer, campaign=walk, doors=10)
        _invite, key = texting.invite(actor=self.organizer, campaign=walk)
        self.client.logout()
        own = self.client.post(f"/t/join/{key}/", {"name": "Ann Coworker", "email": ""})["Location"]
        turf = Turf.objects.get(campaign=walk)
        doors.assign(actor=self.organizer, turf=turf, canvassers=[walk.texters.get()])
        door = self.client.get(f"{own}turfs/{turf.public_id}.json").json()["households"][0]["people"][0]
        synced = self.client.post(f"{own}sync/", json.dumps({"results": [{
            "client_id": str(uuid.uuid4()), "contact": door["id"], "result": ResultCode.objects.get(key="talked").pk,
            "score": 2, "next_step": never["door next step"]}]}), content_type="application/json").json()
        self.assertEqual(len(synced["accepted"]), 1)
        run_due_tasks()
        self.assertEqual(OneOnOne.objects.get(worker__person=person).next_step, never["door next step"])
        # 7. The worker runs: RSVPs settle, webhook payloads are built (the receiver is down, so they wait).
        run_due_tasks()
        self.assertTrue([d for d in WebhookDelivery.objects.all() if plain["email"] in d.payload.get("raw", "")])
        # 8. An admin reads the record: the audit log has entries about them.
        self.login(self.admin)
        self.assertContains(self.client.get(person.get_absolute_url()), plain["custom field"])
        self.assertEqual(Person.objects.count(), 1)
        return person

    def test_an_erased_person_leaves_no_trace_in_the_files(self) -> None:
        self.seize_after_erasing()

    @override_settings(SCRUB_REWRITE_MAX_MB=0)
    def test_large_tables_are_reindexed_without_a_rewrite(self) -> None:
        """PostgreSQL tables past TURNOUT_SCRUB_REWRITE_MAX_MB are vacuumed and reindexed
        concurrently instead of rewritten: no index keeps the erased values. (Their heap pages may
        keep fragments until new rows overwrite them, as docs/privacy.md says; SQLite is read whole.)"""
        self.seize_after_erasing(kinds="i" if connection.vendor == "postgresql" else "rit")

    def seize_after_erasing(self, kinds: str = "rit") -> None:
        person = self.seed_through_every_door()
        plain = {name: value.encode() for name, value in self.plain.items()}
        never = {name: value.encode() for name, value in self.never.items()}
        before = database_files_holding(plain)
        for name in ("name", "email", "phone", "custom field", "text", "form answer", "tag"):
            self.assertTrue(before[name], f"the search should find the {name} before the erasure")
        self.assertEqual({k: v for k, v in database_files_holding(never).items() if v}, {})
        self.assertEqual({k: v for k, v in var_files_holding(never).items() if v}, {})

        response = self.client.post(reverse("people:erase", args=[person.public_id]),
                                    {"confirm": person.display_name})
        self.assertEqual(response.status_code, 302)
        run_due_tasks()  # the scrub: SQLite's WAL checkpointed and truncated, PostgreSQL vacuumed

        self.assertEqual({k: v for k, v in database_files_holding({**plain, **never}, kinds=kinds).items() if v}, {})
        self.assertEqual({k: v for k, v in var_files_holding({**plain, **never}).items() if v}, {})
        # What is left of the number is its keyed hash: the same number imported again is not texted.
        self.assertEqual(list(Suppression.objects.values_list("channel", flat=True)), ["sms"])


class ScrubWaitTests(TransactionTestCase):
    def test_the_scrub_waits_for_transactions_older_than_the_erasure(self) -> None:
        """On PostgreSQL an open transaction that began before the erasure holds the erased rows in
        the table's pages: the scrub answers False (the task tries again) until it ends."""
        from django.db import connections
        from django.utils import timezone

        from turnout.people import erasure

        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT count(*) FROM people_person")
                if other.vendor == "postgresql":
                    cursor.execute("SELECT txid_current()")
            since = timezone.now()
            # SQLite has no such horizon: its deleted rows are zeroed as they are deleted.
            self.assertEqual(erasure.scrub(["people_person"], since=since, wait=0), connection.vendor != "postgresql")
            with other.cursor() as cursor:
                cursor.execute("ROLLBACK")
            # Other tests hold their own transactions on the same server: wait for those too.
            self.assertTrue(erasure.scrub(["people_person"], since=since, wait=900))
        finally:
            other.close()
