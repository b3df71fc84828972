"""An event's RSVP form never asks what would endanger a worker: staff cannot add such a question,
one made before is no longer asked, and no door stores an answer to one."""

from __future__ import annotations

import time_machine
from django.test import override_settings

from turnout.core.dangerous import DangerousQuestion
from turnout.events import services
from turnout.events.models import Question, Rsvp
from turnout.events.tests.test_events import NOW, make_event
from turnout.site.testing import TurnoutTestCase


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class DangerousQuestionTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.event = make_event(self.local)

    def test_staff_get_a_form_error_naming_the_question_and_why(self) -> None:
        """English or Spanish, the page refuses it with the reason and keeps what was typed."""
        self.login(self.organizer)
        for label, reason in (("Immigration status", "Turnout does not store immigration status."),
                              ("¿Cuál es su estatus migratorio?", "Turnout does not store immigration status."),
                              ("Last 4 of your SSN", "Turnout does not store Social Security numbers.")):
            page = self.client.post(self.event.get_absolute_url(), {"question": "1", "label": label, "kind": "text"})
            self.assertContains(page, f"The question “{label}” cannot be asked: {reason}", html=False)
            self.assertContains(page, f'value="{label}"', html=False)
        self.assertFalse(Question.objects.exists())
        self.client.post(self.event.get_absolute_url(), {"question": "1", "label": "T-shirt size?", "kind": "text"})
        self.assertEqual(list(Question.objects.values_list("label", flat=True)), ["T-shirt size?"])

    def test_a_question_whose_choices_ask_for_it_is_refused_by_name(self) -> None:
        """An ordinary wording does not let a choice such as "Undocumented" through."""
        self.login(self.organizer)
        page = self.client.post(self.event.get_absolute_url(), {
            "question": "1", "label": "Status", "kind": "choice", "choices": "Member\nUndocumented\nGreen card"})
        self.assertContains(page, "The question “Status” cannot be asked: Turnout does not store immigration status.",
                            html=False)
        self.assertContains(page, 'value="Status"', html=False)
        self.assertContains(page, "Undocumented")
        with self.assertRaisesMessage(DangerousQuestion, "The question “Estado” cannot be asked"):
            services.add_question(actor=self.organizer, event=self.event, label="Estado", kind="choice",
                                  choices=["Ciudadano", "Otro"])
        self.assertFalse(Question.objects.exists())
        self.client.post(self.event.get_absolute_url(), {
            "question": "1", "label": "Status", "kind": "choice", "choices": "Member\nRetiree"})
        self.assertEqual(Question.objects.get().choices, ["Member", "Retiree"])

    def test_the_service_refuses_it_too(self) -> None:
        with self.assertRaisesMessage(DangerousQuestion, "“Country of birth”"):
            services.add_question(actor=self.organizer, event=self.event, label="Country of birth", kind="text",
                                  choices=[])
        self.assertFalse(Question.objects.exists())

    def test_a_question_made_before_is_not_asked_and_its_answer_not_kept(self) -> None:
        """A question saved before the refusal existed is left off the public form; an answer sent
        for it anyway (or through any door) is not stored; the other answers are."""
        Question.objects.create(event=self.event, label="Are you a citizen?", kind="text")
        Question.objects.create(event=self.event, label="Status", kind="choice", choices=["Member", "Green card"],
                                position=2)
        shirt = Question.objects.create(event=self.event, label="T-shirt size?", kind="text", position=1)
        self.event.save()  # the form's questions are read again after a change of the event
        page = self.client.get(self.event.public_url())
        self.assertNotContains(page, "citizen")
        self.assertNotContains(page, "Green card")
        self.assertContains(page, "T-shirt size?")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.event.public_url(), {"given_name": "Nia", "email": "nia@example.org",
                                                       "postal_code": "98101", f"q{shirt.pk}": "M"})
        self.run_worker()
        self.assertEqual(Rsvp.objects.get(event=self.event).answers, {"T-shirt size?": "M"})
        answer, _created = services.take_seat(self.event, self.member,
                                              answers={"Are you a citizen?": "no", "T-shirt size?": "L"})
        self.assertEqual(answer.answers, {"T-shirt size?": "L"})
