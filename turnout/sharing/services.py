"""Share links and credit: a person's own code, and crediting its owner when someone acts through it."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from turnout.people.models import Person
from turnout.sharing.models import Referral, ShareCode


def referral_code(request: Any) -> str:
    """The share code a page was opened with (`?ref=`), or sent back by its form."""
    return str(request.POST.get("ref") or request.GET.get("ref") or "")[:16]


def share_code(person: Person) -> str:
    """The person's own code for share links (made the first time it is asked for)."""
    code, _created = ShareCode.objects.get_or_create(person=person)
    return code.code


def claim_code(*, person: Person, code: str) -> None:
    """Make `code` the person's share code, unless they have one: a form answered before its
    person existed showed them a link with a code kept for them (`sharing.models.new_share_code`)."""
    if code and not ShareCode.objects.filter(person=person).exists() and not ShareCode.objects.filter(code=code).exists():
        ShareCode.objects.create(person=person, code=code[:16])


def credit(*, code: str, person: Person, kind: str, action_id: int) -> Referral | None:
    """Credit the owner of `code` with bringing `person` to this action, once; nobody brings themselves."""
    if not code:
        return None
    referrer_id = ShareCode.objects.filter(code=code[:16]).values_list("person_id", flat=True).first()
    if referrer_id is None or referrer_id == person.pk:
        return None
    referral, _created = Referral.objects.get_or_create(person=person, kind=kind, action_id=action_id,
                                                        defaults={"referrer_id": referrer_id})
    return referral


def leaderboard(kind: str, action_id: int, limit: int = 20) -> list[tuple[Person, int]]:
    """Who brought the most people to one action, most first."""
    rows = (Referral.objects.filter(kind=kind, action_id=action_id).values("referrer")
            .annotate(n=Count("pk")).order_by("-n", "referrer")[:limit])
    people = Person.objects.in_bulk([row["referrer"] for row in rows])
    return [(people[row["referrer"]], row["n"]) for row in rows if row["referrer"] in people]


def brought(person: Person) -> QuerySet[Referral]:
    """Everyone this person brought, to any action."""
    return Referral.objects.filter(referrer=person).select_related("person").order_by("-created_at")
