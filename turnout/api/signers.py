"""The person a record helper's body names (POST …/attendances, …/submissions, …/signatures,
…/members): a reference to someone the token may change, or a `person` signed up by the person
signup helper's rules."""

from __future__ import annotations

from typing import Any

from turnout.api.hal import Call
from turnout.api.views import person_reference, signup
from turnout.people.models import Person


def named_person(call: Call, arguments: dict[str, Any] | None = None) -> Person:
    """`arguments`: the `person` already read (`views.signup_arguments`)."""
    if isinstance(call.body.get("person"), dict):
        return signup(call, arguments)[0]
    return person_reference(call, call.body)
