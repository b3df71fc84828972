"""The public sign-up: what a person types on any public page (an RSVP, a form, a petition, a
pledge, a network join, a request to organize, a union card, a host's walk-in) and how it becomes
a record of the page's group, through the one rule every door calls (`services.signup_person`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from turnout.accounts.models import Group, User
from turnout.core import audit, geo
from turnout.core.models import AuditEntry
from turnout.people.contact import normalize_email, normalize_phone
from turnout.people.models import ConsentEvent, Membership, Person
from turnout.people.services import ContactChoice, in_reach, record_consent, signup_person
from turnout.people.signals import people_changed


@dataclass
class PublicSignup:
    """What a person gave on a public page, as typed (contacts already normalized)."""

    given_name: str
    family_name: str = ""
    email: str = ""
    phone: str = ""
    sms_consent_text: str = ""  # the exact text of the box they ticked; empty: no consent to texts
    postal_code: str = ""
    language: str = "en"
    answers: dict[str, Any] | None = None  # the page's own questions, by label
    source: str = "form"  # the page's kind ("form", "petition", …); "host": a host typed it at the door


def sign_up(group: Group, signup: PublicSignup, email: str, phone: str, detail: str) -> Person:
    """The person a public page names, found among the group's own records or added to it, as a
    supporter; text consent recorded with the exact words they agreed to. A host's walk-in is the
    host's word, not the person's own act: it cannot restore a consent they withdrew."""
    source = ConsentEvent.Source.STAFF if signup.source == "host" else ConsentEvent.Source.FORM
    fields = {"given_name": signup.given_name, "family_name": signup.family_name,
              "postal_code": signup.postal_code, "language": signup.language}
    person, _created = signup_person(
        actor=None, group=group, fields=fields,
        emails=[ContactChoice(email)] if email else [],
        phones=[ContactChoice(phone, kind="mobile")] if phone else [],
        source=source, source_detail=detail[:200], membership=Membership.Status.SUPPORTER)
    if phone and signup.sms_consent_text:
        # The consent is for the number: where another of the group's records holds it (and so
        # kept it), that record is the one texted.
        holder = person if person.phones.filter(number=phone).exists() else (
            in_reach(group).filter(phones__number=phone).first())
        if holder is not None:
            record_consent(person=holder, channel="sms", address=phone, action=ConsentEvent.Action.OPT_IN,
                           source=source, source_detail=detail[:200], text=signup.sms_consent_text)
    return person


def contacts(email: str, phone: str) -> tuple[str, str]:
    """The email and mobile number as stored ("" for none); InvalidContact says what is wrong."""
    return (normalize_email(email) if email else "", normalize_phone(phone)[0] if phone else "")


def sign_up_many(group: Group, signups: list[tuple[PublicSignup, str, str]], detail: str, *,
                 actor: User | None = None, source: str = ConsentEvent.Source.FORM) -> dict[int, Person]:
    """Many public sign-ups to one group at once, each (signup, email, phone) as `sign_up` takes it:
    a worker settling a crowd's forms, or the API's record helpers answering requests that came
    together (`source` API and the token's staffer as `actor`, as `signup_person` records the API's
    sign-ups). The people no record of the group's reach names yet are
    added in a few set-based statements (the importer's batch, `Importer.sign_up_new`, under the
    form's rules), each with the audit entry and the signal `signup_person` gives a new person.
    {index in `signups`: the new person, as stored}; the others (someone on file, a contact an earlier signup
    here names, an unknown ZIP, a host's walk-in) are left to `sign_up`, one by one, whose rules
    decide what a form may change on a record. Runs in the caller's transaction."""
    from turnout.people.importer import Importer, Row  # the importer imports this app's services

    rows: list[Row] = []
    for index, (signup, email, phone) in enumerate(signups):
        place = geo.lookup_zip(signup.postal_code) if signup.postal_code.strip() else None
        if signup.source == "host" or (signup.postal_code.strip() and place is None):
            continue
        fields = {"given_name": signup.given_name, "family_name": signup.family_name,
                  "language": signup.language or "en"}
        consent = signup.sms_consent_text if phone else ""
        rows.append(Row(index, email, phone, "mobile", fields, place, None, "", [], None,
                        True if consent else None, {}, consent))
    importer = Importer(group=group, actor=actor, source_name=detail[:200], membership=Membership.Status.SUPPORTER)
    people = importer.sign_up_new(rows, source=source)
    summary = f"Signed up through the {ConsentEvent.Source(source).value}" + (f" ({detail[:200]})" if detail else "")
    audit.record_many(({"actor": actor, "action": AuditEntry.Action.CREATE, "target": person, "summary": summary,
                        "group": group} for person in people.values()), new_subjects=True)
    people_changed.send(sender=Person, people=list(people.values()), created=True)
    return people
