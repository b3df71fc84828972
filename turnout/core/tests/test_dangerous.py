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
    # Spelled to slip past: letters one by one, invisible characters, Cyrillic and Greek look-alikes
    "S.S.N.": "ssn",
    "S-S-N": "ssn",
    "S S N": "ssn",
    "SSNum": "ssn",
    "SS No.": "ssn",
    "SS\u200bN": "ssn",
    "S\u00adS\u2060N": "ssn",
    "\u0405SN": "ssn",  # a Cyrillic S
    "Soci\u0430l Security": "ssn",  # a Cyrillic a
    "\u0399mmigration status": "immigration_status",  # a Greek I
    "\uff33\uff4f\uff43\uff49\uff41\uff4c \uff33\uff45\uff43\uff55\uff52\uff49\uff54\uff59": "ssn",  # full-width letters
    "U.S. Citizen": "citizenship",
    "V.I.S.A.": "immigration_document",
    # Abbreviations and other phrasings
    "Immig. Status": "immigration_status",
    "Imm status": "immigration_status",
    "immigrant status": "immigration_status",
    "LPR": "immigration_status",
    "Dreamers": "immigration_status",
    "DACAmented": "immigration_status",
    "Deportation": "immigration_status",
    "Ever deported?": "immigration_status",
    "Work auth": "immigration_document",
    "Authorized to work": "immigration_document",
    "Authorized to work in the US?": "immigration_document",
    "Eligible to work?": "immigration_document",
    "Employment eligibility": "immigration_document",
    "Last 4 of social": "ssn",
    "Last four of social": "ssn",
    "noncitizen": "citizenship",
    "Non-citizen": "citizenship",
    # Spanish abbreviations and phrasings
    "Matrícula consular": "foreign_id",
    "ID consular": "foreign_id",
    "CURP": "foreign_id",
    "País natal": "birthplace",
    "Ciudad natal": "birthplace",
    "¿Dónde naciste?": "birthplace",
    "¿En qué país nació?": "birthplace",
    "Estatus legal": "immigration_status",
    "Situación legal": "immigration_status",
    "Migración": "immigration_status",
    "Migrante": "immigration_status",
    "DACAmentado": "immigration_status",
    "Deportación": "immigration_status",
    "NSS": "ssn",
    "Número de seguridad social": "ssn",
    "¿Está autorizado para trabajar?": "immigration_document",
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
    # Near the words added for abbreviations and look-alikes, and still ordinary
    "Social media", "Work phone", "Work email", "Work address", "Authorized contact", "Legal name",
    "Senior citizen", "Status", "Estado", "Ciudad", "Nation", "Visited", "Division", "Presidency",
    "Business number", "Right to work state?", "Immediate supervisor", "Imm. supervisor", "A/B shift",
    "Фамилия", "Σημειώσεις", "Nombre legal", "Estado civil", "Natalia", "Consulate visit?",
    # English "migration" is a move of members or data; Spanish "migración" is the immigration office
    "Migration date", "Data migration",
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
        self.assertEqual(normalize("S.S.N. #"), "ssn number")
        self.assertEqual(normalize("SS\u200bN"), "ssn")
        self.assertEqual(normalize("\u0405SN"), "ssn")
        self.assertEqual(normalize("A-Number"), "a number")

    def test_the_reason_is_a_sentence_in_the_readers_language(self) -> None:
        self.assertEqual(dangerous_reason("SSN"), "Turnout does not store Social Security numbers.")
        self.assertIsNone(dangerous_reason("email"))
        with translation.override("es"):
            self.assertEqual(dangerous_reason("SSN"), "Turnout no guarda números de Seguro Social.")
            self.assertEqual(dangerous_reason("Matrícula consular"), "Turnout no guarda matrículas consulares ni "
                                                                     "números de identidad extranjeros como la CURP.")

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

    def test_a_question_offering_it_as_a_choice_is_refused_by_name(self) -> None:
        """"Status" is an ordinary question until its choices are "US citizen" and "Green card"."""
        with self.assertRaisesMessage(DangerousQuestion, "The question “Status” cannot be asked: "
                                                         "Turnout does not store citizenship."):
            refuse_question("Status", "Estado", choices=["Member", "US citizen", "Green card"])
        with self.assertRaisesMessage(DangerousQuestion, "“Estado”"):
            refuse_question("Estado", choices=["Indocumentado", "Otro"])
        refuse_question("Status", choices=["Member", "Retiree", "Senior citizen"])
