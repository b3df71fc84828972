"""Cards and the roster: a card belongs to the roster worker who signed it (by their email or
phone, or by name once an organizer confirms), one card per worker, strangers' cards wait for
review and count for nobody until then; the date is the signer's own; the signer gets a copy from
their union. And the request page and matching that lead to a campaign."""

from __future__ import annotations

import io
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from turnout.accounts.models import Group, Role
from turnout.organizing import selectors, services
from turnout.organizing.forms import CampaignForm
from turnout.organizing.models import (
    DEFAULT_CARD_TEXT_ES,
    Campaign,
    Card,
    Request,
    Volunteer,
    Worker,
)
from turnout.organizing.tests.test_organizing import OrganizingCase
from turnout.people.models import Person
from turnout.site.testing import audit_summaries, make_person, make_staff, run_due_tasks

SIGNER = {"given_name": "Ana", "family_name": "Lopez", "email": "", "phone": "", "job_title": "Barista",
          "website": ""}


class CardPage(OrganizingCase):
    def sign(self, **fields: str) -> object:
        """Sign on the public card page, both steps, as a worker of the Pike unit."""
        url = reverse("public_card", args=[self.campaign.public_id])
        data = {**SIGNER, **fields, "unit": self.unit.pk}
        review = self.client.post(url, {**data, "step": "review"})
        name = f"{data['given_name']} {data['family_name']}"
        with self.captureOnCommitCallbacks(execute=True):  # the copy's task is queued once the card is saved
            return self.client.post(url, {**data, "step": "sign", "card_text": review.context["card_text"],
                                          "signature": name, "agree": "on"})

    def cards_of_three(self) -> list[Worker]:
        """A roster of 12: Ana Lopez (no email, no phone) and 11 others, three of whom carded."""
        workers = self.roster(self.unit, 11)
        for worker in workers[:3]:
            self.paper_card(worker)
        ana, _created = services.add_worker_by_hand(actor=self.organizer, unit=self.unit, given_name="Ana",
                                                    family_name="Lopez")
        return [ana, *workers]


class CardMatchingTests(CardPage):
    def test_a_roster_worker_without_contacts_is_one_worker_once_an_organizer_confirms_their_card(self) -> None:
        ana = self.cards_of_three()[0]
        self.assertEqual((selectors.threshold(self.unit).eligible, selectors.threshold(self.unit).cards), (12, 3))
        self.assertContains(self.sign(email="ana@example.org"), "Your union card is signed")
        # Not a thirteenth worker, and no "30% reached" on the word of whoever had the link.
        threshold = selectors.threshold(self.unit)
        self.assertEqual((threshold.eligible, threshold.cards), (12, 3))
        self.assertEqual(self.unit.workers.count(), 12)
        self.login(self.organizer)
        self.assertContains(self.client.get(self.unit.get_absolute_url()), "1 card signed here waits")
        queue = self.client.get(reverse("organizing:review", args=[self.campaign.public_id]))
        self.assertContains(queue, "This card may be roster worker <strong>Ana Lopez</strong>")
        card = Card.objects.waiting().get()
        response = self.client.post(reverse("organizing:review", args=[self.campaign.public_id]),
                                    {"card": card.public_id, "worker": ana.public_id, "decision": "match"})
        self.assertEqual(response.status_code, 302)
        threshold = selectors.threshold(self.unit)
        self.assertEqual((threshold.eligible, threshold.cards, threshold.percent), (12, 4, 33))
        self.assertEqual(Card.objects.of_worker(ana).get().pk, card.pk)
        # The record the card page made for her is folded into the roster's: one Ana, with her email.
        self.assertEqual(Person.objects.filter(given_name="Ana", family_name="Lopez").count(), 1)
        self.assertTrue(ana.person.emails.filter(address="ana@example.org").exists())
        self.assertContains(self.client.get(reverse("organizing:review", args=[self.campaign.public_id])),
                            "No card is waiting.")
        self.assertIn("Confirmed a signed card at Pike & 5th", audit_summaries(card))

    def test_a_card_typed_with_someone_elses_email_never_folds_their_record_into_the_roster_worker(self) -> None:
        ana = self.cards_of_three()[0]
        bob = make_person(self.local, given_name="Bob", family_name="Smith", email="bob@example.org")
        # Whoever has the link types a roster worker's name and a member's email.
        self.sign(email="bob@example.org")
        card = Card.objects.waiting().get()
        self.login(self.organizer)
        self.client.post(reverse("organizing:review", args=[self.campaign.public_id]),
                         {"card": card.public_id, "worker": ana.public_id, "decision": "match"})
        self.assertEqual(Card.objects.of_worker(ana).get().pk, card.pk)  # the organizer's decision stands
        bob.refresh_from_db()
        self.assertEqual((bob.given_name, bob.family_name), ("Bob", "Smith"))
        self.assertTrue(bob.emails.filter(address="bob@example.org").exists())
        self.assertFalse(Person.objects.get(pk=ana.person_id).emails.exists())

    def test_a_roster_worker_found_by_email_counts_at_once_and_a_second_card_updates_the_first(self) -> None:
        self.roster(self.unit, 3)
        rosa, _created = services.add_worker_by_hand(actor=self.organizer, unit=self.unit, given_name="Rosa",
                                                     family_name="Martinez", email="rosa@example.org")
        with time_machine.travel(datetime(2026, 11, 2, 17, tzinfo=UTC), tick=False):
            self.sign(given_name="Rosa", family_name="Martinez", email="rosa@example.org")
        first = Card.objects.get()
        self.assertEqual((first.pending, first.counts, first.worker), (False, True, rosa))
        with time_machine.travel(datetime(2026, 11, 9, 17, tzinfo=UTC), tick=False):
            self.sign(given_name="Rosa", family_name="Martinez", email="rosa@example.org", job_title="Shift lead")
            card = Card.objects.get()
            self.assertEqual((card.pk, card.job_title, card.signed_at.day), (first.pk, "Shift lead", 9))
            threshold = selectors.threshold(self.unit)
            self.assertEqual((threshold.eligible, threshold.cards), (4, 1))

    def test_a_card_under_another_name_with_a_roster_workers_email_waits_and_counts_for_nobody(self) -> None:
        """Whoever has the link and knows a coworker's email cannot card them: a card typed under another
        name waits for an organizer, the worker's record keeps its name, and it counts for nobody."""
        self.roster(self.unit, 3)
        rosa, _created = services.add_worker_by_hand(actor=self.organizer, unit=self.unit, given_name="Rosa",
                                                     family_name="Martinez", email="rosa@example.org")
        self.assertContains(self.sign(given_name="Pat", family_name="Jones", email="rosa@example.org"),
                            "Your union card is signed")
        card = Card.objects.get()
        self.assertEqual((card.pending, card.counts), (True, False))
        self.assertEqual(selectors.threshold(self.unit).cards, 0)
        rosa.person.refresh_from_db()
        self.assertEqual((rosa.person.given_name, rosa.person.family_name), ("Rosa", "Martinez"))
        # Rosa signing herself counts at once.
        self.sign(given_name="Rosa", family_name="Martinez", email="rosa@example.org")
        self.assertEqual(Card.objects.of_worker(rosa).get().counts, True)
        self.assertEqual(selectors.threshold(self.unit).cards, 1)

    def test_a_stranger_card_waits_and_counts_only_once_an_organizer_adds_them(self) -> None:
        self.roster(self.unit, 4)
        self.sign(given_name="Zed", family_name="Nobody", email="zed@example.org")
        self.sign(given_name="Zed", family_name="Nobody", email="zed@example.org")  # again: still one card
        card = Card.objects.get()
        self.assertEqual((card.pending, card.counts, card.worker, card.candidate), (True, False, None, None))
        self.assertEqual((selectors.threshold(self.unit).eligible, selectors.threshold(self.unit).cards), (4, 0))
        self.assertEqual(selectors.rollup(self.campaign).weeks, [])  # not a card signed, yet
        self.login(self.organizer)
        url = reverse("organizing:review", args=[self.campaign.public_id])
        self.assertContains(self.client.get(url), "Nobody on this workplace's roster has this name.")
        self.client.post(url, {"card": card.public_id, "decision": "add"})
        threshold = selectors.threshold(self.unit)
        self.assertEqual((threshold.eligible, threshold.cards), (5, 1))
        self.assertEqual(Card.objects.get().worker.person.emails.get().address, "zed@example.org")
        # A prank is thrown out, and a matched card cannot be.
        self.sign(given_name="Mickey", family_name="Mouse", email="m@example.org")
        prank = Card.objects.waiting().get()
        self.client.post(url, {"card": prank.public_id, "decision": "discard"})
        self.assertEqual(Card.objects.count(), 1)
        with self.assertRaisesMessage(services.OrganizingError, "A matched card is evidence"):
            services.discard_card(actor=self.organizer, card=Card.objects.get())

    def test_a_volunteer_cannot_confirm_cards_and_outsiders_see_no_queue(self) -> None:
        self.sign(given_name="Zed", family_name="Nobody", email="zed@example.org")
        url = reverse("organizing:review", args=[self.campaign.public_id])
        self.login(self.volunteer_user)
        self.assertEqual(self.client.post(url, {"card": Card.objects.get().public_id, "decision": "add"})
                         .status_code, 404)
        self.login(self.outsider)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertTrue(Card.objects.get().pending)

    def test_a_review_naming_no_card_or_a_malformed_one_is_not_found_and_changes_nothing(self) -> None:
        self.sign(given_name="Zed", family_name="Nobody", email="zed@example.org")
        card = Card.objects.get()
        url = reverse("organizing:review", args=[self.campaign.public_id])
        self.login(self.organizer)
        for data in ({}, {"card": "not-a-card", "decision": "discard"},
                     {"card": card.public_id, "worker": "not-a-worker", "decision": "match"}):
            self.assertEqual(self.client.post(url, data).status_code, 404, data)
        self.assertTrue(Card.objects.get().pending)

    def test_erasing_a_signer_whose_card_waits_deletes_the_card(self) -> None:
        self.sign(given_name="Zed", family_name="Nobody", email="zed@example.org")
        from turnout.people.services import erase_person

        erase_person(actor=self.admin, person=Person.objects.get(given_name="Zed"))
        self.assertFalse(Card.objects.exists())

    def test_the_paper_card_of_a_worker_who_has_one_updates_it_through_the_console_and_the_api(self) -> None:
        worker = self.roster(self.unit, 1)[0]
        self.login(self.organizer)
        first, second = (timezone.localdate() - timedelta(days=days) for days in (10, 5))
        url = reverse("organizing:worker", args=[worker.public_id])
        self.client.post(url, {"paper": "1", "signed_on": first.isoformat()})
        self.client.post(url, {"paper": "1", "signed_on": second.isoformat()})
        card = Card.objects.get()
        self.assertEqual(card.local_signed_at.date(), second)
        self.assertContains(self.client.post(url, {"paper": "1", "signed_on": first.isoformat()}),
                            "Their card on file is newer")
        self.assertEqual(selectors.threshold(self.unit).cards, 1)


@time_machine.travel(datetime(2026, 11, 21, 6, tzinfo=UTC), tick=False)  # 10 p.m. on the 20th in Seattle
class CardDateAndCopyTests(CardPage):
    def test_a_seattle_worker_signing_at_ten_at_night_signs_on_that_day(self) -> None:
        ana, _created = services.add_worker_by_hand(actor=self.organizer, unit=self.unit, given_name="Ana",
                                                    family_name="Lopez", email="ana@example.org")
        done = self.sign(email="ana@example.org", postal_code="98101")
        self.assertContains(done, "Signed on Nov. 20, 2026.")
        card = Card.objects.of_worker(ana).get()
        self.assertEqual((card.time_zone, card.local_signed_at.day), ("America/Los_Angeles", 20))
        self.login(self.organizer)
        self.assertContains(self.client.get(reverse("organizing:worker", args=[ana.public_id])), "Nov 20, 2026 10:00 p.m. PST")
        pdf = self.client.get(reverse("organizing:card_pdf", args=[card.public_id]))
        self.assertIn("November 20, 2026 10:00 PM PST", PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text())

    def test_the_signer_gets_a_copy_by_email_from_their_union_with_a_private_link(self) -> None:
        self.sign(given_name="Rosa", family_name="Martinez", email="rosa@example.org")
        run_due_tasks()
        copy = next(m for m in mail.outbox if m.to == ["rosa@example.org"])
        self.assertIn(self.local.name, copy.subject)
        self.assertIn(self.local.name, copy.from_email)
        self.assertNotIn("Turnout", copy.subject + copy.from_email)
        self.assertIn("over wages, hours and working conditions", copy.body)
        self.assertIn("Nov. 20, 2026, 10 p.m. PST", copy.body)
        link = next(word for word in copy.body.split() if "/card/copy/" in word)
        path = link.split("testserver")[-1] if "testserver" in link else link[link.index("/card/"):]
        page = self.client.get(path)
        self.assertContains(page, "Rosa Martinez")
        self.assertContains(page, f"Your union card with {self.local.name}")
        pdf = self.client.get(path + "card.pdf")
        self.assertIn("Rosa Martinez", PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text())
        self.assertEqual(self.client.get(path.replace("/copy/", "/copy/x")).status_code, 404)

    def test_the_copy_link_of_a_waiting_card_still_opens_once_it_is_folded_into_the_workers_earlier_card(self) -> None:
        """A roster worker with a paper card signs online: their card waits, then an organizer
        matches it and it updates the paper card. The copy link they were sent shows the card."""
        ana = self.cards_of_three()[0]
        self.paper_card(ana)
        self.sign(email="ana@example.org")
        run_due_tasks()
        copy = next(m for m in mail.outbox if m.to == ["ana@example.org"])
        link = next(word for word in copy.body.split() if "/card/copy/" in word)
        path = link[link.index("/card/"):]
        waiting = Card.objects.waiting().get()
        self.login(self.organizer)
        self.client.post(reverse("organizing:review", args=[self.campaign.public_id]),
                         {"card": waiting.public_id, "worker": ana.public_id, "decision": "match"})
        card = Card.objects.of_worker(ana).get()
        self.assertNotEqual(card.pk, waiting.pk)  # the paper card, updated: one card for Ana
        self.assertEqual((card.kind, selectors.threshold(self.unit).cards), (Card.Kind.ELECTRONIC, 4))
        self.client.logout()
        page = self.client.get(path)
        self.assertContains(page, "Ana Lopez")
        self.assertContains(page, f"Your union card with {self.local.name}")
        self.assertEqual(self.client.get(path + "card.pdf").status_code, 200)
        # Once the card is gone (as when Ana is erased), the link opens nothing.
        card.delete()
        self.assertEqual(self.client.get(path).status_code, 404)

    def test_the_private_copy_is_never_cached_and_its_link_stops_working_after_its_lifetime(self) -> None:
        self.sign(given_name="Rosa", family_name="Martinez", email="rosa@example.org")
        path = reverse("public_card_copy", args=[services.copy_token(Card.objects.get())])
        for response in (self.client.get(path), self.client.get(path + "card.pdf")):
            self.assertEqual(response.status_code, 200)
            self.assertIn("no-store", response["Cache-Control"])
            self.assertEqual(response["Referrer-Policy"], "no-referrer")
        # A link forwarded, or found on a phone months later, no longer shows who signed.
        with time_machine.travel(timezone.now() + timedelta(days=settings.CARD_COPY_DAYS - 1), tick=False):
            self.assertContains(self.client.get(path), "Rosa Martinez")
        with time_machine.travel(timezone.now() + timedelta(days=settings.CARD_COPY_DAYS + 1), tick=False):
            self.assertEqual(self.client.get(path).status_code, 404)
            self.assertEqual(self.client.get(path + "card.pdf").status_code, 404)

    def test_a_spanish_signer_gets_the_copy_in_spanish_and_a_phone_only_signer_a_text(self) -> None:
        url = reverse("public_card", args=[self.campaign.public_id])
        data = {**SIGNER, "email": "ana@example.org", "unit": self.unit.pk}
        review = self.client.post(url, {**data, "step": "review"}, HTTP_ACCEPT_LANGUAGE="es")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(url, {**data, "step": "sign", "card_text": review.context["card_text"],
                                   "signature": "Ana Lopez", "agree": "on"}, HTTP_ACCEPT_LANGUAGE="es")
        run_due_tasks()
        copy = next(m for m in mail.outbox if m.to == ["ana@example.org"])
        self.assertIn("su tarjeta sindical firmada", copy.subject)
        with tempfile.TemporaryDirectory() as var, override_settings(SMS_BACKEND="file", VAR_DIR=Path(var)):
            self.sign(given_name="Bo", family_name="Chen", phone="(206) 555-0142")
            run_due_tasks()
            texts = [json.loads(line) for line in (Path(var) / "sms" / "outbox.jsonl").read_text().splitlines()]
        self.assertEqual(texts[0]["to"], "+12065550142")
        self.assertIn(self.local.name, texts[0]["body"])
        self.assertIn("/card/copy/", texts[0]["body"])


class CardTextTests(OrganizingCase):
    def test_the_default_spanish_card_says_all_the_english_card_says(self) -> None:
        campaign = Campaign.objects.create(group=self.local, name="Plain", union_name="Local 8")
        spanish = services.card_text(campaign, "es")
        for words in ("negociación colectiva", "salarios, horarios y condiciones de trabajo",
                      "el reconocimiento o una elección"):
            self.assertIn(words, spanish)
        page = self.client.get(reverse("public_card", args=[campaign.public_id]), HTTP_ACCEPT_LANGUAGE="es")
        self.assertContains(page, "salarios, horarios y condiciones de trabajo")

    def test_new_english_words_under_the_default_spanish_need_a_translation(self) -> None:
        form = CampaignForm({"group": self.local.pk, "name": "X", "union_name": "Local 8",
                             "card_text": "I want Local 8 to represent me.", "card_text_es": DEFAULT_CARD_TEXT_ES,
                             "card_valid_days": 365, "supermajority": 70}, groups=Group.objects.all())
        self.assertFalse(form.is_valid())
        self.assertIn("translate it in full", str(form.errors["card_text_es"]))
        campaign = Campaign.objects.create(group=self.local, name="Own words", union_name="Local 8",
                                           card_text="I want Local 8 to represent me.")
        # Never the default Spanish under other English words: Spanish signers read the English.
        self.assertIn("I want Local 8", services.card_text(campaign, "es"))


class IntakeLinkTests(OrganizingCase):
    def test_the_intake_form_is_linked_from_the_console_and_the_card_page(self) -> None:
        intake = reverse("public_intake", args=[self.local.slug])
        self.assertContains(self.client.get(reverse("public_card", args=[self.campaign.public_id])), intake)
        self.login(self.organizer)
        home = self.client.get(reverse("organizing:home"))
        self.assertContains(home, f'value="http://testserver{intake}"')
        self.assertContains(home, 'data-copy="intake-')


class RequestPageTests(OrganizingCase):
    def setUp(self) -> None:
        self.item = Request.objects.create(group=self.local, person=self.member, employer_name="Bean Street Coffee",
                                           postal_code="98101", industry="food", language="en")

    def test_the_request_page_shows_the_workers_phone_and_email_and_the_read_is_audited(self) -> None:
        self.login(self.organizer)
        page = self.client.get(self.item.get_absolute_url())
        self.assertContains(page, "maria@example.org")
        self.assertContains(page, "+12065550123")
        self.assertIn("Viewed an organizing request with the worker's email and phone",
                      audit_summaries(self.member))

    def full_volunteer(self) -> Volunteer:
        """The best match (food, Spanish, nearby) already carries three cases of three: the Pike
        unit and two requests."""
        for _ in range(2):
            Request.objects.create(group=self.local, person=make_person(self.local), employer_name="Other",
                                   postal_code="98101", industry="food", organizer=self.volunteer)
        return self.volunteer

    def test_a_full_volunteer_is_shown_full_offered_last_and_needs_an_override(self) -> None:
        full = self.full_volunteer()
        roomy = Volunteer.objects.create(group=self.local, user=make_staff("r@example.org", self.local, Role.HOST),
                                         industries=["warehouse"], languages=["en"])
        suggested = selectors.suggestions(self.item)
        # The best match on industry, language and distance, but full: offered after those with room.
        self.assertEqual([(s.volunteer, s.full) for s in suggested],
                         [(self.far_volunteer, False), (roomy, False), (full, True)])
        self.login(self.organizer)
        page = self.client.get(self.item.get_absolute_url())
        self.assertContains(page, "3 of 3 cases, full")
        self.assertContains(page, 'data-testid="full"')
        refused = self.client.post(self.item.get_absolute_url(), {"assign": "1", "organizer": full.pk})
        self.assertContains(refused, "already carries 3 of 3 cases: this would make 4 of 3")
        self.item.refresh_from_db()
        self.assertIsNone(self.item.organizer)
        done = self.client.post(self.item.get_absolute_url(), {"assign": "1", "organizer": full.pk,
                                                               "over_capacity": "on"})
        self.assertEqual(done.status_code, 302)
        self.item.refresh_from_db()
        self.assertEqual(self.item.organizer, full)
