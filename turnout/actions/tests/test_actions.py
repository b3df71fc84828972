"""Forms, petitions, pledges' share links, resolutions and endorsements, working groups, embeds
and QR codes, and the protections of every public form."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone, translation

from turnout.accounts.models import Role
from turnout.actions.models import (
    Endorsement,
    Form,
    FormQuestion,
    Petition,
    PetitionSignature,
    Resolution,
    Submission,
    WorkingGroup,
    WorkingGroupMember,
)
from turnout.core.models import AuditEntry
from turnout.events.models import Event
from turnout.events.services import save_event
from turnout.mobilization.models import Network, Pledge, Signature
from turnout.people.models import ConsentEvent, Person
from turnout.sharing.models import Referral
from turnout.sharing.services import share_code
from turnout.site.testing import TurnoutTestCase, make_staff


def clock_stopped(test: Callable[..., None]) -> Callable[..., None]:
    """Run the test with the clock stopped at the moment it starts: a rate limit counts in windows
    (a minute, an hour), and posts that straddle a window's end would be counted in two."""

    @wraps(test)
    def stopped(*args: Any, **kwargs: Any) -> None:
        with time_machine.travel(datetime.now(UTC), tick=False):
            test(*args, **kwargs)

    return stopped


@override_settings(SMS_BACKEND="memory")
class FormTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.form = Form.objects.create(
            group=self.local, title="Join the contract campaign", title_es="Únete a la campaña del contrato",
            description="Tell us **how** you can help.", tags="contract-2026, volunteer",
            thank_you="We will call you this week.", thank_you_es="Te llamaremos esta semana.",
            autoresponse_subject="Welcome to the campaign", autoresponse_body="Thanks for joining: next meeting Monday.")
        self.shift = FormQuestion.objects.create(form=self.form, position=1, label="Which shift do you work?",
                                                 label_es="¿Qué turno trabajas?", kind=FormQuestion.Kind.CHOICE,
                                                 choices="Day\nNight", required=True)
        self.help = FormQuestion.objects.create(form=self.form, position=2, label="How can you help?",
                                                kind=FormQuestion.Kind.MULTIPLE, choices="Phone bank\nCanvass\nDrive")
        self.steward = FormQuestion.objects.create(form=self.form, position=3, label="Are you a steward?",
                                                   kind=FormQuestion.Kind.YES_NO)
        self.start = FormQuestion.objects.create(form=self.form, position=4, label="Hire date",
                                                 kind=FormQuestion.Kind.DATE)
        self.note = FormQuestion.objects.create(form=self.form, position=5, label="Anything else?")

    def answers(self, **extra: object) -> dict[str, object]:
        return {"given_name": "Rosa", "family_name": "Díaz", "email": "rosa@example.org", "phone": "(206) 555-0142",
                "sms_consent": "on", "postal_code": "98101", f"fq{self.shift.pk}": "Night",
                f"fq{self.help.pk}": ["Phone bank", "Drive"], f"fq{self.steward.pk}": "yes",
                f"fq{self.start.pk}": "2019-04-02", f"fq{self.note.pk}": "Break room is bugged?", **extra}

    def test_a_submission_records_answers_tags_consent_and_sends_the_autoresponse(self) -> None:
        page = self.client.get(self.form.public_url())
        self.assertContains(page, "<strong>how</strong>")
        self.assertContains(page, 'property="og:title" content="Join the contract campaign"')
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.form.public_url(), self.answers())
        self.assertContains(response, "We will call you this week.")
        self.assertContains(response, "?ref=")  # the person's own share link
        self.assertFalse(Submission.objects.exists())  # answered at once; the worker makes the record
        self.settle_forms()
        submission = Submission.objects.get(form=self.form)
        self.assertEqual(submission.answers, {
            "Which shift do you work?": "Night", "How can you help?": "Phone bank, Drive",
            "Are you a steward?": "yes", "Hire date": "2019-04-02", "Anything else?": "Break room is bugged?"})
        rosa = submission.person
        self.assertEqual(sorted(rosa.taggings.values_list("tag__name", flat=True)), ["contract-2026", "volunteer"])
        consent = ConsentEvent.objects.get(channel="sms", address="+12065550142")
        self.assertIn("Text me about this and other actions", consent.consent_text)
        self.run_worker()
        self.assertEqual([(m.to, m.subject) for m in mail.outbox], [(["rosa@example.org"], "Welcome to the campaign")])
        self.assertIn("next meeting Monday", mail.outbox[0].body)

    def test_the_spanish_page_and_a_missing_answer_keeps_what_was_typed(self) -> None:
        page = self.client.get(self.form.public_url(), headers={"accept-language": "es"})
        self.assertContains(page, "Únete a la campaña del contrato")
        self.assertContains(page, "¿Qué turno trabajas?")
        typed = self.answers(**{f"fq{self.shift.pk}": ""})
        response = self.client.post(self.form.public_url(), typed, headers={"accept-language": "es"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'value="Rosa"')
        self.assertContains(response, "Break room is bugged?")
        self.assertFalse(Submission.objects.exists())

    def test_the_same_person_twice_within_minutes_is_one_submission_and_later_a_second(self) -> None:
        self.client.post(self.form.public_url(), self.answers())
        self.client.post(self.form.public_url(), self.answers(**{f"fq{self.shift.pk}": "Day"}))
        self.settle_forms()
        self.assertEqual(Submission.objects.get().answers["Which shift do you work?"], "Day")
        self.travel_to(timezone.now() + timedelta(hours=1))
        self.client.post(self.form.public_url(), self.answers())
        self.settle_forms()
        self.assertEqual(Submission.objects.count(), 2)
        self.assertEqual(Person.objects.filter(emails__address="rosa@example.org").count(), 1)

    def test_a_known_email_gets_the_same_answer_as_a_new_one(self) -> None:
        known = self.client.post(self.form.public_url(), self.answers(email="maria@example.org", phone="", sms_consent=""))
        new = self.client.post(self.form.public_url(), self.answers(email="nobody-yet@example.org", phone="", sms_consent=""))
        self.assertEqual(known.status_code, new.status_code)
        for response in (known, new):
            self.assertContains(response, "We will call you this week.")
        self.settle_forms()
        self.assertEqual(Submission.objects.count(), 2)

    def test_scripts_are_stored_as_text_and_shown_escaped(self) -> None:
        self.client.post(self.form.public_url(), self.answers(**{f"fq{self.note.pk}": "<script>alert(1)</script>"},
                                                              given_name="<b>Rosa</b>"))
        self.settle_forms()
        self.assertEqual(Submission.objects.get().answers["Anything else?"], "<script>alert(1)</script>")
        self.login(self.organizer)
        page = self.client.get(self.form.get_absolute_url())
        self.assertContains(page, "&lt;script&gt;alert(1)&lt;/script&gt;")
        self.assertContains(page, "&lt;b&gt;Rosa&lt;/b&gt;")
        self.assertNotContains(page, "<script>alert(1)")

    def test_the_honeypot_stores_nothing(self) -> None:
        response = self.client.post(self.form.public_url(), self.answers(website="http://spam.example"))
        self.assertContains(response, "Thank you!")
        self.assertFalse(Submission.objects.exists())
        self.assertFalse(Person.objects.filter(emails__address="rosa@example.org").exists())

    @override_settings(PUBLIC_FORM_RATE_PER_PERSON="2/h")
    @clock_stopped
    def test_too_many_from_one_person_is_refused_with_what_they_typed_kept(self) -> None:
        for n in range(2):
            self.client.post(self.form.public_url(), self.answers(family_name=f"D{n}"))
        response = self.client.post(self.form.public_url(), self.answers(family_name="Third"))
        self.assertContains(response, "Too many submissions from here")
        self.assertContains(response, 'value="Third"')
        self.assertEqual(Person.objects.filter(family_name="Third").count(), 0)
        other = self.client.post(self.form.public_url(), self.answers(email="ana@example.org", phone="", sms_consent=""))
        self.assertContains(other, "We will call you this week.")

    @override_settings(PUBLIC_FORM_RATE_PER_IP="3/m")
    @clock_stopped
    def test_too_many_from_one_address_is_refused(self) -> None:
        for n in range(3):
            self.client.post(self.form.public_url(), self.answers(email=f"p{n}@example.org", phone="", sms_consent=""))
        response = self.client.post(self.form.public_url(), self.answers(email="p9@example.org", phone="", sms_consent=""))
        self.assertContains(response, "Too many submissions from here")
        self.settle_forms()
        self.assertEqual(Submission.objects.count(), 3)

    @override_settings(PUBLIC_FORM_RATE_PER_IP="2/m", TRUSTED_PROXY_HOPS=1)
    @clock_stopped
    def test_behind_a_trusted_proxy_each_client_address_is_counted_on_its_own(self) -> None:
        def send(n: int, client: str) -> Any:
            return self.client.post(self.form.public_url(), self.answers(email=f"p{n}@example.org", phone="",
                                                                         sms_consent=""),
                                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client)

        for n in range(2):
            self.assertContains(send(n, "198.51.100.4"), "We will call you this week.")
        self.assertContains(send(2, "198.51.100.5"), "We will call you this week.")  # the proxy's other client
        self.assertContains(send(3, "198.51.100.4"), "Too many submissions from here")
        # One IPv6 network (a phone's /64) is one address.
        self.assertContains(send(4, "2001:db8:1:2::10"), "We will call you this week.")
        self.assertContains(send(5, "2001:db8:1:2::99"), "We will call you this week.")
        self.assertContains(send(6, "2001:db8:1:2:aaaa::1"), "Too many submissions from here")
        self.settle_forms()
        self.assertEqual(Submission.objects.count(), 5)

    @override_settings(PUBLIC_FORM_RATE_PER_IP="2/m", TRUSTED_PROXY_HOPS=1)
    @clock_stopped
    def test_rotating_what_the_client_writes_in_x_forwarded_for_gets_nobody_past_the_limit(self) -> None:
        def send(n: int) -> Any:
            return self.client.post(self.form.public_url(), self.answers(email=f"p{n}@example.org", phone="",
                                                                         sms_consent=""),
                                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 198.51.100.4")

        for n in range(2):
            self.assertContains(send(n), "We will call you this week.")
        self.assertContains(send(2), "Too many submissions from here")
        self.settle_forms()
        self.assertEqual(Submission.objects.count(), 2)

    def test_a_form_can_send_people_elsewhere_and_be_closed(self) -> None:
        self.form.redirect_url = "https://union.example/thanks"
        self.form.save()
        response = self.client.post(self.form.public_url(), self.answers())
        self.assertRedirects(response, "https://union.example/thanks", fetch_redirect_response=False)
        self.form.is_open = False
        self.form.save()
        self.assertContains(self.client.get(self.form.public_url()), "This is closed.")
        closed = self.client.post(self.form.public_url(), self.answers(email="late@example.org"))
        self.assertContains(closed, "This is closed.")
        # Thanked before it closed: Rosa's submission is still taken.
        self.settle_forms()
        self.assertEqual(list(Submission.objects.values_list("person__given_name", flat=True)), ["Rosa"])

    def test_the_csv_export_is_audited_and_safe_for_spreadsheets(self) -> None:
        self.client.post(self.form.public_url(), self.answers(**{f"fq{self.note.pk}": "=HYPERLINK(\"x\")"}))
        self.settle_forms()
        self.login(self.organizer)
        response = self.client.get(f"{self.form.get_absolute_url()}export.csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]
        self.assertEqual(rows[0][:6], ["submitted", "given_name", "family_name", "email", "phone", "zip"])
        # A phone number starts like a sum, so it gets the quote too (see turnout/core/exports.py).
        self.assertEqual(rows[1][1:6], ["Rosa", "Díaz", "rosa@example.org", "'+12065550142", "98101"])
        self.assertEqual(rows[1][-1], "'=HYPERLINK(\"x\")")
        self.assertTrue(AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=self.organizer).exists())
        self.login(self.outsider)
        self.assertEqual(self.client.get(f"{self.form.get_absolute_url()}export.csv").status_code, 404)

    def test_staff_build_a_form_with_questions(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/actions/forms/new/", {"group": self.local.pk, "title": "Safety survey",
                                                            "ask_phone": "on", "ask_postal_code": "on",
                                                            "is_open": "on"})
        built = Form.objects.get(title="Safety survey")
        self.assertRedirects(response, built.get_absolute_url())
        data = {"form-group": self.local.pk, "form-title": "Safety survey", "form-is_open": "on", "form-ask_phone": "on",
                "q-TOTAL_FORMS": "2", "q-INITIAL_FORMS": "0", "q-MIN_NUM_FORMS": "0", "q-MAX_NUM_FORMS": "1000",
                "q-0-position": "1", "q-0-label": "Is there heat stress at work?", "q-0-kind": "yes_no",
                "q-1-position": "2", "q-1-label": "Department", "q-1-kind": "choice", "q-1-choices": "Kitchen\nFloor"}
        self.client.post(built.get_absolute_url(), data)
        self.assertEqual([q.label for q in built.questions.all()], ["Is there heat stress at work?", "Department"])
        page = self.client.get(built.public_url())
        self.assertContains(page, "Is there heat stress at work?")
        self.assertContains(page, 'name="phone"')


class PetitionAndShareTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.petition = Petition.objects.create(group=self.local, title="Fix the heat in Building 4",
                                                petition_text="We, the workers of Building 4, demand heat.",
                                                targets="Facilities director\nCity council", goal=50)

    def sign(self, given: str, email: str, ref: str = "", show: bool = True, comment: str = "") -> object:
        data = {"given_name": given, "family_name": "Worker", "email": email, "postal_code": "98101",
                "comment": comment, "ref": ref}
        if show:
            data["show_name"] = "on"
        return self.client.post(self.petition.public_url() + (f"?ref={ref}" if ref else ""), data)

    def test_signing_counts_and_lists_only_those_who_agreed_first_name_and_city(self) -> None:
        page = self.client.get(self.petition.public_url())
        self.assertContains(page, "Facilities director, City council")
        self.assertContains(page, "0 people have signed")
        self.sign("Rosa", "rosa@example.org", comment="My hands go numb.")
        self.sign("Hidden", "hidden@example.org", show=False)
        self.sign("Rosa", "rosa@example.org")  # again: still one signature
        self.settle_forms()
        page = self.client.get(self.petition.public_url())
        self.assertContains(page, "2 people have signed")
        self.assertContains(page, "Rosa, Seattle")
        self.assertNotContains(page, "Hidden")
        self.assertNotContains(page, "Worker")  # no family names in public
        self.assertEqual(PetitionSignature.objects.get(person__given_name="Rosa").comment, "My hands go numb.")

    def test_a_share_link_credits_the_sharer_once_and_shows_on_the_leaderboard(self) -> None:
        response = self.sign("Rosa", "rosa@example.org")
        self.settle_forms()
        rosa = Person.objects.get(given_name="Rosa")
        code = share_code(rosa)
        self.assertContains(response, f"?ref={code}")
        self.assertContains(response, "wa.me")
        self.client.get(f"{self.petition.public_url()}?ref={code}")
        self.sign("Ana", "ana@example.org", ref=code)
        self.sign("Ana", "ana@example.org", ref=code)
        self.sign("Rosa", "rosa@example.org", ref=code)  # nobody brings themselves
        self.settle_forms()
        self.assertEqual(list(Referral.objects.values_list("referrer__given_name", "person__given_name")),
                         [("Rosa", "Ana")])
        self.login(self.organizer)
        page = self.client.get(self.petition.get_absolute_url())
        self.assertContains(page, "Rosa")
        self.assertContains(page, "brought 1")
        self.assertContains(self.client.get(rosa.get_absolute_url()), "Brought 1 person")
        self.login(self.outsider)  # Rosa and Ana are Local 8's: nothing of them for the worker center
        self.assertEqual(self.client.get(rosa.get_absolute_url()).status_code, 404)

    def test_pledges_share_the_same_page_and_credit(self) -> None:
        pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We pledge.", goal=10)
        self.client.post(pledge.public_url(), {"given_name": "Rosa", "email": "rosa@example.org"})
        self.settle_forms()
        code = share_code(Person.objects.get(given_name="Rosa"))
        response = self.client.post(f"{pledge.public_url()}?ref={code}",
                                    {"given_name": "Ana", "email": "ana@example.org", "ref": code})
        self.assertContains(response, "Thank you for signing")
        self.settle_forms()
        self.assertEqual(Signature.objects.filter(pledge=pledge).count(), 2)
        self.assertEqual(Referral.objects.get(kind=Referral.Kind.PLEDGE).referrer.given_name, "Rosa")
        self.login(self.organizer)
        page = self.client.get(pledge.get_absolute_url())
        self.assertContains(page, f"{pledge.public_url()}embed/")  # the snippet for another site
        self.assertContains(page, "brought 1")

    def test_joining_the_network_through_a_share_link_is_credited(self) -> None:
        network = Network.objects.create(group=self.local, name="Rapid Response")
        code = share_code(self.member)
        response = self.client.post(f"{network.public_url()}?ref={code}", {
            "given_name": "Ana", "phone": "(206) 555-0177", "sms_consent": "on", "postal_code": "98101",
            "travel_miles": "10", "ref": code})
        self.assertContains(response, "?ref=")  # Ana's own link to pass on
        self.assertEqual(Referral.objects.get(kind=Referral.Kind.NETWORK).referrer, self.member)

    def test_an_event_rsvp_through_a_share_link_is_credited(self) -> None:
        event = save_event(actor=None, event=Event(group=self.local, title="Rally", postal_code="98101",
                                                   starts_at=timezone.now() + timedelta(days=2)))
        code = share_code(self.member)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(f"{event.public_url()}?ref={code}", {
                "given_name": "Ana", "email": "ana@example.org", "postal_code": "98101", "ref": code})
        self.assertEqual(response.status_code, 302)
        self.run_worker()  # the worker makes Ana's RSVP, and credits the share link she came by
        self.assertEqual(Referral.objects.get(kind=Referral.Kind.EVENT, action_id=event.pk).referrer, self.member)
        page = self.client.get(response["Location"])
        self.assertContains(page, "?ref=")


class ResolutionTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.resolution = Resolution.objects.create(
            group=self.council, title="Count every vote", text="The council resolves that every vote be counted.",
            passed_by="Metro Council", vote="unanimous")

    def endorse(self, organization: str, members: int, **extra: object) -> object:
        data = {"organization": organization, "kind": "local", "members_represented": members,
                "passed_on": "2026-10-20", "contact_name": "Lee Park", "contact_email": "lee@local99.example",
                "postal_code": "60608", **extra}
        return self.client.post(self.resolution.public_url(), data)

    def test_endorsements_are_public_only_after_approval_and_roll_up(self) -> None:
        response = self.endorse("Teamsters Local 99", 1200,
                                document=SimpleUploadedFile("res.pdf", b"%PDF-1.4 resolution", "application/pdf"))
        self.assertContains(response, "will appear here once our staff have confirmed it")
        self.endorse("Eastside Worker Center", 300, kind="worker_center")
        page = self.client.get(self.resolution.public_url())
        self.assertContains(page, "0 bodies representing 0 members have endorsed")
        self.assertNotContains(page, "Teamsters Local 99")

        self.login(self.outsider)
        pending = Endorsement.objects.get(organization="Teamsters Local 99")
        self.assertEqual(self.client.post(f"/actions/endorsements/{pending.public_id}/review/",
                                          {"decision": "approve"}).status_code, 403)
        self.login(self.admin)
        self.client.post(f"/actions/endorsements/{pending.public_id}/review/", {"decision": "approve"})
        page = self.client.get(self.resolution.public_url())
        self.assertContains(page, "1 body representing 1,200 members has endorsed")
        self.assertContains(page, "Teamsters Local 99")
        self.assertContains(page, "Chicago, IL")
        self.assertNotContains(page, "lee@local99.example")  # contacts are for staff
        document = self.client.get(f"/endorsements/{pending.public_id}/document")
        self.assertEqual(b"".join(document.streaming_content), b"%PDF-1.4 resolution")  # type: ignore[attr-defined]
        other = Endorsement.objects.get(organization="Eastside Worker Center")
        self.assertEqual(self.client.get(f"/endorsements/{other.public_id}/document").status_code, 404)
        self.assertTrue(AuditEntry.objects.filter(summary__startswith="Approved the endorsement").exists())

    def test_a_bad_endorsement_keeps_what_was_typed(self) -> None:
        response = self.endorse("Local 1", 10, contact_email="not-an-email",
                                document=SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream"))
        self.assertContains(response, 'value="Local 1"')
        self.assertContains(response, "Send the resolution as a PDF")
        self.assertFalse(Endorsement.objects.exists())


class WorkingGroupTests(TurnoutTestCase):
    def test_joining_a_working_group_and_its_coordinator_sees_who_joined(self) -> None:
        coordinator = make_staff("coord@example.org", self.local, Role.HOST)
        other_host = make_staff("host2@example.org", self.local, Role.HOST)
        working_group = WorkingGroup.objects.create(group=self.local, name="Safety committee",
                                                    name_es="Comité de seguridad", coordinator=coordinator)
        page = self.client.get(working_group.public_url(), headers={"accept-language": "es"})
        self.assertContains(page, "Comité de seguridad")
        self.client.post(working_group.public_url(), {"given_name": "Rosa", "email": "rosa@example.org",
                                                      "phone": "206-555-0142", "postal_code": "98101"})
        self.assertEqual(WorkingGroupMember.objects.get().person.given_name, "Rosa")
        self.client.force_login(coordinator)
        page = self.client.get(working_group.get_absolute_url())
        self.assertContains(page, "Rosa")
        self.assertContains(page, "+12065550142")
        self.client.force_login(other_host)
        self.assertEqual(self.client.get(working_group.get_absolute_url()).status_code, 403)


class EmbedAndQrTests(TurnoutTestCase):
    def test_an_embed_needs_no_cookie_can_be_framed_and_records_into_the_same_form(self) -> None:
        form = Form.objects.create(group=self.local, title="Sign up")
        browser = Client(enforce_csrf_checks=True)
        page = browser.get(f"{form.public_url()}embed/")
        self.assertNotIn("X-Frame-Options", page.headers)
        self.assertFalse(page.cookies)
        self.assertNotContains(page, "csrfmiddlewaretoken")
        response = browser.post(f"{form.public_url()}embed/?lang=es",
                                {"given_name": "Rosa", "email": "rosa@example.org", "lang": "es"})
        self.assertContains(response, "¡Gracias!")
        # Spanish was for that answer only: the next request on this thread is not answered in it.
        self.assertFalse((translation.get_language() or "").startswith("es"))
        self.settle_forms()
        self.assertEqual(Submission.objects.get(form=form).source, "embed")
        self.assertEqual(browser.get(form.public_url()).headers["X-Frame-Options"], "DENY")
        self.assertEqual(browser.post(form.public_url(), {"given_name": "X", "email": "x@example.org"}).status_code,
                         403)  # the site's own page keeps its CSRF protection

    def test_a_printable_qr_code_for_any_of_our_pages(self) -> None:
        svg = self.client.get("/qr.svg?path=/p/abc/")
        self.assertEqual(svg["Content-Type"], "image/svg+xml")
        self.assertIn(b"<svg", svg.content)
        self.assertEqual(self.client.get("/qr.svg?path=https://evil.example/").status_code, 400)
        self.assertEqual(self.client.get("/qr.svg?path=//evil.example/").status_code, 400)
        sheet = self.client.get("/qr/?path=/p/abc/&title=Sign+the+pledge")
        self.assertContains(sheet, "Sign the pledge")
        self.assertContains(sheet, "http://testserver/p/abc/")
