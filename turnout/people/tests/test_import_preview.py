"""The import as staff go through it: upload, a preview of how each column will be read (and a
say in it), the import, the rows with problems as they came to fix and import again, and every
imported column back out in the export."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from turnout.accounts.services import create_api_token
from turnout.people.models import ConsentEvent, ImportJob, Person
from turnout.site.testing import TurnoutTestCase, audit_summaries, start_previewed_import

MEMBERS = (
    "First Name,E-mail,Mobile no,Notes,Employer,ZIP\n"
    "Ana,ana@example.org,(206) 555-0142,nights,Acme,98101\n"
    "Bob,not-an-email,,days,Acme,98101\n"
    "Cy,cy@example.org,12345,swing,Acme,98101\n"
    "Dee,dee@example.org,,=weekends,Acme,00000\n"
)


def _upload(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


class ImportPreviewTests(TurnoutTestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        settings = override_settings(IMPORT_DIR=self.folder)
        settings.enable()
        self.addCleanup(settings.disable)
        self.login(self.organizer)

    def upload(self, content: bytes, name: str = "members.csv") -> ImportJob:
        """The upload form, as staff send it: the file waits in its preview, nothing imported."""
        response = self.client.post(reverse("people:imports"), {
            "file": _upload(name, content), "group": self.local.pk, "membership": "member"})
        job = ImportJob.objects.latest("created_at")
        self.assertRedirects(response, job.get_absolute_url(), fetch_redirect_response=False)
        return job

    def start(self, job: ImportJob, **choices: str) -> ImportJob:
        with self.captureOnCommitCallbacks(execute=True):
            response = start_previewed_import(self.client, job, **choices)
        self.assertRedirects(response, job.get_absolute_url())
        self.run_worker()
        job.refresh_from_db()
        return job

    def report(self, job: ImportJob) -> bytes:
        response = self.client.get(reverse("people:import_errors", args=[job.public_id]))
        self.assertEqual(response.status_code, 200)
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]

    # -- the preview ---------------------------------------------------------------

    def test_the_preview_shows_each_column_its_reading_and_first_values_before_anything_is_written(self) -> None:
        job = self.upload(("SSN," + MEMBERS.replace("\n", "\n123-45-6789,", 4)).encode())
        self.assertEqual(job.status, "preview")
        self.run_worker()  # nothing is queued until staff start it
        self.assertFalse(Person.objects.filter(given_name__in=["Ana", "Cy"]).exists())
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "Import with these columns")
        rows = {column.header: (detected, read_as.value(), column.samples)
                for column, detected, read_as, _name in page.context["form"].rows()}
        self.assertEqual(rows["E-mail"], ("Email", "email", ["ana@example.org", "not-an-email", "cy@example.org",
                                                             "dee@example.org"]))
        self.assertEqual(rows["First Name"][:2], ("First name", "given_name"))
        self.assertEqual(rows["Notes"][:2], ("custom field “Notes”", "custom"))
        self.assertEqual(rows["Notes"][2], ["nights", "days", "swing", "=weekends"])
        self.assertEqual(rows["Mobile no"][:2], ("custom field “Mobile no”", "custom"))
        self.assertNotIn("SSN", rows)
        self.assertContains(page, "Column “SSN” was not imported: Turnout does not store Social Security numbers.")
        self.assertNotContains(page, "123-45-6789")
        self.assertIn(f"Read the column preview of {job.original_name}", audit_summaries(job))

    def test_a_big_file_is_previewed_from_its_first_rows(self) -> None:
        """Only the head is read: its first rows, and its encoding from its first bytes (a Windows
        byte deep in the file would make the import read the whole file as Windows-1252)."""
        lines = "".join(f"Person{n},p{n}@example.org\n" for n in range(60_000))
        content = "name,email\nJosé,jose@example.org\n".encode() + lines.encode() + "Zoë,z@example.org\n".encode("cp1252")
        job = self.upload(content)
        page = self.client.get(job.get_absolute_url())
        samples = {column.header: column.samples for column in page.context["form"].previews}
        self.assertEqual(samples["name"], ["José", "Person0", "Person1", "Person2", "Person3"])

    def test_staff_choose_a_field_a_custom_field_or_to_skip_and_the_import_reads_it_so(self) -> None:
        job = self.upload(MEMBERS.encode())
        # Columns: First Name 0, E-mail 1, Mobile no 2, Notes 3, Employer 4, ZIP 5.
        job = self.start(job, read_as_2="phone", name_3="Shift", name_4="", read_as_5="")
        self.assertEqual(job.status, "done")
        ana = Person.objects.get(emails__address="ana@example.org")
        self.assertEqual(ana.phones.get().number, "+12065550142")
        # A custom field left unnamed is named by its header; the skipped ZIP is not read.
        self.assertEqual((ana.custom_fields, ana.postal_code), ({"Employer": "Acme", "Shift": "nights"}, ""))
        self.assertEqual(job.columns, ["given_name", "email", "phone", "custom:Shift", "custom:Employer", ""])
        self.assertEqual(job.rows_created, 3)  # Dee too: her unknown ZIP was skipped
        self.assertTrue(any("its columns read as" in s for s in audit_summaries(job)))

    def test_bad_choices_get_form_errors_and_keep_what_was_chosen(self) -> None:
        job = self.upload(MEMBERS.encode())
        url = reverse("people:import_columns", args=[job.public_id])
        base = {"read_as_0": "given_name", "read_as_1": "email", "read_as_2": "phone", "read_as_3": "custom",
                "name_3": "Shift", "read_as_4": "", "read_as_5": "postal_code"}
        twice = self.client.post(url, {**base, "read_as_2": "email"})
        self.assertEqual(twice.status_code, 400)
        self.assertContains(twice, "“E-mail” is already read as Email; choose one column for it.", status_code=400)
        self.assertEqual(twice.context["form"]["read_as_2"].value(), "email")
        self.assertContains(twice, 'value="Shift"', status_code=400)

        dangerous = self.client.post(url, {**base, "name_3": "Immigration status"})
        self.assertContains(dangerous, "“Immigration status” cannot be a custom field: Turnout does not store "
                                       "immigration status.", status_code=400)
        self.assertContains(dangerous, 'value="Immigration status"', status_code=400)

        for choice, message in [
            ({"read_as_1": "", "read_as_2": ""}, "Read one column as Email or as Phone"),
            ({"read_as_3": "custom", "name_3": "Email"}, "is what Turnout calls one of its own fields"),
            ({"read_as_4": "custom", "name_4": "shift"}, "Another column is already the custom field “shift”."),
            ({"read_as_0": "favourite_colour"}, "Select a valid choice."),
        ]:
            response = self.client.post(url, {**base, **choice})
            self.assertContains(response, message, status_code=400)
        job.refresh_from_db()
        self.assertEqual(job.status, "preview")
        self.assertFalse(Person.objects.filter(given_name="Ana").exists())

    def test_a_custom_field_named_for_what_turnout_does_not_keep_is_refused_whatever_the_door(self) -> None:
        """Past the form, the service still refuses the column: nothing of it is stored or reported."""
        from turnout.people.imports import choose_columns

        job = self.upload(MEMBERS.encode())
        with self.captureOnCommitCallbacks(execute=True):
            choose_columns(actor=self.organizer, job=job, columns=[
                "given_name", "email", "phone", "custom:Immigration status", "", "postal_code"])
        self.run_worker()
        job.refresh_from_db()
        self.assertEqual(job.refused_columns, [{"name": "Immigration status", "kind": "immigration_status"}])
        self.assertEqual(Person.objects.get(emails__address="ana@example.org").custom_fields, {})
        header = _rows(self.report(job))[0]
        self.assertNotIn("Notes", header)
        self.assertNotIn(b"days", self.report(job))

    def test_cancelling_deletes_the_upload_and_imports_nothing(self) -> None:
        job = self.upload(MEMBERS.encode())
        kept = Path(job.file_path)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("people:import_columns", args=[job.public_id]), {"cancel": "1"})
        self.assertRedirects(response, reverse("people:imports"))
        self.assertFalse(kept.exists())
        job.refresh_from_db()
        self.assertEqual((job.status, job.file_path), ("failed", ""))
        self.assertFalse(Person.objects.filter(given_name="Ana").exists())

    def test_another_groups_staff_cannot_see_or_start_a_preview(self) -> None:
        job = self.upload(MEMBERS.encode())
        self.login(self.outsider)
        self.assertEqual(self.client.get(job.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.post(reverse("people:import_columns", args=[job.public_id]), {}).status_code, 404)

    # -- rows with problems ----------------------------------------------------------

    def test_a_bad_contact_value_is_left_out_with_a_warning_when_the_row_has_another(self) -> None:
        job = self.start(self.upload(MEMBERS.encode()), read_as_2="phone")
        # Ana and Cy (without the phone 12345) in; Bob has no usable contact; Dee's ZIP is unknown.
        self.assertEqual((job.rows_created, job.rows_failed, job.rows_warned), (2, 2, 1))
        cy = Person.objects.get(emails__address="cy@example.org")
        self.assertEqual(cy.phones.count(), 0)
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, '<dd id="rows-warned">1</dd>', html=True)
        self.assertContains(page, "imported without this value")
        self.assertContains(page, "“12345” is not")
        self.assertEqual([entry[:2] + entry[3:] for entry in job.error_sample],
                         [[3, "E-mail", False], [4, "Mobile no", True], [5, "ZIP", False]])

    def test_the_report_holds_the_rows_as_they_came_and_once_fixed_imports_again(self) -> None:
        job = self.start(self.upload(MEMBERS.encode()), read_as_2="phone")
        report = self.report(job)
        rows = _rows(report)
        original = _rows(MEMBERS.encode())
        self.assertEqual(rows[0], ["import problem", *original[0]])
        # Bob, Cy (kept without the phone) and Dee, value for value (a formula-like value keeps
        # the quote every Turnout CSV puts before it, which the importer takes off again).
        self.assertEqual([row[1:] for row in rows[1:]], [original[2], original[3], [*original[4][:3], "'=weekends",
                                                                                  *original[4][4:]]])
        self.assertIn("Row 3: not imported (“E-mail”)", rows[1][0])
        self.assertIn("Row 4: imported without the value in “Mobile no”", rows[2][0])
        self.assertIn("“00000” is not a known US ZIP code", rows[3][0])

        fixed = report.replace(b"not-an-email", b"bob@example.org").replace(b"12345", b"(206) 555-0177")
        fixed = fixed.replace(b'"00000"', b'"98101"')
        again = self.start(self.upload(fixed, name="fixed.csv"), read_as_3="phone")
        self.assertEqual((again.rows_seen, again.rows_created, again.rows_updated, again.rows_failed,
                          again.rows_warned), (3, 2, 1, 0, 0))
        self.assertEqual(Person.objects.get(emails__address="bob@example.org").given_name, "Bob")
        self.assertEqual(Person.objects.get(emails__address="cy@example.org").phones.get().number, "+12065550177")
        dee = Person.objects.get(emails__address="dee@example.org")
        self.assertEqual((dee.postal_code, dee.custom_fields), ("98101", {"Notes": "=weekends", "Employer": "Acme"}))
        self.assertNotIn("import problem", json.dumps(dee.custom_fields))

    # -- the export ------------------------------------------------------------------

    def test_downloading_the_report_of_member_rows_is_in_the_audit_log(self) -> None:
        job = self.start(self.upload(MEMBERS.encode()), read_as_2="phone")
        self.assertFalse([s for s in audit_summaries(job) if "report" in s])
        self.report(job)
        self.assertIn("Downloaded the report of rows with problems from members.csv", audit_summaries(job))

    def test_every_imported_column_comes_back_out_in_the_export(self) -> None:
        job = self.start(self.upload(MEMBERS.encode()))
        self.assertEqual(job.rows_created, 2)  # Ana, and Cy with "Mobile no" as a custom field
        response = self.client.get(reverse("people:export"), {"group": self.local.slug})
        exported = {row["email"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
        self.assertEqual((exported["ana@example.org"]["Notes"], exported["ana@example.org"]["Mobile no"]),
                         ("nights", "(206) 555-0142"))
        self.assertEqual(exported["cy@example.org"]["Employer"], "Acme")
        self.assertEqual(exported["maria@example.org"]["Notes"], "")
        # The command-line export is the same writer.
        out = io.StringIO()
        call_command("export_people", group=self.local.slug, stdout=out, stderr=io.StringIO())
        header = next(csv.reader(io.StringIO(out.getvalue())))
        self.assertEqual(header[-3:], ["Employer", "Mobile no", "Notes"])
        # And the API's people carry them.
        _token, key = create_api_token(actor=None, user=self.organizer, group=self.local, name="sync")
        cy = Person.objects.get(emails__address="cy@example.org")
        response = self.client.get(f"/api/v2/people/{cy.public_id}", headers={"OSDI-API-Token": key})
        self.assertEqual(response.json()["custom_fields"], {"Mobile no": "12345", "Notes": "swing", "Employer": "Acme"})

    def test_an_export_imports_back_with_its_custom_fields(self) -> None:
        self.start(self.upload(MEMBERS.encode()))
        exported = self.client.get(reverse("people:export"), {"group": self.local.slug}).content
        Person.objects.filter(emails__address="ana@example.org").update(custom_fields={})
        self.start(self.upload(exported, name="export.csv"))
        self.assertEqual(Person.objects.get(emails__address="ana@example.org").custom_fields,
                         {"Mobile no": "(206) 555-0142", "Employer": "Acme", "Notes": "nights"})


class TwoDoorsTests(TurnoutTestCase):
    """The console (upload, preview, import) and `turnout import_people` are one importer: the same
    file gives the same people, the same consent ledger and the same report."""

    def people_and_ledger(self) -> tuple[list[Any], list[Any]]:
        people = sorted((p.given_name, sorted(p.emails.values_list("address", flat=True)),
                         sorted(p.phones.values_list("number", "sms_status")), p.custom_fields)
                        for p in Person.objects.filter(memberships__group=self.local).exclude(pk=self.member.pk))
        ledger = sorted(ConsentEvent.objects.filter(person__memberships__group=self.local, source="import")
                        .values_list("channel", "address", "action"))
        return people, ledger

    def test_the_console_and_the_command_import_alike(self) -> None:
        content = (b"email,phone,first_name,sms opt-in,Shift\n"
                   b"ana@example.org,(206) 555-0142,Ana,yes,nights\n"
                   b"not-an-email,,Bob,,days\n"
                   b"cy@example.org,12345,Cy,yes,swing\n"
                   b"dee@example.org,(206) 555-0199,Dee,no,=weekends\n")
        with tempfile.TemporaryDirectory() as folder, self.settings(IMPORT_DIR=folder):
            path = Path(folder) / "members.csv"
            path.write_bytes(content)
            call_command("import_people", str(path), group=self.local.slug, membership="member",
                         stdout=io.StringIO(), stderr=io.StringIO())
            by_command = self.people_and_ledger()
            command_report = _rows(Path(f"{path}.errors.csv").read_bytes())
            Person.objects.filter(memberships__group=self.local).exclude(pk=self.member.pk).delete()
            ConsentEvent.objects.all().delete()

            self.login(self.organizer)
            self.client.post(reverse("people:imports"), {"file": _upload("members.csv", content),
                                                         "group": self.local.pk, "membership": "member"})
            job = ImportJob.objects.get()
            with self.captureOnCommitCallbacks(execute=True):
                start_previewed_import(self.client, job)
            self.run_worker()
            job.refresh_from_db()
            self.assertEqual(self.people_and_ledger(), by_command)
            console_report = _rows(Path(job.error_report_path).read_bytes())
        self.assertEqual(console_report, command_report)
        self.assertTrue(by_command[0] and by_command[1])
