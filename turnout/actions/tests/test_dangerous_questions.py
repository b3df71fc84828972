"""A sign-up form never asks what would endanger a worker: staff cannot add such a question in
either language, one made before is no longer asked, and no door stores an answer to one."""

from __future__ import annotations

from turnout.actions import services
from turnout.actions.models import Form, FormQuestion, Submission
from turnout.actions.tests.test_console_writes import formset
from turnout.core.dangerous import DangerousQuestion
from turnout.site.testing import TurnoutTestCase


class DangerousQuestionTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.form = Form.objects.create(group=self.local, title="Safety survey")
        self.fields = {"form-group": self.local.pk, "form-title": "Safety survey", "form-is_open": "on"}

    def test_staff_get_a_form_error_naming_the_question_and_why(self) -> None:
        """In English or in the Spanish wording, the question is refused with the reason; the
        others typed with it are kept on the page, and nothing is saved."""
        self.login(self.organizer)
        page = self.client.post(self.form.get_absolute_url(), {**self.fields, **formset("q", [
            {"position": "1", "label": "Heat stress at work?", "kind": "yes_no"},
            {"position": "2", "label": "Country of birth", "kind": "text"},
            {"position": "3", "label": "Shift", "label_es": "¿Es usted ciudadano?", "kind": "text"}])})
        self.assertContains(page, "The question “Country of birth” cannot be asked: Turnout does not store "
                                  "country of birth or nationality.", html=False)
        self.assertContains(page, "The question “¿Es usted ciudadano?” cannot be asked: Turnout does not store "
                                  "citizenship.", html=False)
        self.assertContains(page, 'value="Heat stress at work?"', html=False)
        self.assertFalse(FormQuestion.objects.exists())

    def test_a_question_whose_choices_ask_for_it_is_refused_by_name(self) -> None:
        """An ordinary wording does not let a choice such as "Undocumented" through: the form error
        names the question and says why, what was typed stays, nothing is saved."""
        self.login(self.organizer)
        page = self.client.post(self.form.get_absolute_url(), {**self.fields, **formset("q", [
            {"position": "1", "label": "Status", "label_es": "Estado", "kind": "choice",
             "choices": "Member\nUS citizen\nGreen card"}])})
        self.assertContains(page, "The question “Status” cannot be asked: Turnout does not store citizenship.",
                            html=False)
        self.assertContains(page, "Green card")
        self.assertFalse(FormQuestion.objects.exists())
        with self.assertRaisesMessage(DangerousQuestion, "The question “Estado” cannot be asked"):
            services.update_form(actor=self.organizer, form=self.form, fields={}, questions=[
                {"position": 1, "label": "Estado", "kind": "choice", "choices": "Miembro\nIndocumentado"}])
        self.assertFalse(FormQuestion.objects.exists())
        services.update_form(actor=self.organizer, form=self.form, fields={}, questions=[
            {"position": 1, "label": "Status", "kind": "choice", "choices": "Member\nRetiree\nSenior citizen"}])
        self.assertEqual(self.form.questions.get().choice_list(), ["Member", "Retiree", "Senior citizen"])

    def test_the_service_refuses_it_too(self) -> None:
        with self.assertRaisesMessage(DangerousQuestion, "“Número de seguro social”"):
            services.update_form(actor=self.organizer, form=self.form, fields={}, questions=[
                {"position": 1, "label": "SS", "label_es": "Número de seguro social", "kind": "text"}])
        self.assertFalse(FormQuestion.objects.exists())

    def test_a_question_made_before_is_not_asked_and_its_answer_not_kept(self) -> None:
        FormQuestion.objects.create(form=self.form, position=1, label="Visa type")
        FormQuestion.objects.create(form=self.form, position=3, label="Status", kind="choice",
                                    choices="Citizen\nUndocumented")
        shirt = FormQuestion.objects.create(form=self.form, position=2, label="T-shirt size?")
        page = self.client.get(self.form.public_url())
        self.assertNotContains(page, "Visa type")
        self.assertNotContains(page, "Undocumented")
        self.assertContains(page, "T-shirt size?")
        self.client.post(self.form.public_url(), {"given_name": "Nia", "email": "nia@example.org",
                                                  "postal_code": "98101", f"fq{shirt.pk}": "M"})
        self.settle_forms()
        self.assertEqual(Submission.objects.get().answers, {"T-shirt size?": "M"})
        submission, _created = services.record_submission(
            actor=self.organizer, form=self.form, person=self.member, answers={"Visa type": "H-2A", "T-shirt size?": "L"})
        self.assertEqual(submission.answers, {"T-shirt size?": "L"})
