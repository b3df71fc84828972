"""Columns and custom fields that would endanger a worker are never stored: not on the person, not
in the kept upload, not in the error report. The rest of each row or request goes through."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from turnout.core.models import AuditEntry
from turnout.people import services
from turnout.people.importer import Importer, copy_without_refused
from turnout.people.models import ImportJob, Person
from turnout.site.testing import TurnoutTestCase, make_person, start_previewed_import

SSN_VALUE = "123-45-6789"
STATUS_VALUE = "sin papeles"
BIRTH_VALUE = "Oaxaca"
UPLOAD = (
    "First Name,Email,SSN,Shift,Immigration Status,País de nacimiento,ZIP\n"
    f"Ana,ana@example.org,{SSN_VALUE},nights,{STATUS_VALUE},{BIRTH_VALUE},98101\n"
    f"Bob,not-an-email,{SSN_VALUE}0,days,{STATUS_VALUE}2,{BIRTH_VALUE}2,98101\n"
    f"Luis,luis@example.org,\"{SSN_VALUE}1\",\"days,\nweekends\",\"{STATUS_VALUE}3\",{BIRTH_VALUE}3,10027\n"
)
SECRETS = [SSN_VALUE, STATUS_VALUE, BIRTH_VALUE, "SSN", "Immigration Status", "nacimiento"]


def _upload(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


class UploadTests(TurnoutTestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        settings = override_settings(IMPORT_DIR=self.folder)
        settings.enable()
        self.addCleanup(settings.disable)
        self.login(self.organizer)

    def upload(self, content: bytes, name: str = "members.csv") -> ImportJob:
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("people:imports"), {
                "file": _upload(name, content), "group": self.local.pk, "membership": "member"})
        job = ImportJob.objects.get()
        self.assertRedirects(response, job.get_absolute_url())
        with self.captureOnCommitCallbacks(execute=True):
            self.assertRedirects(start_previewed_import(self.client, job), job.get_absolute_url())
        self.run_worker()
        job.refresh_from_db()
        return job

    def assert_nothing_of_them(self, data: bytes) -> None:
        for secret in SECRETS:
            self.assertNotIn(secret.encode(), data)
            self.assertNotIn(secret.encode("cp1252"), data)

    def test_refused_columns_are_left_out_of_everything_the_upload_leaves(self) -> None:
        """SSN, immigration status and birthplace are not in the kept file, the report or the
        people; the rest of each row is imported; the page names each column and why."""
        job = self.upload(UPLOAD.encode())
        self.assertEqual((job.status, job.rows_created, job.rows_failed), ("done", 2, 1))
        # The kept file, and every file the import left in the folder.
        kept = Path(job.file_path).read_bytes()
        self.assertIn(b"ana@example.org", kept)
        self.assertIn(b'"days,\nweekends"', kept)
        for path in self.folder.iterdir():
            self.assert_nothing_of_them(path.read_bytes())
        self.assertEqual(sorted(p.name for p in self.folder.iterdir()),
                         sorted([f"{job.public_id}.csv", f"{job.public_id}.errors.csv"]))
        # The people: the rest of the row is there, the refused columns nowhere.
        ana = Person.objects.get(emails__address="ana@example.org")
        self.assertEqual((ana.given_name, ana.postal_code, ana.custom_fields), ("Ana", "98101", {"Shift": "nights"}))
        luis = Person.objects.get(emails__address="luis@example.org")
        self.assertEqual(luis.custom_fields, {"Shift": "days,\nweekends"})
        # The error report: the bad row, by its number and column, nothing of the refused ones.
        self.assertEqual(job.error_sample, [[3, "Email", "“not-an-email” is not a valid email address.", False]])
        report = b"".join(self.client.get(reverse("people:import_errors", args=[job.public_id])).streaming_content)
        self.assert_nothing_of_them(report)
        # The page says which columns were left out, and why.
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "Column “SSN” was not imported: Turnout does not store Social Security numbers.")
        self.assertContains(page, "Column “Immigration Status” was not imported: Turnout does not store "
                                  "immigration status.")
        self.assertContains(page, "Column “País de nacimiento” was not imported: Turnout does not store "
                                  "country of birth or nationality.")
        self.assertEqual(job.refused_columns, [{"name": "SSN", "kind": "ssn"},
                                               {"name": "Immigration Status", "kind": "immigration_status"},
                                               {"name": "País de nacimiento", "kind": "birthplace"}])
        entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
        self.assertIn("left out the column “SSN” (ssn)", entry.summary)

    def test_the_page_says_it_in_spanish(self) -> None:
        """A staffer who reads Turnout in Spanish reads why in Spanish."""
        job = self.upload(UPLOAD.encode())
        self.organizer.language = "es"
        self.organizer.save(update_fields=["language"])
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "La columna “SSN” no se importó: Turnout no guarda números de Seguro Social.")

    def test_a_large_upload_is_filtered_as_it_arrives(self) -> None:
        """An upload of many chunks, with quoted line breaks across them, loses only the refused column."""
        rows = "".join(f'w{n}@example.org,"line one\nline two {n}",{SSN_VALUE}\n' for n in range(5_000))
        job = self.upload(("email,notes,social security number\n" + rows).encode())
        self.assertEqual((job.rows_created, job.rows_failed), (5_000, 0))
        kept = Path(job.file_path).read_bytes()
        self.assertGreater(len(kept), 200_000)  # several of the request's 64 KB chunks
        self.assertNotIn(SSN_VALUE.encode(), kept)
        self.assertEqual(Person.objects.get(emails__address="w4999@example.org").custom_fields,
                         {"notes": "line one\nline two 4999"})

    def test_other_cells_keep_their_bytes_whatever_the_encoding(self) -> None:
        """A Windows-1252 file stays Windows-1252: accents survive, the refused column does not."""
        job = self.upload("email,last_name,Nacionalidad\nrosa@example.org,Ramírez “Rosi”,Salvadoreña\n"
                          .encode("cp1252"))
        self.assertIn("Ramírez “Rosi”".encode("cp1252"), Path(job.file_path).read_bytes())
        self.assertNotIn("Salvadoreña".encode("cp1252"), Path(job.file_path).read_bytes())
        self.assertEqual(Person.objects.get(emails__address="rosa@example.org").family_name, "Ramírez “Rosi”")

    def test_a_file_without_them_is_kept_as_uploaded(self) -> None:
        body = b"email,first_name\r\nana@example.org,Ana\r\n\"x@example.org\",\"=1+2\"\r\n"
        job = self.upload(body)
        self.assertEqual(Path(job.file_path).read_bytes(), body)
        self.assertEqual(job.refused_columns, [])
        self.assertNotContains(self.client.get(job.get_absolute_url()), "was not imported")

    def test_an_unreadable_row_stops_the_copy_and_the_page_says_where(self) -> None:
        """A row that cannot be read ends the kept file (nothing after it could be filtered); the
        rows before it are imported and the page names the row."""
        body = (f"email,SSN\nbefore@example.org,{SSN_VALUE}\nafter@example.org,\"" + "y" * (5 * 1024 * 1024)).encode()
        job = self.upload(body)
        self.assertEqual((job.status, job.rows_created), ("done", 1))
        self.assertNotIn(b"after@example.org", Path(job.file_path).read_bytes())
        self.assertContains(self.client.get(job.get_absolute_url()), "Stopped at row 3")

    def test_a_refused_upload_form_leaves_no_file_behind(self) -> None:
        """A form error (no group chosen) keeps nothing of the upload."""
        response = self.client.post(reverse("people:imports"), {
            "file": _upload("members.csv", UPLOAD.encode()), "membership": "member"})
        self.assertEqual(response.status_code, 200)
        self.assertFalse(ImportJob.objects.exists())
        self.assertEqual(list(self.folder.iterdir()), [])


class CommandTests(TurnoutTestCase):
    def test_the_command_leaves_them_out_and_says_so(self) -> None:
        """`turnout import_people`: the same columns are left out, the summary names them, and the
        error report beside the file holds nothing of them."""
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / "members.csv"
        path.write_text(UPLOAD + f"Long,long@example.org,{'9' * 20_000},x,y,z,98101\n", encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        call_command("import_people", str(path), group=self.local.slug, membership="member", stdout=out, stderr=err)
        self.assertIn("Column “SSN” was not imported: Turnout does not store Social Security numbers.",
                      out.getvalue())
        self.assertIn("Column “Immigration Status” was not imported", out.getvalue())
        self.assertIn("3 new people", out.getvalue())  # an over-long SSN refuses nothing else in its row
        report = Path(f"{path}.errors.csv").read_bytes()
        self.assertIn(b"not-an-email", err.getvalue().encode() + report)
        for secret in SECRETS:
            self.assertNotIn(secret.encode(), report)
        self.assertEqual(Person.objects.get(emails__address="long@example.org").custom_fields, {"Shift": "x"})


class ServiceTests(TurnoutTestCase):
    def test_signup_stores_no_refused_custom_field_from_any_door(self) -> None:
        """people.services drops them whoever calls it, and clears those an earlier door kept."""
        person = make_person(self.local, email="old@example.org")
        Person.objects.filter(pk=person.pk).update(custom_fields={"SSN": SSN_VALUE, "shift": "days"})
        person, created = services.signup_person(
            actor=self.organizer, group=self.local, fields={}, emails=[services.ContactChoice("old@example.org")],
            custom_fields={"Immigration status": STATUS_VALUE, "t-shirt": "L"})
        self.assertFalse(created)
        person.refresh_from_db()
        self.assertEqual(person.custom_fields, {"shift": "days", "t-shirt": "L"})

    def test_create_update_and_merge_keep_none_of_them(self) -> None:
        made = services.create_person(actor=self.organizer, group=self.local, email="new@example.org",
                                      fields={"given_name": "Ana", "custom_fields": {"ITIN": "9", "shift": "days"}})
        self.assertEqual(made.custom_fields, {"shift": "days"})
        services.update_person(actor=self.organizer, person=made,
                               fields={"custom_fields": {"Pasaporte": "X1", "shift": "nights"}})
        made.refresh_from_db()
        self.assertEqual(made.custom_fields, {"shift": "nights"})
        other = make_person(self.local, email="dupe@example.org")
        Person.objects.filter(pk=other.pk).update(custom_fields={"Citizenship": "no", "steward": "yes"})
        kept = services.merge_people(actor=self.organizer, keep=made, other=Person.objects.get(pk=other.pk))
        self.assertEqual(kept.custom_fields, {"shift": "nights", "steward": "yes"})

    def test_the_importer_and_the_service_agree(self) -> None:
        """The same row through the import and through the sign-up service stores the same fields."""
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
            handle.write(f"email,SSN,shift\nimport@example.org,{SSN_VALUE},nights\n".encode())
        self.addCleanup(Path(handle.name).unlink)
        Importer(group=self.local, actor=self.organizer, source_name="t.csv").run(Path(handle.name))
        signed, _created = services.signup_person(
            actor=self.organizer, group=self.local, fields={}, emails=[services.ContactChoice("service@example.org")],
            custom_fields={"SSN": SSN_VALUE, "shift": "nights"})
        imported = Person.objects.get(emails__address="import@example.org")
        self.assertEqual(imported.custom_fields, signed.custom_fields)
        self.assertEqual(imported.custom_fields, {"shift": "nights"})

    def test_copying_a_file_reports_each_refused_column_once(self) -> None:
        out = io.BytesIO()
        copy = copy_without_refused(io.BytesIO(b"SSN,email,ssn_last4\n1,a@example.org,2\n"), out)
        self.assertEqual([(r.name, r.kind) for r in copy.refused], [("SSN", "ssn"), ("ssn_last4", "ssn")])
        self.assertEqual(out.getvalue(), b"email\r\na@example.org\r\n")
