"""The one list of fields Turnout refuses to keep: data that would endanger a worker if the
database were seized (immigration status, identity numbers, country of birth).

Every door that stores a field named by someone else (a CSV column, an API custom field, a
form's answer) and every builder of a question (an event's RSVP questions, a form's questions)
asks `dangerous_reason` or `split_dangerous`; nothing else decides. Names are compared after
`normalize`: lower case, accents and punctuation gone, camelCase and letters-then-digits split
into words ("SSN#" is "ssn number", "immigrationStatus" is "immigration status"). A term
matches as whole words, so "ciudad" (city) is not "ciudadano" and "division" is not "visa";
a long term also matches run together ("immigrationstatus", "socialsecuritynumber").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
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
        # Spanish
        "migratorio", "migratoria", "estatus migratorio", "estado migratorio", "situacion migratoria",
        "condicion migratoria", "status migratorio", "inmigracion", "inmigrante", "indocumentado",
        "indocumentada", "indocumentados", "documentos", "papeles", "sin papeles", "residencia",
        "residente permanente", "asilo", "asilado", "refugiado", "refugiada", "accion diferida",
        "naturalizado", "naturalizada",
    )),
    Kind("immigration_document", _("Turnout does not store visas, green cards, work permits or I-9 forms."), (
        "visa", "visas", "visa type", "visa status", "green card", "greencard", "work permit",
        "work authorization", "employment authorization", "ead", "eads", "i 9", "i 94", "i 766", "i 551",
        "permiso de trabajo", "autorizacion de trabajo", "tarjeta verde", "mica", "visado", "tipo de visa",
    )),
    Kind("immigration_number", _("Turnout does not store A-numbers or other immigration case numbers."), (
        "a number", "a num", "alien", "alien number", "alien registration", "alien registration number",
        "uscis", "uscis number", "numero a", "numero de extranjero", "registro de extranjero", "extranjero",
    )),
    Kind("citizenship", _("Turnout does not store citizenship."), (
        "citizen", "citizens", "citizenship", "us citizen", "citizenship status",
        "ciudadano", "ciudadana", "ciudadania",
    )),
    Kind("birthplace", _("Turnout does not store country of birth or nationality."), (
        "country of birth", "birth country", "birthplace", "birth place", "place of birth", "where born",
        "where were you born", "country of origin", "origin country", "nationality", "national origin",
        "pais de nacimiento", "lugar de nacimiento", "pais de origen", "donde nacio", "nacionalidad",
    )),
    Kind("ssn", _("Turnout does not store Social Security numbers."), (
        "ssn", "ssns", "ss number", "ss no", "social security", "social security number", "social sec", "soc sec",
        "social insurance number", "seguro social", "numero de seguro social",
    )),
    Kind("itin", _("Turnout does not store taxpayer identification numbers."), (
        "itin", "itins", "taxpayer", "taxpayer id", "taxpayer identification", "tax id", "tax id number",
    )),
    Kind("passport", _("Turnout does not store passports or passport numbers."), (
        "passport", "passport number", "pasaporte",
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


def normalize(name: str) -> str:
    """A name as words: accents off, camelCase and letters-then-digits split, '#' read as
    'number', every other sign a space, lower case."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _CAMEL.sub(" ", text.replace("#", " number ")).lower()
    text = _NOT_WORD.sub(" ", text)
    return " ".join(_LETTER_DIGIT.sub(" ", text).split())


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


def question_problem(label: str) -> str | None:
    """Why a question worded `label` may not be asked (a form error naming it), or None. Staff
    build questions in both languages, so either wording is checked the same way."""
    reason = dangerous_reason(label)
    if reason is None:
        return None
    return gettext("The question “%(label)s” cannot be asked: %(reason)s") % {"label": label, "reason": reason}


def refuse_question(*labels: str) -> None:
    """Raise DangerousQuestion for the first of these wordings that may not be asked."""
    for label in labels:
        problem = question_problem(label)
        if problem:
            raise DangerousQuestion(problem)
