"""The people a token may see or change, for every resource that reads or writes people: one
place, so that each resource answers 404 for another group's person in the same way."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from turnout.accounts.models import Role
from turnout.api.hal import ApiError, Call, get_by_public_id
from turnout.people.models import Membership, Person


def visible_people(call: Call, write: bool = False) -> QuerySet[Person]:
    """The people the token's user sees (organizes, to change them)."""
    return Person.objects.visible_to(call.user, Role.ORGANIZER if write else Role.VIEWER)


def prefetch_contacts(people: list[Person]) -> None:
    prefetch_related_objects(people, "emails", "phones")


def prefetch_people(call: Call, people: list[Person]) -> None:
    """Contacts, and the memberships in the groups the token's user sees (member or supporter: a
    group's count is a figure it reports), for serializing people."""
    prefetch_contacts(people)
    seen = Membership.objects.visible_to(call.user).select_related("group")
    prefetch_related_objects(people, Prefetch("memberships", queryset=seen, to_attr="seen_memberships"))


def person_for_answer(call: Call, pk: int) -> Person:
    """A person just written, read back for the answer."""
    person = Person.objects.get(pk=pk)
    prefetch_people(call, [person])
    return person


def visible_person(call: Call, person_id: str, write: bool = False) -> Person:
    """One person by id: 404 when the token cannot see them, 403 when it may only read them."""
    person: Person = get_by_public_id(visible_people(call), person_id, "person")
    prefetch_people(call, [person])
    if write and not visible_people(call, write=True).filter(pk=person.pk).exists():
        raise ApiError(403, "This token's user may read this person but not change them.")
    return person
