"""A crowd's forms are answered from a page kept in the web process and a form built once per
version: an organizer's change is still asked at once, and each person still gets their own link."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from turnout.actions import services
from turnout.actions.models import ActionIntake, Form, Petition, Submission
from turnout.mobilization.models import Pledge
from turnout.site.testing import TurnoutTestCase


class KeptFormTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.form = services.create_form(actor=self.organizer, group=self.local, fields={
            "title": "Heat survey", "thank_you": "We will call you."}, questions=[
            {"position": 1, "label": "Shift", "kind": "choice", "choices": "Day\nNight", "required": True}])

    def post(self, email: str, **answers: str) -> Any:
        fields = {f"fq{q.pk}": answers[q.label.split()[0].lower()] for q in self.form.questions.all()
                  if q.label.split()[0].lower() in answers}
        return self.client.post(self.form.public_url(), {"given_name": "Ana", "email": email,
                                                         "postal_code": "98101", **fields})

    def test_a_question_added_in_the_console_is_asked_on_the_next_post(self) -> None:
        """Each post after the organizer adds a required question must answer it."""
        self.assertContains(self.post("ana@example.org", shift="Night"), "We will call you.")
        services.update_form(actor=self.organizer, form=self.form, fields={}, questions=[
            {"position": 2, "label": "Building", "kind": "text", "required": True}])
        refused = self.post("ben@example.org", shift="Day")
        self.assertContains(refused, "Building")
        self.assertContains(refused, "This field is required.")
        self.assertContains(refused, 'value="ben@example.org"')  # what they typed is kept
        self.assertContains(self.post("cy@example.org", shift="Day", building="4"), "We will call you.")
        self.settle_forms()
        self.assertCountEqual([s.answers for s in Submission.objects.all()],
                              [{"Shift": "Night"}, {"Shift": "Day", "Building": "4"}])

    def test_a_changed_choice_and_a_removed_question_are_seen_at_once(self) -> None:
        """Changing a question's choices, or removing it, changes the next post's form."""
        self.post("ana@example.org", shift="Night")
        question = self.form.questions.get()
        services.update_form(actor=self.organizer, form=self.form, fields={}, questions=[
            {"id": question, "choices": "Day\nSwing"}])
        self.assertContains(self.post("ben@example.org", shift="Night"), "Select a valid choice.")
        services.update_form(actor=self.organizer, form=self.form, fields={}, questions=[
            {"id": question, "DELETE": True}])
        self.assertContains(self.post("cy@example.org"), "We will call you.")

    def test_closing_the_form_in_the_console_refuses_the_next_post(self) -> None:
        self.post("ana@example.org", shift="Night")
        services.update_form(actor=self.organizer, form=self.form, fields={"is_open": False})
        self.assertContains(self.post("ben@example.org", shift="Night"), "This is closed.")
        self.assertEqual(ActionIntake.objects.count(), 1)

    def test_each_person_is_thanked_with_their_own_link_and_token(self) -> None:
        """Two people thanked from the one page each get the share code kept for them, and a CSRF
        token their browser accepts."""
        pages = [self.post(f"{name}@example.org", shift="Day").content.decode() for name in ("ana", "ben")]
        codes = [re.search(r'data-testid="share-url"', page) and re.search(r"\?ref=([\w-]+)", page).group(1)  # type: ignore[union-attr]
                 for page in pages]
        kept = sorted(i.data["share_code"] for i in ActionIntake.objects.all())
        self.assertEqual(sorted(codes), kept)
        self.assertNotEqual(codes[0], codes[1])
        self.assertNotIn("Zq7", "".join(pages))
        browser = Client(enforce_csrf_checks=True)
        page = browser.get(self.form.public_url())
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)  # type: ignore[union-attr]
        question = self.form.questions.get()
        thanks = browser.post(self.form.public_url(), {"csrfmiddlewaretoken": token, "given_name": "Cy",
                                                       "email": "cy@example.org", f"fq{question.pk}": "Day"})
        again = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', thanks.content.decode()).group(1)  # type: ignore[union-attr]
        self.assertEqual(again, token)  # the masked token the browser sent and the check accepted
        language = browser.post("/i18n/setlang/", {"csrfmiddlewaretoken": again, "language": "es", "next": "/"})
        self.assertEqual(language.status_code, 302)  # the token on the thank-you page is this browser's own
        stranger = Client(enforce_csrf_checks=True)
        stranger.get(self.form.public_url())
        refused = stranger.post(self.form.public_url(), {"csrfmiddlewaretoken": token, "given_name": "Di",
                                                         "email": "di@example.org", f"fq{question.pk}": "Day"})
        self.assertEqual(refused.status_code, 403)  # another browser's token is no token for this one

    def test_a_token_the_check_did_not_accept_is_never_written_into_the_answer(self) -> None:
        """The answer's token is the one sent only when the CSRF check accepted it and it has a
        masked token's shape; otherwise (a page exempt from the check, a token of another shape)
        the answer gets a new one, and what was sent is never written into the page."""
        from django.middleware.csrf import _check_token_format
        from django.test import RequestFactory

        from turnout.sharing.public import _page_token

        good = "A" * 64
        for sent, checked, kept in ((good, True, True), (good, False, False),
                                    ('x"><script>alert(1)</script>' + "a" * 36, True, False), ("a" * 32, True, False)):
            request = RequestFactory().post("/", {"csrfmiddlewaretoken": sent})
            request.META["CSRF_COOKIE"] = "b" * 32
            if checked:
                request.csrf_processing_done = True  # type: ignore[attr-defined]
            token = _page_token(request)
            self.assertEqual(token == sent, kept, sent)
            _check_token_format(token)  # a masked token: 64 letters and digits

    def test_the_spanish_page_after_the_english_one(self) -> None:
        """One page thanked in English, then in Spanish: each in its own language."""
        self.form.thank_you_es = "Le llamaremos."
        self.form.save()
        self.assertContains(self.post("ana@example.org", shift="Day"), "We will call you.")
        question = self.form.questions.get()
        spanish = self.client.post(self.form.public_url(), {"given_name": "Ben", "email": "ben@example.org",
                                                            f"fq{question.pk}": "Day"},
                                   headers={"accept-language": "es"})
        self.assertContains(spanish, "Le llamaremos.")
        self.assertContains(spanish, '<html lang="es">')

    def test_a_title_with_markup_is_escaped_on_the_kept_page(self) -> None:
        petition = Petition.objects.create(group=self.local, title="<script>alert(1)</script> heat",
                                           petition_text="Now.")
        for name in ("ana", "ben"):
            page = self.client.post(petition.public_url(), {"given_name": name, "email": f"{name}@example.org"})
            self.assertNotContains(page, "<script>alert(1)</script>")
            self.assertContains(page, "&lt;script&gt;alert(1)&lt;/script&gt; heat")


class KeptCountTests(TurnoutTestCase):
    def test_a_pledge_signed_in_this_process_is_counted_at_once(self) -> None:
        pledge = Pledge.objects.create(group=self.local, title="Hold the line", text="We pledge.")
        self.client.post(pledge.public_url(), {"given_name": "Ana", "email": "ana@example.org"})
        self.settle_forms()
        self.client.post(pledge.public_url(), {"given_name": "Ben", "email": "ben@example.org"})
        self.settle_forms()
        page = self.client.post(pledge.public_url(), {"given_name": "Cy", "email": "cy@example.org"})
        self.assertContains(page, "2 people stand behind “Hold the line” so far.")
        self.assertEqual(Form.objects.count(), 0)

    def test_a_petition_page_opened_by_a_crowd_counts_its_signatures_once(self) -> None:
        """The page's count is read once in a few seconds by each process, not on every view; a
        signature taken in this process is counted on the next view."""
        petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Now.")
        self.client.post(petition.public_url(), {"given_name": "Ana", "email": "ana@example.org"})
        self.settle_forms()
        self.assertContains(self.client.get(petition.public_url()), "1 person has signed")
        with CaptureQueriesContext(connection) as views:
            for _ in range(3):
                self.assertContains(self.client.get(petition.public_url()), "1 person has signed")
        self.assertEqual([q["sql"] for q in views.captured_queries if "COUNT(" in q["sql"]], [])
        self.client.post(petition.public_url(), {"given_name": "Ben", "email": "ben@example.org"})
        self.settle_forms()
        self.assertContains(self.client.get(petition.public_url()), "2 people have signed")
