"""Share links and credit: a person's own code, and crediting its owner when someone acts through it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from turnout.core import bulk
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


def claim_codes(claims: Iterable[tuple[Person, str]]) -> int:
    """`claim_code` for many people at once (a worker settling a batch of forms), each (person, code):
    a code becomes its person's unless they have one or another person holds it (the first claim
    in the batch wins). A few statements in the caller's transaction; how many were claimed."""
    wanted = [(person, code[:16]) for person, code in claims if code]
    if not wanted:
        return 0
    has = set(ShareCode.objects.filter(person_id__in={person.pk for person, _c in wanted})
              .values_list("person_id", flat=True))
    taken = set(ShareCode.objects.filter(code__in={code for _p, code in wanted}).values_list("code", flat=True))
    rows: list[tuple[int, str]] = []
    for person, code in wanted:
        if person.pk in has or code in taken:
            continue
        has.add(person.pk)
        taken.add(code)
        rows.append((person.pk, code))
    bulk.insert_rows(ShareCode, ["person", "code"], rows)
    return len(rows)


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


def credit_many(*, kind: str, action_id: int, credits: Iterable[tuple[Person, str]]) -> int:
    """`credit` for many people brought to one action at once, each (person, code): the code's owner
    is credited once per person, and nobody brings themselves. A few statements in the caller's
    transaction (none when no code was given); how many were credited."""
    wanted = [(person, code[:16]) for person, code in credits if code]
    if not wanted:
        return 0
    owners = dict(ShareCode.objects.filter(code__in={code for _p, code in wanted}).values_list("code", "person_id"))
    wanted = [(person, code) for person, code in wanted if owners.get(code) not in (None, person.pk)]
    if not wanted:
        return 0
    had = set(Referral.objects.filter(kind=kind, action_id=action_id, person_id__in={p.pk for p, _c in wanted})
              .values_list("person_id", flat=True))
    now = timezone.now()
    rows: list[tuple[int, int, str, int, Any]] = []
    for person, code in wanted:
        if person.pk in had:
            continue
        had.add(person.pk)
        rows.append((owners[code], person.pk, kind, action_id, now))
    bulk.insert_rows(Referral, ["referrer", "person", "kind", "action_id", "created_at"], rows)
    return len(rows)


def leaderboard(kind: str, action_id: int, limit: int = 20) -> list[tuple[Person, int]]:
    """Who brought the most people to one action, most first."""
    rows = (Referral.objects.filter(kind=kind, action_id=action_id).values("referrer")
            .annotate(n=Count("pk")).order_by("-n", "referrer")[:limit])
    people = Person.objects.in_bulk([row["referrer"] for row in rows])
    return [(people[row["referrer"]], row["n"]) for row in rows if row["referrer"] in people]


def brought(person: Person) -> QuerySet[Referral]:
    """Everyone this person brought, to any action."""
    return Referral.objects.filter(referrer=person).select_related("person").order_by("-created_at")
