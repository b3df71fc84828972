"""What staff build on the actions pages is saved by the actions services: each creation and each
change is on the audit log (naming what changed), and the pages do what they did before."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from turnout.actions.models import Form, Petition, Resolution, WorkingGroup
from turnout.core.models import AuditEntry
from turnout.site.testing import TurnoutTestCase, audit_summaries


def summaries(target: Any) -> list[str]:
    return audit_summaries(target)


def formset(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
                            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{name}": value for name, value in row.items()})
    return data


class BuildTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.login(self.organizer)

    def test_a_form_and_its_questions_are_built_changed_and_removed_on_record(self) -> None:
        """Questions added, changed and removed through the form's page are saved, and each save
        is on record with what changed."""
        self.client.post("/actions/forms/new/", {"group": self.local.pk, "title": "Safety survey", "is_open": "on"})
        form = Form.objects.get(title="Safety survey")
        self.assertEqual(form.created_by, self.organizer)
        self.assertEqual(summaries(form), ["Built the form"])
        fields = {"form-group": self.local.pk, "form-title": "Safety survey", "form-is_open": "on"}
        self.client.post(form.get_absolute_url(), {**fields, **formset("q", [
            {"position": "1", "label": "Heat stress?", "kind": "yes_no"},
            {"position": "2", "label": "Department", "kind": "choice", "choices": "Kitchen\nFloor"}])})
        heat, department = form.questions.all()
        self.client.post(form.get_absolute_url(), {**fields, "form-title": "Heat survey", **formset("q", [
            {"id": heat.pk, "form": form.pk, "position": "1", "label": "Heat stress at work?", "kind": "yes_no"},
            {"id": department.pk, "form": form.pk, "position": "2", "label": "Department", "kind": "choice",
             "choices": "Kitchen\nFloor", "DELETE": "on"}], initial=2)})
        form.refresh_from_db()
        self.assertEqual(form.title, "Heat survey")
        self.assertEqual([q.label for q in form.questions.all()], ["Heat stress at work?"])
        self.assertEqual(summaries(form), ["Built the form", "Changed the form: questions",
                                           "Changed the form: title, questions"])

    def test_saving_an_unchanged_petition_says_saved_and_adds_nothing_to_the_record(self) -> None:
        """An edit is on record with the fields it changed; pressing Save with no change adds no entry."""
        self.client.post("/actions/petitions/new/", {"group": self.local.pk, "title": "Fix the heat",
                                                     "petition_text": "We demand heat.", "is_open": "on"})
        petition = Petition.objects.get(title="Fix the heat")
        self.assertEqual(petition.created_by, self.organizer)
        data = {"group": self.local.pk, "title": "Fix the heat", "petition_text": "We demand heat.", "goal": "50",
                "is_open": "on"}
        self.client.post(petition.get_absolute_url(), data)
        response = self.client.post(petition.get_absolute_url(), data, follow=True)
        self.assertContains(response, "Saved.")
        petition.refresh_from_db()
        self.assertEqual(petition.goal, 50)
        self.assertEqual(summaries(petition), ["Started the petition", "Changed the petition: goal"])

    def test_a_resolution_keeps_its_document_when_edited_without_a_new_one(self) -> None:
        """A document uploaded with a resolution stays when the text is changed without uploading again."""
        self.client.post("/actions/resolutions/new/", {
            "group": self.local.pk, "title": "Count every vote", "text": "Resolved.", "passed_by": "Local 8",
            "is_open": "on", "document": SimpleUploadedFile("res.pdf", b"%PDF-1.4", "application/pdf")})
        resolution = Resolution.objects.get(title="Count every vote")
        stored = resolution.document.name
        self.assertTrue(stored)
        self.client.post(resolution.get_absolute_url(), {
            "group": self.local.pk, "title": "Count every vote", "text": "Resolved, again.", "passed_by": "Local 8",
            "is_open": "on"})
        resolution.refresh_from_db()
        self.assertEqual((resolution.text, resolution.document.name), ("Resolved, again.", stored))
        self.assertEqual(summaries(resolution), ["Published the resolution", "Changed the resolution: text"])

    def test_a_working_group_is_on_record_in_its_group(self) -> None:
        """A new working group is on the audit log of the group it belongs to."""
        self.client.post("/actions/working-groups/new/", {"group": self.local.pk, "name": "Safety committee",
                                                          "coordinator": self.organizer.pk, "is_open": "on"})
        working_group = WorkingGroup.objects.get(name="Safety committee")
        entry = AuditEntry.objects.get(target_id=str(working_group.public_id))
        self.assertEqual((entry.action, entry.actor, entry.group, entry.summary),
                         ("create", self.organizer, self.local, "Started the working group"))
