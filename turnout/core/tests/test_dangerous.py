"""The one list of fields Turnout refuses to keep: what it refuses, and what it lets through."""

from __future__ import annotations

from django.test import SimpleTestCase
from django.utils import translation

from turnout.core.dangerous import (
    DangerousQuestion,
    dangerous_kind,
    dangerous_reason,
    normalize,
    refuse_question,
    split_dangerous,
)

REFUSED = {
    # English, as spreadsheets and other systems spell it
    "Immigration Status": "immigration_status",
    "Immigration_Status": "immigration_status",
    "immigrationstatus": "immigration_status",
    "immigrationStatus": "immigration_status",
    "IMMIGRATION-STATUS": "immigration_status",
    "Legal status": "immigration_status",
    "Residency status": "immigration_status",
    "Undocumented": "immigration_status",
    "Documented?": "immigration_status",
    "DACA": "immigration_status",
    "DACA recipient": "immigration_status",
    "TPS": "immigration_status",
    "Asylum": "immigration_status",
    "Refugee status": "immigration_status",
    "Visa": "immigration_document",
    "Visa type": "immigration_document",
    "visa_status": "immigration_document",
    "Green card": "immigration_document",
    "GreenCardNumber": "immigration_document",
    "Work permit": "immigration_document",
    "EAD": "immigration_document",
    "Employment authorization": "immigration_document",
    "I-9": "immigration_document",
    "I9 on file": "immigration_document",
    "A-Number": "immigration_number",
    "a_number": "immigration_number",
    "A#": "immigration_number",
    "Alien number": "immigration_number",
    "Alien Registration Number": "immigration_number",
    "USCIS #": "immigration_number",
    "Citizenship": "citizenship",
    "Citizen": "citizenship",
    "US Citizen?": "citizenship",
    "Country of birth": "birthplace",
    "countryofbirth": "birthplace",
    "birthCountry": "birthplace",
    "Birthplace": "birthplace",
    "Place of birth": "birthplace",
    "Nationality": "birthplace",
    "SSN": "ssn",
    "ssn": "ssn",
    "SSN#": "ssn",
    "SSNs": "ssn",
    "ssn_last4": "ssn",
    "SSN Last 4": "ssn",
    "Social Security": "ssn",
    "Social Security Number": "ssn",
    "socialsecuritynumber": "ssn",
    "Social Sec. No": "ssn",
    "SS#": "ssn",
    "ITIN": "itin",
    "Taxpayer ID": "itin",
    "Tax ID": "itin",
    "Passport": "passport",
    "passportNumber": "passport",
    # Spanish, with and without accents
    "Estatus migratorio": "immigration_status",
    "Estado migratorio": "immigration_status",
    "Situación migratoria": "immigration_status",
    "situacion_migratoria": "immigration_status",
    "¿Cuál es su estatus migratorio?": "immigration_status",
    "Indocumentado": "immigration_status",
    "Indocumentada": "immigration_status",
    "Documentos": "immigration_status",
    "Papeles": "immigration_status",
    "¿Tiene papeles?": "immigration_status",
    "Residencia": "immigration_status",
    "Asilo": "immigration_status",
    "Refugiado": "immigration_status",
    "Ciudadanía": "citizenship",
    "Ciudadano": "citizenship",
    "¿Es usted ciudadano?": "citizenship",
    "Número de seguro social": "ssn",
    "Seguro Social": "ssn",
    "Número A": "immigration_number",
    "Número de extranjero": "immigration_number",
    "País de nacimiento": "birthplace",
    "Lugar de nacimiento": "birthplace",
    "Nacionalidad": "birthplace",
    "Tarjeta verde": "immigration_document",
    "Mica": "immigration_document",
    "Permiso de trabajo": "immigration_document",
    "Pasaporte": "passport",
}

KEPT = [
    "email", "Email Address", "E-mail", "phone", "Phone #", "Mobile", "First Name", "Last Name", "Nombre",
    "Apellido", "Address", "Address 2", "City", "Ciudad", "State", "Estado", "ZIP", "zip5", "Zip Code",
    "Country", "País", "Language", "Idioma", "Member Number", "Member #", "Status", "Membership Status",
    "Tags", "Employer", "Department", "Shift", "Job Title", "Notes", "Visited", "Division", "Nation",
    "National union", "Date of birth", "Birthday", "Fecha de nacimiento", "Legal name", "Business number",
    "Presidency", "Zona residencial", "Lugar de residencia", "Senior citizen?", "Lead organizer",
    "Head count", "Supervisar", "Improvisation", "Work status", "Steward", "T-shirt size?",
    "Dietary needs?", "Heat stress at work?", "Union ID", "Employer ID", "can2_user_city", "Origin",
]


class DangerousFieldNameTests(SimpleTestCase):
    def test_it_refuses_every_name_for_dangerous_data(self) -> None:
        """Each spelling of immigration status, identity numbers and birthplace is refused, as its kind."""
        wrong = {name: dangerous_kind(name) for name, kind in REFUSED.items() if dangerous_kind(name) != kind}
        self.assertEqual(wrong, {})

    def test_it_keeps_ordinary_columns(self) -> None:
        """Names of ordinary columns and questions are not refused, even where a term hides inside them."""
        self.assertEqual([name for name in KEPT if dangerous_kind(name)], [])

    def test_names_are_compared_as_words(self) -> None:
        self.assertEqual(normalize("País_de-Nacimiento"), "pais de nacimiento")
        self.assertEqual(normalize("immigrationStatus"), "immigration status")
        self.assertEqual(normalize("SSN#"), "ssn number")
        self.assertEqual(normalize("ssn_last4"), "ssn last 4")

    def test_the_reason_is_a_sentence_in_the_readers_language(self) -> None:
        self.assertEqual(dangerous_reason("SSN"), "Turnout does not store Social Security numbers.")
        self.assertIsNone(dangerous_reason("email"))
        with translation.override("es"):
            self.assertEqual(dangerous_reason("SSN"), "Turnout no guarda números de Seguro Social.")

    def test_split_keeps_the_rest_in_order(self) -> None:
        kept, refused = split_dangerous({"shift": "nights", "SSN": "123-45-6789", "T-shirt": "L",
                                         "Nacionalidad": "MX"})
        self.assertEqual(kept, {"shift": "nights", "T-shirt": "L"})
        self.assertEqual([(r.name, r.kind) for r in refused], [("SSN", "ssn"), ("Nacionalidad", "birthplace")])

    def test_a_question_asking_for_it_is_refused_by_name_with_the_reason(self) -> None:
        with self.assertRaisesMessage(DangerousQuestion, "The question “Immigration status” cannot be asked: "
                                                         "Turnout does not store immigration status."):
            refuse_question("T-shirt size?", "Immigration status")
        refuse_question("T-shirt size?", "")
