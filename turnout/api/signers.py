"""The person a record helper's body names (POST …/attendances, …/submissions, …/signatures,
…/members): a reference to someone the token may change, or a `person` signed up by the person
signup helper's rules."""

from __future__ import annotations

from turnout.api.hal import Call
from turnout.api.views import person_reference, signup
from turnout.people.models import Person


def named_person(call: Call) -> Person:
    if isinstance(call.body.get("person"), dict):
        return signup(call)[0]
    return person_reference(call, call.body)
