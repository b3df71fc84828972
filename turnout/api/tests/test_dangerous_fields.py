"""Custom fields and answers that would endanger a worker are not stored through the API: the rest of
the request goes through, and the answer names each field left out and why."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from turnout.actions.models import Form, Submission
from turnout.api.tests.base import ApiTestCase
from turnout.events.tests.test_events import make_event
from turnout.people.models import Person

SSN_VALUE = "123-45-6789"
STATUS_VALUE = "undocumented"


def refused(answer: dict) -> list[tuple[str, str]]:
    return [(entry["name"], entry["kind"]) for entry in answer["turnout:refused_fields"]]


class RefusedFieldsApiTests(ApiTestCase):
    def assert_stored_nowhere(self, *values: str) -> None:
        """Not on any person, nor in any answer or audit entry: the database holds none of them."""
        with connection.cursor() as cursor:
            for table in ("people_person", "actions_submission", "events_rsvp", "core_auditentry"):
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
                text = repr(cursor.fetchall())
                for value in values:
                    self.assertNotIn(value, text, f"{value} is in {table}")

    def test_the_signup_helper_leaves_them_out_and_says_why(self) -> None:
        """POST people: 201, the person and their other custom fields stored, SSN and status not."""
        answer = self.ok("POST", "people", {"person": {
            "given_name": "Ana", "email_addresses": [{"address": "ana@example.org"}],
            "custom_fields": {"SSN": SSN_VALUE, "Immigration Status": STATUS_VALUE, "shift": "nights"}},
            "add_tags": ["volunteer"]}, status=201)
        self.assertEqual(answer["turnout:refused_fields"], [
            {"name": "SSN", "kind": "ssn", "reason": "Turnout does not store Social Security numbers."},
            {"name": "Immigration Status", "kind": "immigration_status",
             "reason": "Turnout does not store immigration status."}])
        self.assertEqual(answer["custom_fields"], {"shift": "nights"})
        ana = Person.objects.get(emails__address="ana@example.org")
        self.assertEqual((ana.given_name, ana.custom_fields), ("Ana", {"shift": "nights"}))
        self.assertEqual(list(ana.taggings.values_list("tag__name", flat=True)), ["volunteer"])
        self.assert_stored_nowhere(SSN_VALUE, STATUS_VALUE)

    def test_a_person_change_leaves_them_out_and_says_why(self) -> None:
        """PUT people/<id>, the fields at the top or inside `person`: 200, the rest applied."""
        answer = self.ok("PUT", f"people/{self.member.public_id}", {
            "family_name": "Lopez-Ruiz", "custom_fields": {"Número de seguro social": SSN_VALUE, "t-shirt": "L"}})
        self.assertEqual(refused(answer), [("Número de seguro social", "ssn")])
        self.member.refresh_from_db()
        self.assertEqual((self.member.family_name, self.member.custom_fields), ("Lopez-Ruiz", {"t-shirt": "L"}))
        inside = self.ok("PUT", f"people/{self.member.public_id}", {"person": {"custom_fields": {"A#": "A123"}}})
        self.assertEqual(refused(inside), [("A#", "immigration_number")])
        self.assert_stored_nowhere(SSN_VALUE, "A123")

    def test_an_answer_without_them_says_nothing_of_it(self) -> None:
        answer = self.ok("POST", "people", {"person": {"email_addresses": [{"address": "plain@example.org"}],
                                                       "custom_fields": {"shift": "days"}}}, status=201)
        self.assertNotIn("turnout:refused_fields", answer)

    def test_unknown_keys_at_the_top_are_not_stored(self) -> None:
        """Keys the API does not read (an "ssn" beside the person's fields) are stored nowhere."""
        answer = self.ok("POST", "people", {"person": {"email_addresses": [{"address": "top@example.org"}],
                                                       "ssn": SSN_VALUE, "nationality": "Guatemalan"},
                                            "immigration_status": STATUS_VALUE}, status=201)
        self.assertNotIn(SSN_VALUE, str(answer))
        self.assert_stored_nowhere(SSN_VALUE, STATUS_VALUE, "Guatemalan")

    def test_a_form_submission_leaves_out_such_answers_and_custom_fields(self) -> None:
        """The record submission helper: the person's custom fields and the answers are both checked."""
        form = Form.objects.create(group=self.local, title="Join")
        answer = self.ok("POST", f"forms/{form.public_id}/submissions", {
            "person": {"email_addresses": ["rae@example.org"], "custom_fields": {"Citizenship": "no"}},
            "turnout:answers": {"¿Cuál es su estatus migratorio?": STATUS_VALUE, "Shift": "Night"}}, status=201)
        self.assertEqual(sorted(refused(answer)), [("Citizenship", "citizenship"),
                                                   ("¿Cuál es su estatus migratorio?", "immigration_status")])
        self.assertEqual(answer["turnout:answers"], {"Shift": "Night"})
        self.assertEqual(Submission.objects.get().answers, {"Shift": "Night"})
        self.assertEqual(Person.objects.get(emails__address="rae@example.org").custom_fields, {})
        self.assert_stored_nowhere(STATUS_VALUE)

    def test_an_attendance_with_a_new_person_leaves_them_out(self) -> None:
        event = make_event(self.local, starts_at=timezone.now() + timedelta(days=3))
        answer = self.ok("POST", f"events/{event.public_id}/attendances", {
            "person": {"email_addresses": ["kim@example.org"], "custom_fields": {"Visa type": "H-2A", "ride": "yes"}}},
            status=201)
        self.assertEqual(refused(answer), [("Visa type", "immigration_document")])
        self.assertEqual(Person.objects.get(emails__address="kim@example.org").custom_fields, {"ride": "yes"})
        self.assert_stored_nowhere("H-2A")

    def test_the_reason_is_in_the_language_the_request_asks_for(self) -> None:
        answer = self.ok("POST", "people", {"person": {"email_addresses": ["es@example.org"],
                                                       "custom_fields": {"Pasaporte": "X1"}}}, status=201,
                         HTTP_ACCEPT_LANGUAGE="es")
        self.assertEqual(answer["turnout:refused_fields"][0]["reason"],
                         "Turnout no guarda pasaportes ni números de pasaporte.")

