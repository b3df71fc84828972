"""What a seized copy of the database says about a campaign: the signature record, the signer, every
score and who asked to organize which employer are sealed; the counts still add up; an erased
worker's cards and scans are gone; and a new key takes over everything with `rotate_keys`."""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from cryptography.fernet import Fernet, InvalidToken
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from turnout.core.sealing import sealed_fields
from turnout.organizing import selectors, services
from turnout.organizing.models import Assessment, Card, Conversation, Request, Unit, Worker
from turnout.organizing.tests.test_organizing import CARD, INTAKE, OrganizingCase
from turnout.people.models import Person
from turnout.people.services import merge_people
from turnout.site.testing import make_group, make_person

SIGNER = {**CARD, "given_name": "Rosa", "family_name": "Martinez", "email": "rosa.m@example.org",
          "phone": "(206) 555-0177", "sms_consent": "on", "job_title": "Espresso lead"}
BROWSER = "SealTestPhone/9.9 (a browser string nobody else sends)"
A, B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw_rows(table: str) -> list[dict[str, Any]]:
    """Every row of a table as stored, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def tables_holding(text: str, *, skip: tuple[str, ...] = ()) -> set[str]:
    """The tables with `text` in any stored value (case ignored)."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    return {table for table in tables if not table.startswith(skip)
            for row in raw_rows(table) for value in row.values()
            if value is not None and text.casefold() in str(value).casefold()}


class SealingCase(OrganizingCase):
    def setUp(self) -> None:
        media = tempfile.TemporaryDirectory()
        self.addCleanup(media.cleanup)
        self.media = Path(media.name)
        self.enterContext(override_settings(MEDIA_ROOT=media.name))

    def sign_online(self, **extra: Any) -> Card:
        """A worker of the roster (by her email and phone) signs on the public card page, in its two steps."""
        if not Worker.objects.filter(unit=self.unit, person__given_name="Rosa").exists():
            services.add_worker_by_hand(actor=self.organizer, unit=self.unit, given_name="Rosa",
                                        family_name="Martinez", email=SIGNER["email"], phone="+12065550177")
        url = reverse("public_card", args=[self.campaign.public_id])
        review = self.client.post(url, {**SIGNER, **extra, "unit": self.unit.pk, "step": "review"})
        done = self.client.post(url, {**SIGNER, **extra, "unit": self.unit.pk, "step": "sign", "agree": "on",
                                      "card_text": review.context["card_text"], "signature": "Rosa Martinez"},
                                HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.77")
        self.assertContains(done, "Your union card is signed")
        return Card.objects.latest("created_at")

    def rosa(self) -> Worker:
        return Worker.objects.get(person__given_name="Rosa", unit=self.unit)


class SealedAtRestTests(SealingCase):
    def test_a_signed_card_and_a_score_leave_nothing_readable_in_the_database(self) -> None:
        """After a card signed on the public page and a score given on the console, no stored value
        holds the typed name, the browser, the card's email or phone, or the score; no column links
        the card to its worker or person. The pages still show all of it."""
        coworkers = self.roster(self.unit, 3)
        card = self.sign_online()
        rosa = self.rosa()
        self.client.force_login(self.volunteer_user)
        self.client.post(reverse("organizing:worker", args=[rosa.public_id]),
                         {"assess": "1", "score": "2", "notes": "Came to the meeting"})
        self.client.post(reverse("organizing:worker", args=[rosa.public_id]),
                         {"talk": "1", "outcome": "signed", "next_step": "Ask her to host a lunch"})

        self.assertIn("people_person", tables_holding("Martinez"))  # the search reads every table
        self.assertEqual(tables_holding("Rosa Martinez"), set())
        self.assertEqual(tables_holding(BROWSER), set())
        self.assertEqual(tables_holding("Espresso lead"), set())
        self.assertEqual(tables_holding("203.0.113.77"), set())
        self.assertEqual(tables_holding("host a lunch"), set())
        # Her email and phone are on her person record, as any member's are; nowhere else.
        self.assertEqual(tables_holding("rosa.m@example.org", skip=("people_",)), set())
        self.assertEqual(tables_holding("+12065550177", skip=("people_",)), set())

        stored = raw_rows("organizing_card")[0]
        for column in ("signed_name", "email", "phone", "ip_address", "user_agent", "job_title", "worker_ref"):
            self.assertTrue(stored[column].startswith("gAAAAA"), column)  # a Fernet token
        for table, column in (("organizing_assessment", "score"), ("organizing_worker", "support"),
                              ("organizing_conversation", "outcome")):
            values = [row[column] for row in raw_rows(table) if row[column] is not None]
            self.assertTrue(values and all(str(v).startswith("gAAAAA") for v in values), (table, column))
        self.assertFalse(any("2" in entry["summary"] or "signed" in entry["summary"]
                             for entry in raw_rows("core_auditentry") if entry["target_id"] == str(rosa.person.public_id)))
        with connection.cursor() as cursor:
            links = {relation[1] for relation in connection.introspection.get_relations(cursor, "organizing_card").values()}
        self.assertEqual(links, {"organizing_unit", "accounts_user"})
        ids = {str(rosa.public_id), str(rosa.person.public_id), str(rosa.pk), str(rosa.person.pk)}
        self.assertFalse({str(value) for name, value in stored.items() if name != "id" and name != "unit_id"} & ids)

        self.assertEqual((card.signed_name, card.email, card.phone, card.user_agent, card.ip_address, card.worker),
                         ("Rosa Martinez", "rosa.m@example.org", "+12065550177", BROWSER, "203.0.113.77", rosa))
        self.assertEqual(Worker.objects.get(pk=rosa.pk).support, 2)
        self.assertEqual(Unit.objects.get(pk=self.unit.pk).low, 1)
        self.assertEqual((selectors.threshold(self.unit).cards, selectors.threshold(self.unit).eligible), (1, 4))
        worker_page = self.client.get(reverse("organizing:worker", args=[rosa.public_id]))
        self.assertContains(worker_page, 'data-testid="support">2<')
        self.assertContains(worker_page, "Signed online")
        self.assertContains(worker_page, "Ask her to host a lunch")
        roster = self.client.get(self.unit.get_absolute_url() + "?show=carded")
        self.assertEqual([w.pk for w in roster.context["roster"]], [rosa.pk])
        uncarded = self.client.get(self.unit.get_absolute_url() + "?show=uncarded")
        self.assertEqual({w.pk for w in uncarded.context["roster"]}, {w.pk for w in coworkers})

    def test_a_drill_down_pages_shop_by_shop_and_agrees_with_the_roll_up(self) -> None:
        """The lists behind "carded", "no valid card", "card too old" and "assessed 1 or 2" come from
        sealed values; each is as long as the roll-up's number and any slice of it is that slice of
        the whole list, shop after shop."""
        pike, capitol = self.roster(self.unit, 4), self.roster(self.other_unit, 3)
        last_year = timezone.localdate() - timedelta(days=400)
        for worker, signed_on in ((pike[0], None), (pike[2], last_year), (capitol[1], None)):
            services.record_paper_card(actor=self.organizer, worker=worker, scan=None,
                                       signed_on=signed_on or timezone.localdate())
        for worker, score in ((pike[1], 1), (capitol[2], 2), (pike[3], 4)):
            services.assess(actor=self.organizer, worker=worker, score=score)
        rollup = selectors.rollup(self.campaign)
        units = self.campaign.units.all()
        expected = {"carded": [capitol[1], pike[0]], "expired": [pike[2]],
                    "uncarded": [capitol[0], capitol[2], pike[1], pike[2], pike[3]], "low": [capitol[2], pike[1]]}
        for show, workers in expected.items():
            roster = selectors.drill(self.campaign, units, show)
            self.assertEqual([w.pk for w in roster], [w.pk for w in workers], show)
            self.assertEqual([w.pk for w in roster[1:4]], [w.pk for w in workers][1:4], show)
        self.assertEqual(len(selectors.drill(self.campaign, units, "uncarded")), rollup.workers - rollup.cards)
        self.assertEqual(len(selectors.drill(self.campaign, units, "low")), rollup.low)
        self.login(self.organizer)
        page = self.client.get(reverse("organizing:campaign_workers", args=[self.campaign.public_id]),
                               {"show": "expired"})
        self.assertContains(page, "too old")
        self.assertEqual(page.context["page"].paginator.count, 1)

    def test_who_asked_to_organize_which_employer_is_sealed_and_the_queue_still_reads(self) -> None:
        """The intake's employer and address are sealed; the ZIP, industry and size stay for triage."""
        self.client.post(reverse("public_intake", args=["local-8"]), INTAKE)
        stored = raw_rows("organizing_request")[0]
        self.assertEqual(tables_holding("Bean Street Coffee", skip=("organizing_employer", "organizing_campaign")),
                         set())
        self.assertEqual(tables_holding(INTAKE["workplace_address"], skip=("organizing_workplace",)), set())
        self.assertEqual((stored["postal_code"], stored["industry"], stored["size"]), ("98101", "food", "10-49"))
        self.login(self.organizer)
        self.assertContains(self.client.get(reverse("organizing:home")), "Bean Street Coffee")
        request = Request.objects.get()
        self.assertContains(self.client.get(request.get_absolute_url()), "Pike &amp; 5th")

    def test_a_second_card_updates_the_first_and_leaving_the_unit_stops_it_counting(self) -> None:
        """One worker, one card: signing again updates it and it counts once; an older paper card
        does not replace it. Out of the unit it does not count; back in, it counts again. An old
        card alone counts as too old."""
        self.roster(self.unit, 1)
        first = self.sign_online()
        rosa = self.rosa()
        self.login(self.organizer)
        last_year = timezone.localdate() - timedelta(days=400)
        with self.assertRaisesMessage(services.OrganizingError, "Their card on file is newer"):
            services.record_paper_card(actor=self.organizer, worker=rosa, signed_on=last_year, scan=None)
        second = self.sign_online()
        self.assertEqual((second.pk, Card.objects.count()), (first.pk, 1))
        self.assertEqual([c.pk for c in Card.objects.filter(counts=True)], [first.pk])
        self.assertEqual(selectors.threshold(self.unit).cards, 1)
        self.client.post(reverse("organizing:worker", args=[rosa.public_id]), {"placement": "1"})  # not ticked: out
        self.assertFalse(Card.objects.filter(counts=True).exists())
        self.assertEqual((selectors.threshold(self.unit).eligible, selectors.threshold(self.unit).cards), (1, 0))
        self.client.post(reverse("organizing:worker", args=[rosa.public_id]), {"placement": "1", "eligible": "on"})
        self.assertEqual([c.pk for c in Card.objects.filter(counts=True)], [first.pk])
        Card.objects.all().delete()
        older = services.record_paper_card(actor=self.organizer, worker=rosa, signed_on=last_year, scan=None)
        self.assertEqual([c.pk for c in Card.objects.filter(counts=True)], [older.pk])
        threshold = selectors.threshold(self.unit)
        self.assertEqual((threshold.cards, threshold.expired), (0, 1))


# 09:00 in Seattle: a paper card dated today (noon on the worker's clock) is not older than the card
# signed online a moment before, whatever the hour the suite runs at.
@time_machine.travel(datetime(2026, 11, 2, 17, tzinfo=UTC), tick=False)
class ErasureTests(SealingCase):
    def test_erasing_a_signer_deletes_their_cards_and_scan_and_the_counts_drop(self) -> None:
        """A worker who signed online and on paper (with a scan), then asks to be forgotten: both
        cards, the scan and its folder are gone, and the unit's counts no longer include them."""
        self.roster(self.unit, 3)
        self.sign_online()
        rosa = self.rosa()
        self.login(self.organizer)
        self.client.post(reverse("organizing:worker", args=[rosa.public_id]), {
            "paper": "1", "signed_on": timezone.localdate().isoformat(),
            "scan": SimpleUploadedFile("rosa-martinez-card.jpg", b"\xff\xd8scan")})
        services.assess(actor=self.organizer, worker=rosa, score=1)
        paper = Card.objects.get(kind="paper")
        scan = Path(paper.scan.path)
        self.assertEqual((scan.read_bytes(), scan.name), (b"\xff\xd8scan", "scan.jpg"))  # named for nobody
        self.assertEqual((selectors.threshold(self.unit).cards, Unit.objects.get(pk=self.unit.pk).low), (1, 1))

        self.login(self.admin)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("people:erase", args=[rosa.person.public_id]),
                                        {"confirm": rosa.person.display_name})
        self.assertRedirects(response, reverse("people:list"))
        self.assertFalse(Person.objects.filter(pk=rosa.person.pk).exists())
        self.assertFalse(Card.objects.exists())
        self.assertFalse(scan.exists())
        self.assertFalse(scan.parent.exists())
        threshold = selectors.threshold(self.unit)
        self.assertEqual((threshold.eligible, threshold.cards, Unit.objects.get(pk=self.unit.pk).low), (3, 0, 0))
        self.assertEqual(selectors.rollup(self.campaign).cards, 0)

    def test_a_card_deleted_with_its_campaign_takes_its_scan_along(self) -> None:
        worker = self.roster(self.unit, 1)[0]
        card = services.record_paper_card(actor=self.organizer, worker=worker, signed_on=timezone.localdate(),
                                          scan=SimpleUploadedFile("card.png", b"png"))
        scan = Path(card.scan.path)
        with self.captureOnCommitCallbacks(execute=True):
            self.campaign.delete()
        self.assertFalse(scan.exists())
        self.assertFalse(scan.parent.exists())

    def test_a_merge_keeps_the_merged_records_roster_row_and_cards(self) -> None:
        """A signed card is evidence: merging a duplicate moves its roster row to the kept record,
        or, where the kept record is on that unit already, signs its cards over to that row."""
        other = make_person(self.local, given_name="Rosa", family_name="Martinez")
        worker = Worker.objects.create(unit=self.unit, person=other)
        services.record_paper_card(actor=self.organizer, worker=worker, signed_on=timezone.localdate(), scan=None)
        self.assertEqual(selectors.threshold(self.unit).cards, 1)
        merge_people(actor=self.admin, keep=self.member, other=other)
        kept = Worker.objects.get(unit=self.unit, person=self.member)
        self.assertEqual([c.worker for c in Card.objects.all()], [kept])
        self.assertEqual(selectors.threshold(self.unit).cards, 1)
        twin = make_person(self.local, given_name="Maria", family_name="L.")
        services.record_paper_card(actor=self.organizer, worker=Worker.objects.create(unit=self.unit, person=twin),
                                   signed_on=timezone.localdate(), scan=None)
        merge_people(actor=self.admin, keep=self.member, other=twin)
        self.assertEqual({c.worker for c in Card.objects.all()}, {kept})
        self.assertEqual(Worker.objects.filter(unit=self.unit).count(), 1)
        self.assertEqual(selectors.threshold(self.unit).cards, 1)  # her newest card counts, once


class RotationTests(SealingCase):
    def test_rotate_keys_moves_every_sealed_value_to_the_new_key(self) -> None:
        """Data sealed under key A; keys [B, A]; rotate_keys; then with B alone every card, score,
        note and story opens, the blind index finds the card, and no stored value opens with A."""
        with override_settings(ENCRYPTION_KEYS=[A]):
            self.roster(self.unit, 1)
            self.sign_online()
            rosa = self.rosa()
            services.assess(actor=self.organizer, worker=rosa, score=2, notes="Came to the meeting")
            services.log_conversation(actor=self.organizer, worker=rosa, outcome="supportive", notes="Two kids")
            self.client.post(reverse("public_intake", args=["local-8"]), INTAKE)
        with override_settings(ENCRYPTION_KEYS=[B, A]):
            out = io.StringIO()
            call_command("rotate_keys", "--batch", "2", stdout=out)
            self.assertIn("organizing.Card.signed_name: 1 sealed again", out.getvalue())
            self.assertIn("organizing.Card.worker_index: 1 re-indexed", out.getvalue())
            again = io.StringIO()
            call_command("rotate_keys", stdout=again)
            self.assertNotRegex(again.getvalue(), r"[1-9]\d* sealed again")
            self.assertIn("0 re-indexed", again.getvalue())
        with override_settings(ENCRYPTION_KEYS=[B]):
            card = Card.objects.get()
            self.assertEqual((card.signed_name, card.email, card.user_agent, card.job_title, card.worker),
                             ("Rosa Martinez", "rosa.m@example.org", BROWSER, "Espresso lead", rosa))
            self.assertEqual([c.pk for c in Card.objects.of_worker(rosa)], [card.pk])
            self.assertEqual(Worker.objects.get(pk=rosa.pk).support, 2)
            assessment = Assessment.objects.get()
            self.assertEqual((assessment.score, assessment.notes), (2, "Came to the meeting"))
            conversation = Conversation.objects.get()
            self.assertEqual((conversation.outcome, conversation.notes), ("supportive", "Two kids"))
            request = Request.objects.get()
            self.assertEqual((request.story, request.employer_name), (INTAKE["story"], "Bean Street Coffee"))
            self.assertEqual(selectors.threshold(self.unit).cards, 1)
        old = Fernet(A.encode())
        tokens = [row[field] for model, fields in sealed_fields() for field in fields
                  for row in raw_rows(model._meta.db_table) if row[field]]
        self.assertGreater(len(tokens), 10)
        for token in tokens:
            with self.assertRaises(InvalidToken):
                old.decrypt(token.encode())

    def test_a_value_no_key_opens_is_reported_not_sealed_again(self) -> None:
        with override_settings(ENCRYPTION_KEYS=[A]):
            services.assess(actor=self.organizer, worker=self.roster(self.unit, 1)[0], score=3)
        with override_settings(ENCRYPTION_KEYS=[B]), self.assertRaisesMessage(CommandError, "open with none of the keys"):
            call_command("rotate_keys", stdout=io.StringIO())


class SealingMigrationTests(TransactionTestCase):
    """Rows written before the sealing migrations are sealed by them, and counted as before."""

    before = [("organizing", "0001_initial")]
    after = [("organizing", "0004_card_signer_sealed_only")]

    def tearDown(self) -> None:
        # Back to the latest schema, for the tests that run after this one in the same database.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def test_plaintext_rows_are_sealed_and_each_card_finds_its_signer(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(self.before)
        old = executor.loader.project_state(self.before).apps
        model = {name: old.get_model("organizing", name) for name in
                 ("Employer", "Workplace", "Campaign", "Unit", "Worker", "Card", "Assessment", "Request",
                  "Conversation")}
        local = make_group("Local 8")
        employer = model["Employer"].objects.create(group_id=local.pk, name="Bean Street Coffee")
        workplace = model["Workplace"].objects.create(group_id=local.pk, employer=employer, name="Pike",
                                                      postal_code="98101")
        campaign = model["Campaign"].objects.create(group_id=local.pk, name="Bean", union_name="Local 8")
        unit = model["Unit"].objects.create(campaign=campaign, workplace=workplace)
        now = timezone.now()
        rosa, manager = (model["Worker"].objects.create(unit=unit, person_id=make_person(local).pk, support=support,
                                                        eligible=eligible, card_signed_at=now)
                         for support, eligible in ((2, True), (1, False)))
        card = {}
        for name, worker, signed_at in (("old", rosa, now - timedelta(days=30)), ("new", rosa, now),
                                        ("manager", manager, now)):
            card[name] = model["Card"].objects.create(
                unit=unit, worker=worker, kind="electronic", signed_name="Rosa Martinez", signed_at=signed_at,
                text="card", employer_name="Bean Street Coffee", email="rosa@example.org", ip_address="203.0.113.9",
                user_agent=BROWSER)
        model["Assessment"].objects.create(worker=rosa, score=2)
        model["Conversation"].objects.create(worker=rosa, outcome="signed", next_step="")
        model["Request"].objects.create(group_id=local.pk, person_id=make_person(local).pk,
                                        employer_name="Bean Street Coffee", workplace_address="", postal_code="98101",
                                        industry="food")

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(self.after)
        # Then on to the latest schema, which the models below read.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        self.assertEqual(tables_holding("Rosa Martinez"), set())
        self.assertEqual(tables_holding(BROWSER), set())
        self.assertEqual(tables_holding("Bean Street Coffee", skip=("organizing_employer", "organizing_card")), set())
        new = Card.objects.get(pk=card["new"].pk)
        self.assertEqual((new.signed_name, new.ip_address, new.user_agent, new.worker.pk),
                         ("Rosa Martinez", "203.0.113.9", BROWSER, rosa.pk))
        self.assertEqual(set(Card.objects.filter(counts=True).values_list("pk", flat=True)), {card["new"].pk})
        self.assertEqual({c.pk for c in Card.objects.of_worker(Worker.objects.get(pk=rosa.pk))},
                         {card["old"].pk, card["new"].pk})
        self.assertEqual(Unit.objects.get().support_counts, [0, 1, 0, 0, 0])  # the manager is out of the unit
        self.assertEqual((Assessment.objects.get().score, Conversation.objects.get().outcome), (2, "signed"))
        self.assertEqual((Request.objects.get().employer_name, Request.objects.get().workplace_address),
                         ("Bean Street Coffee", ""))
