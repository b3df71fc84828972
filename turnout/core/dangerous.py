"""The one list of fields Turnout refuses to keep: data that would endanger a worker if the
database were seized (immigration status, identity numbers, country of birth).

Every door that stores a field named by someone else (a CSV column, an API custom field, a
form's answer) and every builder of a question (an event's RSVP questions, a form's questions)
asks `dangerous_reason` or `split_dangerous`; nothing else decides. Names are compared after
`normalize`: lower case, accents and punctuation gone, camelCase and letters-then-digits split
into words ("SSN#" is "ssn number", "immigrationStatus" is "immigration status"). A term
matches as whole words, so "ciudad" (city) is not "ciudadano" and "division" is not "visa";
a long term also matches run together ("immigrationstatus", "socialsecuritynumber").
Spellings made to slip past are folded first: invisible characters (zero-width spaces, soft
hyphens: Unicode format characters) are dropped, Cyrillic and Greek letters that look Latin are
read as the Latin ones ("SSN" with a Cyrillic S), and letters spelled one by one are joined ("S.S.N.", "S-S-N").
A question is checked by its wording and by each of its choices ("Undocumented", "US citizen").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    """A kind of dangerous data: a stable code for machines, why it is refused, and its names."""

    code: str
    reason: Promise
    terms: tuple[str, ...]


# Terms are written normalized (lower case, no accents, words separated by one space).
KINDS: tuple[Kind, ...] = (
    Kind("immigration_status", _("Turnout does not store immigration status."), (
        "immigration", "immigration status", "immigrant", "legal status", "residency status", "residency",
        "resident status", "permanent resident", "residence status", "undocumented", "documented",
        "documentation status", "daca", "deferred action", "dreamer", "tps", "temporary protected status",
        "asylum", "asylee", "asylum status", "refugee", "refugee status", "naturalized", "naturalization",
        "immig", "immig status", "imm status", "immigr", "immigrant status", "lawful permanent resident", "lpr",
        "dreamers", "dacamented", "daca status", "deportation", "deported", "deportable", "removal proceedings",
        # Spanish
        "migratorio", "migratoria", "estatus migratorio", "estado migratorio", "situacion migratoria",
        "condicion migratoria", "status migratorio", "inmigracion", "inmigrante", "indocumentado",
        "indocumentada", "indocumentados", "documentos", "papeles", "sin papeles", "residencia",
        "residente permanente", "asilo", "asilado", "refugiado", "refugiada", "accion diferida",
        "naturalizado", "naturalizada", "estatus legal", "situacion legal", "estado legal", "condicion legal",
        "status legal", "migracion", "migrante", "migrantes", "dacamentado", "dacamentada", "sin estatus",
        "deportacion", "deportado", "deportada",
    )),
    Kind("immigration_document", _("Turnout does not store visas, green cards, work permits or I-9 forms."), (
        "visa", "visas", "visa type", "visa status", "green card", "greencard", "work permit",
        "work authorization", "employment authorization", "ead", "eads", "i 9", "i 94", "i 766", "i 551",
        "work auth", "work authorized", "authorized to work", "authorization to work", "eligible to work",
        "work eligibility", "employment eligibility", "employment auth",
        "permiso de trabajo", "autorizacion de trabajo", "tarjeta verde", "mica", "visado", "tipo de visa",
        "permiso para trabajar", "autorizado para trabajar", "autorizada para trabajar",
    )),
    Kind("immigration_number", _("Turnout does not store A-numbers or other immigration case numbers."), (
        "a number", "a num", "alien", "alien number", "alien registration", "alien registration number",
        "uscis", "uscis number", "numero a", "numero de extranjero", "registro de extranjero", "extranjero",
    )),
    Kind("citizenship", _("Turnout does not store citizenship."), (
        "citizen", "citizens", "citizenship", "us citizen", "citizenship status", "noncitizen", "noncitizens",
        "ciudadano", "ciudadana", "ciudadania",
    )),
    Kind("birthplace", _("Turnout does not store country of birth or nationality."), (
        "country of birth", "birth country", "birthplace", "birth place", "place of birth", "where born",
        "where were you born", "country of origin", "origin country", "nationality", "national origin",
        "pais de nacimiento", "lugar de nacimiento", "pais de origen", "donde nacio", "nacionalidad",
        "pais natal", "tierra natal", "ciudad natal", "donde naciste", "donde nacieron", "en que pais nacio",
        "en que pais naciste",
    )),
    Kind("ssn", _("Turnout does not store Social Security numbers."), (
        "ssn", "ssns", "ss number", "ss no", "social security", "social security number", "social sec", "soc sec",
        "ss num", "ss nbr", "ssn no", "ssn num", "social security no", "last 4 of social", "last four of social",
        "last 4 social", "last four social", "last 4 of ss", "social insurance number",
        "seguro social", "numero de seguro social", "nss", "seguridad social", "numero de seguridad social",
    )),
    Kind("itin", _("Turnout does not store taxpayer identification numbers."), (
        "itin", "itins", "taxpayer", "taxpayer id", "taxpayer identification", "tax id", "tax id number",
    )),
    Kind("passport", _("Turnout does not store passports or passport numbers."), (
        "passport", "passport number", "pasaporte",
    )),
    Kind("foreign_id", _("Turnout does not store consular IDs or foreign identity numbers such as a CURP."), (
        "matricula consular", "consular id", "consular card", "id consular", "tarjeta consular", "curp",
        "clave unica de registro de poblacion",
    )),
)

# Terms this long (without spaces) are also found run together inside a longer word; shorter ones
# ("ssn", "visa", "tps") only as words of their own, or "supervisar" would hold "visa".
JOINED_LENGTH = 8
# Terms inside longer, harmless words: "residencial" (a home zone), "presidency", "business number".
WHOLE_WORDS_ONLY = frozenset({"residencia", "residency", "ss number"})
# Phrases that hold a term and mean something else: an address, an age group.
HARMLESS = ("senior citizen", "senior citizens", "lugar de residencia", "direccion de residencia")

_BY_CODE = {kind.code: kind for kind in KINDS}
# Every term by its words, and the long ones run together, each with its kind's code.
_WORDS: dict[str, str] = {term: kind.code for kind in KINDS for term in kind.terms}
_JOINED: list[tuple[str, str]] = [
    (term.replace(" ", ""), code) for term, code in _WORDS.items()
    if len(term.replace(" ", "")) >= JOINED_LENGTH and term not in WHOLE_WORDS_ONLY
]
_LONGEST = max(term.count(" ") + 1 for term in _WORDS)

# "immigrationStatus", "SSNLast4"; an acronym's plural stays whole ("SSNs", "EADs").
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z](?!s\b)[a-z])")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Letters spelled one by one, "s s n" once the dots are gone: read as one word.
_SPELLED = re.compile(r"\b[a-z](?: [a-z]\b)+")
# Cyrillic and Greek letters drawn like Latin ones, read as those (a Cyrillic S in "SSN"); NFKD does
# not fold them, and a name written to slip past would use them.
_LOOK_ALIKES = str.maketrans(
    "АВЕЅІЈКМНОРСТХУаеіјорсѕхуԁһԛԝүΑΒΕΖΗΙΚΜΝΟΡΤΥΧαεικνορτυχ",
    "ABESIJKMHOPCTXYaeijopcsxydhqwyABEZHIKMNOPTYXaeikvoptux",
)


def normalize(name: str) -> str:
    """A name as words: invisible characters dropped, look-alike letters read as Latin, accents
    off, camelCase and letters-then-digits split, '#' read as 'number', every other sign a space,
    lower case, letters spelled one by one joined."""
    text = unicodedata.normalize("NFKD", name).translate(_LOOK_ALIKES)
    text = "".join(c for c in text if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    text = _CAMEL.sub(" ", text.replace("#", " number ")).lower()
    text = " ".join(_LETTER_DIGIT.sub(" ", _NOT_WORD.sub(" ", text)).split())
    return _SPELLED.sub(lambda spelled: spelled.group().replace(" ", ""), text)


_HARMLESS = re.compile(r"\b(?:" + "|".join(HARMLESS) + r")\b")


@lru_cache(maxsize=4096)
def dangerous_kind(name: str) -> str | None:
    """The code of the kind of dangerous data `name` names (see KINDS), or None."""
    words = _HARMLESS.sub(" ", normalize(name)).split()
    for size in range(1, min(_LONGEST, len(words)) + 1):
        for start in range(len(words) - size + 1):
            code = _WORDS.get(" ".join(words[start:start + size]))
            if code:
                return code
    compact = "".join(words)
    for term, code in _JOINED:
        if term in compact:
            return code
    return None


def dangerous_reason(name: str) -> str | None:
    """Why a field of this name is not kept, in the reader's language; None when it may be."""
    code = dangerous_kind(name)
    return None if code is None else reason_for(code)


def reason_for(code: str) -> str:
    """The reason of a kind, by its code (codes are stored with an import: keep them stable)."""
    kind = _BY_CODE.get(code)
    return str(kind.reason if kind else _("Turnout does not store data that would endanger a worker."))


@dataclass(frozen=True)
class Refused:
    """A field that was not kept: its name as given, and the kind of data it would have held."""

    name: str
    kind: str

    @property
    def reason(self) -> str:
        return reason_for(self.kind)

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "kind": self.kind, "reason": self.reason}


def split_dangerous[V](values: Mapping[str, V]) -> tuple[dict[str, V], list[Refused]]:
    """(the fields that may be kept, those that may not), in the order given."""
    kept: dict[str, V] = {}
    refused: list[Refused] = []
    for name, value in values.items():
        code = dangerous_kind(name)
        if code is None:
            kept[name] = value
        else:
            refused.append(Refused(name, code))
    return kept, refused


def without_dangerous[V](values: Mapping[str, V]) -> dict[str, V]:
    """`values` less the fields that may not be kept."""
    return split_dangerous(values)[0]


class DangerousQuestion(ValueError):
    """A question whose wording asks for what Turnout does not keep; the message names it and says why."""


def question_kind(label: str, choices: Iterable[str] = ()) -> str | None:
    """The kind of dangerous data a question asks for, by its wording or by any of its choices
    (a "Status" question whose choices are "Citizen" and "Undocumented" asks for it too)."""
    for text in (label, *choices):
        code = dangerous_kind(text) if text else None
        if code:
            return code
    return None


def question_problem(label: str, choices: Iterable[str] = ()) -> str | None:
    """Why a question worded `label`, with these choices, may not be asked (a form error naming
    it), or None. Staff build questions in both languages, so either wording is checked the same way."""
    code = question_kind(label, choices)
    if code is None:
        return None
    return gettext("The question “%(label)s” cannot be asked: %(reason)s") % {"label": label,
                                                                               "reason": reason_for(code)}


def refuse_question(*labels: str, choices: Iterable[str] = ()) -> None:
    """Raise DangerousQuestion for the first of these wordings that may not be asked, or, when
    one of the choices may not be offered, naming the first wording."""
    choices = list(choices)
    for label in labels:
        problem = question_problem(label)
        if problem:
            raise DangerousQuestion(problem)
    problem = question_problem(labels[0] if labels else "", choices)
    if problem:
        raise DangerousQuestion(problem)
