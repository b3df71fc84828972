"""Organizing the unorganized: intake and matching, workplace maps and rosters, assessments,
conversations, the committee, cards and thresholds, the roll-up, and who may see any of it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from turnout.accounts.models import Role
from turnout.core.models import AuditEntry
from turnout.organizing import selectors, services
from turnout.organizing.models import (
    Assessment,
    Campaign,
    Card,
    Employer,
    Request,
    Stage,
    Unit,
    Volunteer,
    Worker,
    Workplace,
)
from turnout.people.models import ConsentEvent, Person
from turnout.site.testing import TurnoutTestCase, audit_summaries, make_person, make_staff

INTAKE = {
    "given_name": "Rosa", "family_name": "Martinez", "phone": "(206) 555-0177", "sms_consent": "on",
    "email": "", "reach_by": "text", "best_time": "after 6pm", "employer_name": "Bean Street Coffee",
    "workplace_address": "Pike & 5th", "postal_code": "98101", "industry": "food", "size": "10-49",
    "story": "Our manager cut hours after we asked about breaks.", "website": "",
}


class OrganizingCase(TurnoutTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.volunteer_user = make_staff("vol@example.org", cls.local, Role.HOST, first_name="Vic")
        cls.other_volunteer_user = make_staff("vol2@example.org", cls.local, Role.HOST, first_name="Wen")
        cls.mentor_user = make_staff("mentor@example.org", cls.council, Role.HOST, first_name="Mo")
        cls.volunteer = Volunteer.objects.create(group=cls.local, user=cls.volunteer_user, industries=["food"],
                                                 languages=["en", "es"], postal_code="98101", latitude=47.61,
                                                 longitude=-122.33, capacity=3)
        cls.far_volunteer = Volunteer.objects.create(group=cls.local, user=cls.other_volunteer_user,
                                                     industries=["warehouse"], languages=["en"],
                                                     postal_code="98402", latitude=47.25, longitude=-122.44)
        cls.mentor = Volunteer.objects.create(group=cls.council, user=cls.mentor_user, kind=Volunteer.Kind.MENTOR,
                                              industries=["food"], languages=["en"])
        employer = Employer.objects.create(group=cls.local, name="Bean Street Coffee", industry="food")
        cls.campaign = Campaign.objects.create(group=cls.local, name="Bean Street Workers United", employer=employer,
                                               union_name="Bean Street Workers United, Local 8",
                                               card_text_es="Autorizo al sindicato a representarme.")
        cls.pike = Workplace.objects.create(group=cls.local, employer=employer, name="Pike & 5th",
                                            postal_code="98101", latitude=47.61, longitude=-122.33, industry="food")
        cls.capitol = Workplace.objects.create(group=cls.local, employer=employer, name="Capitol Hill",
                                               postal_code="98102", latitude=47.63, longitude=-122.32, industry="food")
        cls.unit = Unit.objects.create(campaign=cls.campaign, workplace=cls.pike)
        cls.other_unit = Unit.objects.create(campaign=cls.campaign, workplace=cls.capitol)
        cls.unit.volunteers.add(cls.volunteer_user)

    def roster(self, unit: Unit, n: int) -> list[Worker]:
        return [Worker.objects.create(unit=unit, person=make_person(self.local, given_name=f"W{i}"))
                for i in range(n)]

    def paper_card(self, worker: Worker, signed_on: Any = None) -> Card:
        return services.record_paper_card(actor=self.organizer, worker=worker, scan=None,
                                          signed_on=signed_on or timezone.localdate())


class IntakeTests(OrganizingCase):
    def test_it_takes_a_request_from_a_worker_and_tells_the_organizers(self) -> None:
        """The public form files a request with the worker as a person, text consent in the ledger,
        the story encrypted at rest, and an email to the group's organizers with a link only."""
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("public_intake", args=["local-8"]), INTAKE)
        self.assertContains(response, "An organizer will text you soon.")
        request = Request.objects.get()
        self.assertEqual((request.employer_name, request.industry, request.status), ("Bean Street Coffee", "food",
                                                                                     "new"))
        self.assertEqual(request.person.phones.get().number, "+12065550177")
        self.assertTrue(ConsentEvent.objects.filter(person=request.person, channel="sms", action="opt_in").exists())
        self.assertEqual(request.story, INTAKE["story"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT story FROM organizing_request")
            stored = cursor.fetchone()[0]
        self.assertNotIn("manager", stored)
        self.assertEqual([m.to for m in mail.outbox], [["admin@example.org", "organizer@example.org"]])
        self.assertIn(request.get_absolute_url(), mail.outbox[0].body)
        self.assertNotIn("manager", mail.outbox[0].body)

    def test_it_keeps_what_was_typed_when_something_is_wrong(self) -> None:
        """A text reply needs a phone; an unknown ZIP is named; every answer stays in the form."""
        response = self.client.post(reverse("public_intake", args=["local-8"]), {**INTAKE, "phone": ""})
        self.assertContains(response, "Give a phone number, or choose email.")
        self.assertContains(response, "Our manager cut hours")
        response = self.client.post(reverse("public_intake", args=["local-8"]), {**INTAKE, "postal_code": "00000"})
        self.assertContains(response, "We do not know this ZIP code.")
        self.assertContains(response, 'value="Bean Street Coffee"')
        self.assertFalse(Request.objects.exists())

    def test_it_speaks_spanish_and_says_what_it_stores(self) -> None:
        response = self.client.get(reverse("public_intake", args=["local-8"]), HTTP_ACCEPT_LANGUAGE="es")
        self.assertContains(response, "Organiza tu lugar de trabajo")
        self.assertContains(response, "estatus migratorio")

    def test_it_reminds_staff_when_nobody_calls_back(self) -> None:
        """48 hours without contact brings the request back once; a contacted one stays quiet."""
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("public_intake", args=["local-8"]), INTAKE)
            self.client.post(reverse("public_intake", args=["local-8"]),
                             {**INTAKE, "phone": "(206) 555-0178", "employer_name": "Quick Mart"})
        by_employer = {r.employer_name: r for r in Request.objects.all()}  # sealed: read, not searched
        quick = by_employer["Quick Mart"]
        services.set_request_status(actor=self.organizer, request=quick, status=Request.Status.CONTACTED)
        mail.outbox.clear()
        self.run_worker()
        self.assertEqual(mail.outbox, [])  # not due yet
        self.travel_to(timezone.now() + timedelta(hours=49))
        self.run_worker()
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("still waiting", mail.outbox[0].subject)
        self.assertIn(by_employer["Bean Street Coffee"].get_absolute_url(), mail.outbox[0].body)
        self.assertFalse(services.follow_up_request(request_id=quick.pk))


class MatchingTests(OrganizingCase):
    def make_request(self) -> Request:
        person = make_person(self.local, given_name="Rosa")
        return Request.objects.create(group=self.local, person=person, employer_name="Bean Street Coffee",
                                      postal_code="98101", latitude=47.61, longitude=-122.33, industry="food",
                                      language="es")

    def test_it_suggests_the_volunteer_in_the_industry_who_speaks_the_language_nearby(self) -> None:
        request = self.make_request()
        ranked = selectors.suggestions(request)
        self.assertEqual([s.volunteer for s in ranked], [self.volunteer, self.far_volunteer])
        self.assertIn("habla español", ranked[0].reasons)
        self.assertIn("0 mi", ranked[0].reasons)
        self.assertEqual([s.volunteer for s in selectors.suggestions(request, mentors=True)], [self.mentor])

    def test_a_full_caseload_goes_last(self) -> None:
        request = self.make_request()
        self.volunteer.capacity = 1
        self.volunteer.save()  # already assigned the Pike unit: 1 of 1
        self.assertEqual(selectors.suggestions(request)[0].volunteer, self.far_volunteer)

    def test_assigning_tells_the_volunteers_and_they_see_only_their_requests(self) -> None:
        request = self.make_request()
        self.login(self.organizer)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(request.get_absolute_url(), {"assign": "1", "organizer": self.volunteer.pk,
                                                                     "mentor": self.mentor.pk})
        self.assertRedirects(response, request.get_absolute_url())
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), ["mentor@example.org", "vol@example.org"])
        self.assertNotIn("Rosa", mail.outbox[0].body)
        self.client.force_login(self.volunteer_user)
        self.assertContains(self.client.get(reverse("organizing:home")), "Bean Street Coffee")
        self.assertEqual(self.client.get(request.get_absolute_url()).status_code, 200)
        self.client.post(request.get_absolute_url(), {"set_status": "1", "status": "contacted"})
        self.assertEqual(Request.objects.get().status, "contacted")
        self.client.force_login(self.other_volunteer_user)
        self.assertEqual(self.client.get(request.get_absolute_url()).status_code, 404)
        self.assertNotContains(self.client.get(reverse("organizing:home")), "Bean Street Coffee")

    def test_a_volunteer_cannot_assign_and_a_mentor_is_not_an_organizer(self) -> None:
        request = self.make_request()
        request.organizer = self.volunteer
        request.save()
        self.client.force_login(self.volunteer_user)
        self.client.post(request.get_absolute_url(), {"assign": "1", "organizer": self.far_volunteer.pk})
        self.assertEqual(Request.objects.get().organizer, self.volunteer)
        with self.assertRaisesMessage(services.OrganizingError, "is a mentor"):
            services.assign_request(actor=self.organizer, request=request, organizer=self.mentor, mentor=None)

    def test_closing_needs_a_reason(self) -> None:
        request = self.make_request()
        self.login(self.organizer)
        response = self.client.post(request.get_absolute_url(), {"set_status": "1", "status": "closed"})
        self.assertContains(response, "Say why the request is closed.")
        self.client.post(request.get_absolute_url(), {"set_status": "1", "status": "closed", "reason": "Quit"})
        self.assertEqual((Request.objects.get().status, Request.objects.get().closed_reason), ("closed", "Quit"))

    def test_a_request_becomes_a_campaign(self) -> None:
        """The worker who asked is first on the roster and on the committee; their organizer is on the unit."""
        request = self.make_request()
        request.organizer = self.far_volunteer
        request.save()
        self.login(self.organizer)
        response = self.client.post(request.get_absolute_url(), {"start_campaign": "1"})
        unit = Request.objects.get().unit
        self.assertRedirects(response, unit.get_absolute_url())
        worker = unit.workers.get()
        self.assertEqual((worker.person, worker.on_committee), (request.person, True))
        self.assertEqual(list(unit.volunteers.all()), [self.other_volunteer_user])
        self.assertEqual(Request.objects.get().status, "campaign")


@time_machine.travel(datetime(2026, 11, 2, 17, tzinfo=UTC), tick=False)  # a Monday morning in Seattle
class RosterTests(OrganizingCase):
    def test_a_volunteer_maps_their_workplace_and_sees_nothing_else(self) -> None:
        self.client.force_login(self.volunteer_user)
        response = self.client.post(reverse("organizing:workplace", args=[self.pike.public_id]),
                                    {"add_area": "1", "kind": "department", "name": "Front of house",
                                     "next": self.unit.get_absolute_url()})
        self.assertRedirects(response, self.unit.get_absolute_url())
        self.assertContains(self.client.get(self.unit.get_absolute_url()), "Front of house")
        self.assertEqual(self.client.get(self.other_unit.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.get(self.campaign.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.get(reverse("organizing:workplace", args=[self.capitol.public_id])).status_code,
                         404)
        stranger = Worker.objects.create(unit=self.other_unit, person=make_person(self.local))
        self.assertEqual(self.client.get(reverse("organizing:worker", args=[stranger.public_id])).status_code, 404)

    def test_import_adds_the_good_rows_and_reports_the_bad(self) -> None:
        self.client.force_login(self.volunteer_user)
        csv = ("first_name,last_name,email,phone,department,shift,job,in_unit\n"
               "Ana,Ruiz,ana@example.org,,Front,Open,Barista,yes\n"
               ",Nobody,,,,,,\n"
               "Ben,Cho,not-an-email,,,,,\n"
               "Cal,Diaz,,206-555-0144,Back,Close,Shift supervisor,no\n")
        response = self.client.post(reverse("organizing:unit_import", args=[self.unit.public_id]),
                                    {"file": SimpleUploadedFile("roster.csv", csv.encode())})
        self.assertContains(response, "2 workers added.")
        self.assertContains(response, "Line 3: no first name.")
        self.assertContains(response, "Line 4:")
        ana = Worker.objects.get(person__given_name="Ana")
        self.assertEqual((ana.department.name, ana.shift.name, ana.job.name, ana.eligible), ("Front", "Open",
                                                                                             "Barista", True))
        self.assertFalse(Worker.objects.get(person__given_name="Cal").eligible)
        self.assertEqual(sorted(self.pike.areas.values_list("name", flat=True)),
                         ["Back", "Barista", "Close", "Front", "Open", "Shift supervisor"])
        self.assertTrue(AuditEntry.objects.filter(action="import", summary__startswith="Imported 2").exists())

    def test_assessments_keep_history_with_encrypted_notes(self) -> None:
        worker = self.roster(self.unit, 1)[0]
        self.client.force_login(self.volunteer_user)
        url = reverse("organizing:worker", args=[worker.public_id])
        self.client.post(url, {"assess": "1", "score": "3", "notes": "Worried about schedule"})
        self.client.post(url, {"assess": "1", "score": "2", "notes": "Came to the meeting"})
        worker.refresh_from_db()
        self.assertEqual(worker.support, 2)
        self.assertEqual(list(worker.assessments.values_list("score", flat=True)), [2, 3])
        self.assertEqual(worker.assessments.first().assessor_label, "Vic")
        with connection.cursor() as cursor:
            cursor.execute("SELECT notes FROM organizing_assessment")
            self.assertFalse(any("meeting" in row[0] for row in cursor.fetchall()))
        page = self.client.get(url)
        self.assertContains(page, "Came to the meeting")
        self.assertTrue(audit_summaries(worker.person, action="view"))
        response = self.client.post(url, {"assess": "1", "score": "9"})
        self.assertContains(response, "Select a valid choice")
        self.assertEqual(Assessment.objects.count(), 2)

    def test_a_follow_up_reminds_whoever_had_the_conversation(self) -> None:
        worker = self.roster(self.unit, 1)[0]
        self.client.force_login(self.volunteer_user)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("organizing:worker", args=[worker.public_id]), {
                "talk": "1", "outcome": "undecided", "next_step": "Bring the wage survey",
                "follow_up_on": "2026-11-04", "notes": "Has two kids"})
        self.run_worker()
        self.assertEqual(mail.outbox, [])
        self.travel_to(datetime(2026, 11, 4, 18, tzinfo=UTC))
        self.run_worker()
        self.assertEqual([m.to for m in mail.outbox], [["vol@example.org"]])
        self.assertIn("Bring the wage survey", mail.outbox[0].body)
        self.assertNotIn("kids", mail.outbox[0].body)

    def test_committee_coverage_shows_who_nobody_talks_to(self) -> None:
        ana, ben, cal = self.roster(self.unit, 3)
        self.login(self.organizer)
        self.client.post(reverse("organizing:worker", args=[ana.public_id]), {"structure": "1", "on_committee": "on"})
        self.client.post(reverse("organizing:worker", args=[ben.public_id]), {"structure": "1", "contact": ana.pk})
        response = self.client.get(self.unit.get_absolute_url())
        self.assertContains(response, "<strong>1</strong> worker nobody on the committee is talking to", html=False)
        self.assertContains(response, "talks with 1 coworker")
        drill = self.client.get(self.unit.get_absolute_url() + "?show=uncovered")
        self.assertEqual([w.pk for w in drill.context["roster"]], [cal.pk])
        # Taking Ana off the committee makes Ben a gap again.
        self.client.post(reverse("organizing:worker", args=[ana.public_id]), {"structure": "1"})
        self.assertIsNone(Worker.objects.get(pk=ben.pk).contact)

    def test_export_is_audited_and_safe_in_a_spreadsheet(self) -> None:
        Worker.objects.create(unit=self.unit, person=make_person(self.local, given_name="=HYPERLINK(1)"))
        self.client.force_login(self.volunteer_user)
        self.assertEqual(self.client.get(reverse("organizing:unit_export", args=[self.unit.public_id])).status_code,
                         403)
        self.login(self.organizer)
        response = self.client.get(reverse("organizing:unit_export", args=[self.unit.public_id]))
        self.assertIn("'=HYPERLINK(1)", response.content.decode())
        self.assertTrue(AuditEntry.objects.filter(action="export", summary__contains="roster of Pike").exists())


CARD = {"given_name": "Rosa", "family_name": "Martinez", "email": "rosa@example.org", "phone": "",
        "job_title": "Barista", "website": ""}


def without_token(html: bytes) -> str:
    return re.sub(r'(value=|X-CSRFToken": |nonce=)"[^"]*"', "", html.decode())


@time_machine.travel(datetime(2026, 11, 20, 17, tzinfo=UTC), tick=False)
class CardTests(OrganizingCase):
    def test_a_worker_signs_in_two_steps_and_the_card_keeps_what_they_signed(self) -> None:
        self.roster(self.unit, 9)
        services.add_worker_by_hand(actor=self.organizer, unit=self.unit, given_name="Rosa", family_name="Martinez",
                                    email="rosa@example.org")
        url = reverse("public_card", args=[self.campaign.public_id])
        page = self.client.get(url)
        self.assertContains(page, "I, the undersigned employee")
        review = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "review"})
        self.assertContains(review, "Step 2 of 2")
        self.assertFalse(Card.objects.exists())
        text = review.context["card_text"]
        wrong = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "sign", "card_text": text,
                                       "signature": "R M", "agree": "on"})
        self.assertContains(wrong, "Type your name exactly as above: Rosa Martinez")
        self.assertFalse(Card.objects.exists())
        done = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "sign", "card_text": text,
                                      "signature": "rosa  martinez", "agree": "on"},
                                HTTP_USER_AGENT="Phone/1.0", REMOTE_ADDR="203.0.113.9")
        self.assertContains(done, "Your union card is signed")
        card = Card.objects.get()
        self.assertEqual((card.signed_name, card.ip_address, card.user_agent, card.job_title, card.kind),
                         ("rosa martinez", "203.0.113.9", "Phone/1.0", "Barista", "electronic"))
        self.assertEqual(card.text, "Bean Street Workers United, Local 8\n\n" + self.campaign.card_text)
        self.assertEqual(card.worker.unit, self.unit)
        self.assertTrue(card.counts)
        self.assertEqual(selectors.threshold(self.unit).cards, 1)
        self.assertEqual(selectors.threshold(self.unit).percent, 10)
        # The public page is the same after a card as before: it tells nobody who or how many signed.
        self.assertEqual(without_token(self.client.get(url).content), without_token(page.content))

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_behind_the_proxy_the_card_keeps_the_address_the_proxy_saw_never_what_the_client_wrote(self) -> None:
        url = reverse("public_card", args=[self.campaign.public_id])
        review = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "review"})
        sign = {**CARD, "unit": self.unit.pk, "step": "sign", "card_text": review.context["card_text"],
                "signature": "Rosa Martinez", "agree": "on"}
        done = self.client.post(url, sign, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
        self.assertContains(done, "Your union card is signed")
        self.assertEqual(Card.objects.get().ip_address, "203.0.113.9")

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_a_forwarded_address_that_is_no_address_is_not_a_500(self) -> None:
        url = reverse("public_card", args=[self.campaign.public_id])
        review = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "review"})
        done = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "sign", "signature": "Rosa Martinez",
                                      "card_text": review.context["card_text"], "agree": "on"},
                                REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
        self.assertContains(done, "Your union card is signed")
        self.assertEqual(Card.objects.get().ip_address, "10.0.0.2")

    def test_signing_without_the_box_or_with_a_changed_text_stores_nothing(self) -> None:
        url = reverse("public_card", args=[self.campaign.public_id])
        text = services.card_text(self.campaign, "en")
        response = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "sign", "card_text": text,
                                          "signature": "Rosa Martinez"})
        self.assertContains(response, "This field is required")
        response = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "sign", "card_text": text + " more",
                                          "signature": "Rosa Martinez", "agree": "on"})
        self.assertContains(response, "The card&#x27;s text changed")
        self.assertFalse(Card.objects.exists())

    def test_the_spanish_card_is_signed_in_spanish(self) -> None:
        url = reverse("public_card", args=[self.campaign.public_id])
        review = self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "review"}, HTTP_ACCEPT_LANGUAGE="es")
        self.assertContains(review, "Autorizo al sindicato")
        self.client.post(url, {**CARD, "unit": self.unit.pk, "step": "sign", "card_text": review.context["card_text"],
                               "signature": "Rosa Martinez", "agree": "on"}, HTTP_ACCEPT_LANGUAGE="es")
        self.assertIn("Autorizo al sindicato", Card.objects.get().text)

    def test_the_pdf_for_filing_has_the_text_and_the_signature_and_is_audited(self) -> None:
        text = services.card_text(self.campaign, "en")
        from turnout.events.services import RsvpRequest

        card = services.sign_card(campaign=self.campaign, unit=self.unit, signature="Íñigo Peña",
                                  worker=RsvpRequest(given_name="Íñigo", family_name="Peña", email="i@example.org"),
                                  job_title="Barista", employer_name="Bean Street Coffee", text=text,
                                  ip="198.51.100.4", user_agent="x")
        self.login(self.organizer)
        response = self.client.get(reverse("organizing:card_pdf", args=[card.public_id]))
        self.assertEqual(response["Content-Type"], "application/pdf")
        content = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        self.assertIn("Íñigo Peña", content)
        self.assertIn("I, the undersigned employee", content)
        self.assertIn("198.51.100.4", content)
        self.assertTrue(audit_summaries(card, action="export"))
        self.login(self.outsider)
        self.assertEqual(self.client.get(reverse("organizing:card_pdf", args=[card.public_id])).status_code, 404)

    def test_paper_cards_with_a_scan_and_old_cards_stop_counting(self) -> None:
        ana, ben = self.roster(self.unit, 2)
        self.login(self.organizer)
        response = self.client.post(reverse("organizing:worker", args=[ana.public_id]), {
            "paper": "1", "signed_on": "2026-11-19", "scan": SimpleUploadedFile("card.jpg", b"\xff\xd8scan")})
        self.assertEqual(response.status_code, 302)
        card = Card.objects.get()
        self.assertEqual((card.kind, card.recorded_by), ("paper", self.organizer))
        self.assertEqual(self.client.get(reverse("organizing:card_scan", args=[card.public_id])).getvalue(),
                         b"\xff\xd8scan")
        self.client.post(reverse("organizing:worker", args=[ben.public_id]), {"paper": "1", "signed_on": "2025-09-01"})
        threshold = selectors.threshold(self.unit)
        self.assertEqual((threshold.cards, threshold.expired, threshold.percent), (1, 1, 50))
        self.assertContains(self.client.get(self.unit.get_absolute_url()), "1 card too old")
        response = self.client.post(reverse("organizing:worker", args=[ben.public_id]),
                                    {"paper": "1", "signed_on": "2027-01-01"})
        self.assertContains(response, "cannot be in the future")
        response = self.client.post(reverse("organizing:worker", args=[ben.public_id]),
                                    {"paper": "1", "signed_on": "1926-05-01"})
        self.assertContains(response, "it is before 1935")
        self.assertEqual(Card.objects.count(), 2)


class ThresholdAndRollupTests(OrganizingCase):
    def test_lines_are_thirty_percent_majority_and_supermajority(self) -> None:
        workers = self.roster(self.unit, 10)
        for worker in workers[:3]:
            self.paper_card(worker)
        threshold = selectors.threshold(self.unit)
        self.assertEqual(threshold.lines, [("30%", 30, 3, 0), ("majority", 50, 6, 3), ("70%", 70, 7, 4)])
        self.login(self.organizer)
        bar = self.client.get(reverse("organizing:unit_threshold", args=[self.unit.public_id]))
        self.assertContains(bar, 'aria-valuenow="30"')
        self.assertContains(bar, "3 to go")

    def test_the_rollup_counts_every_shop_and_drills_down(self) -> None:
        pike = self.roster(self.unit, 4)
        capitol = self.roster(self.other_unit, 2)
        for worker in (pike[0], pike[1], pike[2], capitol[0]):
            self.paper_card(worker)
        services.assess(actor=self.organizer, worker=pike[3], score=1)
        services.assess(actor=self.organizer, worker=capitol[1], score=2)
        Worker.objects.filter(pk=capitol[1].pk).update(on_committee=True)
        services.set_stage(actor=self.organizer, unit=self.other_unit, stage=Stage.ELECTION)
        services.set_stage(actor=self.organizer, unit=self.other_unit, stage=Stage.LOST)
        services.set_stage(actor=self.organizer, unit=self.other_unit, stage=Stage.COMMITTEE, note="Trying again")
        self.assertEqual(Unit.objects.get(pk=self.other_unit.pk).attempt, 2)
        rollup = selectors.rollup(self.campaign)
        self.assertEqual((rollup.workers, rollup.cards, rollup.low, rollup.committee, rollup.uncovered),
                         (6, 4, 2, 1, 5))
        self.assertEqual((rollup.won, rollup.lost, rollup.at_30, rollup.at_majority), (0, 1, 2, 1))
        self.login(self.organizer)
        page = self.client.get(self.campaign.get_absolute_url())
        self.assertContains(page, "Pike &amp; 5th")
        self.assertEqual(page.context["r"].percent, 67)
        drill = self.client.get(reverse("organizing:campaign_workers", args=[self.campaign.public_id]) + "?show=low")
        self.assertEqual({w.pk for w in drill.context["page"]}, {pike[3].pk, capitol[1].pk})
        committee = self.client.get(self.campaign.get_absolute_url() + "?stage=committee")
        self.assertEqual([u.pk for u in committee.context["r"].units], [self.other_unit.pk])
        majority = self.client.get(self.campaign.get_absolute_url() + "?reached=majority")
        self.assertEqual([u.pk for u in majority.context["r"].units], [self.unit.pk])
        self.assertEqual(majority.context["r"].shops, 2)


class PrivacyTests(OrganizingCase):
    def test_outsiders_see_nothing(self) -> None:
        worker = self.roster(self.unit, 1)[0]
        self.login(self.outsider)
        for url in (self.campaign.get_absolute_url(), self.unit.get_absolute_url(),
                    reverse("organizing:worker", args=[worker.public_id]),
                    reverse("organizing:workplace", args=[self.pike.public_id])):
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_lock_hides_the_campaign_from_everyone_but_admins(self) -> None:
        worker = self.roster(self.unit, 1)[0]
        self.login(self.organizer)
        response = self.client.post(reverse("organizing:campaign_lock", args=[self.campaign.public_id]), {"lock": "1"})
        self.assertRedirects(response, reverse("organizing:home"))
        self.assertEqual(self.client.get(self.campaign.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.get(reverse("organizing:worker", args=[worker.public_id])).status_code, 404)
        self.assertEqual(self.client.post(reverse("organizing:campaign_lock", args=[self.campaign.public_id]),
                                          {"lock": "0"}).status_code, 404)
        self.client.force_login(self.volunteer_user)
        self.assertEqual(self.client.get(self.unit.get_absolute_url()).status_code, 404)
        self.login(self.admin)
        self.assertContains(self.client.get(self.campaign.get_absolute_url()), "locked to admins")
        self.client.post(reverse("organizing:campaign_lock", args=[self.campaign.public_id]), {"lock": "0"})
        self.assertFalse(Campaign.objects.get().locked)
        self.assertEqual(AuditEntry.objects.filter(target_type="campaign", action="change").count(), 2)

    def test_no_immigration_status_is_asked_or_stored(self) -> None:
        fields = {f.name for m in (Request, Worker, Card, Person) for f in m._meta.get_fields()}
        self.assertFalse({name for name in fields if "immigra" in name or "ssn" in name or "citizen" in name})
