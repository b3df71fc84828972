"""The record helpers (POST …/attendances, …/submissions, …/signatures) for new people, taken
together: requests that reach one web process at the same moment are settled in one transaction
by one of their threads (`core.group_commit.Together`), through the batch services the worker uses
for public forms: the people nobody on file names are added by `people.signup.sign_up_many` (as
`signup_person` adds the API's new people: the token's staffer, source "api"), then the batch's acts
set-based through their services (`events.services.seat_many`,
`actions.services.record_new_submissions`, `record_new_signatures`: the rules of
`record_submission` and `record_signature`, an audit entry each naming the staffer). Each request gets its own resource back.

A request the batch does not take, and every request naming someone else, goes the one-by-one
way (`views.signup`, then the act): a person on file or named twice in the batch (their rules
are decided one by one), a body with tags, custom fields, statuses, a membership, an address or
more than one email or phone, an unknown ZIP, an event with a limit, a closed form or petition.
So a bad request among good ones fails alone, and a repeat answers 200 with the first resource.

The page a helper request names is kept in the web process for a few seconds (`page`, as the public
pages keep theirs, `core.kept`), with the token's roles checked against it on every request. What a
batch decides by is read again in its transaction (`_as_now`: an event's limit, whether a
form or petition is open), and a request the batch leaves reads the page afresh: a page closed,
limited or deleted in any process is refused at once, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from turnout.accounts.models import Group, Role, User
from turnout.actions import services as actions
from turnout.actions.models import Form, Petition, PetitionSignature, Submission
from turnout.api.hal import Call, get_by_public_id, not_found
from turnout.core import group_commit
from turnout.core.bulk import quoted_column
from turnout.core.kept import KeptPages
from turnout.events import services as events
from turnout.events.models import Event, Rsvp
from turnout.people.models import ConsentEvent, Person, PhoneNumber
from turnout.people.signup import PublicSignup, sign_up_many

logger = logging.getLogger(__name__)

ATTENDANCE, SUBMISSION, SIGNATURE = "attendance", "submission", "signature"
# What a body may give for its person to be signed up with others: what `sign_up_many` writes for
# a new person exactly as `signup_person` would.
PLAIN_FIELDS = {"given_name", "family_name", "language", "postal_code"}

Record = Rsvp | Submission | PetitionSignature
Page = Event | Form | Petition
_pages: KeptPages[Page] = KeptPages()


def page[P: Page](call: Call, model: type[P], identifier: str, kind: str) -> P:
    """The event, form or petition a helper request names, kept in this process for a few seconds,
    or a 404 when it is not there or the token's user holds no role over its group (as the
    `visible_to` lookup answers)."""
    def load() -> P:
        return get_by_public_id(model.objects.select_related("group"), identifier, kind)  # type: ignore[no-any-return]

    found = _pages.get((model, identifier), load)
    if not isinstance(found, model) or not call.may(found.group, Role.VIEWER):
        raise not_found(kind, identifier)
    return found


@dataclass(frozen=True)
class Arrival:
    """One request's act for a person it signs up: the page, who sends it, and the act's own values."""

    kind: str
    target: Event | Form | Petition
    group: Group
    actor: User
    detail: str
    signup: PublicSignup
    answers: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    ref: str = ""


def plain_signup(arguments: dict[str, Any]) -> PublicSignup | None:
    """The body's person as a public sign-up when `sign_up_many` may add them with others (see the
    module's docstring), else None: the one-by-one way decides."""
    fields: dict[str, Any] = arguments["fields"]
    emails, phones = arguments["emails"], arguments["phones"]
    if (arguments["add_tags"] or arguments["remove_tags"] or arguments["custom_fields"]
            or arguments["membership"] is not None or len(emails) > 1 or len(phones) > 1
            or any(choice.status is not None for choice in [*emails, *phones])
            or any(choice.kind != PhoneNumber.Kind.MOBILE for choice in phones)
            or not set(fields) <= PLAIN_FIELDS | {"country"} or fields.get("country", "US") != "US"):
        return None
    return PublicSignup(given_name=fields.get("given_name", ""), family_name=fields.get("family_name", ""),
                        email=emails[0].value if emails else "", phone=phones[0].value if phones else "",
                        postal_code=fields.get("postal_code", ""), language=fields.get("language") or "en",
                        source="api")


def arrival(call: Call, kind: str, target: Event | Form | Petition, arguments: dict[str, Any] | None,
            **values: Any) -> Arrival | None:
    """The request's act as an arrival for a batch, when its body signs up someone `plain_signup` takes."""
    signup = plain_signup(arguments) if arguments is not None else None
    if signup is None or arguments is None:
        return None
    return Arrival(kind=kind, target=target, group=call.group, actor=call.user, detail=arguments["source_detail"],
                   signup=signup, **values)


def take(arrival: Arrival) -> Record | None:
    """The new resource for this request's act, settled with those that came with it; None when the
    batch left it to the one-by-one way."""
    if connection.in_atomic_block:
        # The caller's own transaction (a test's, a command's) may hold what the batch would wait
        # for: its act is settled here, alone, and what fails goes the one-by-one way, as in a batch.
        try:
            outcome = _settle([arrival])[0]
        except Exception:
            logger.exception("Settling an API %s in the caller's transaction failed; doing it alone", arrival.kind)
            outcome = group_commit.ALONE
    else:
        outcome = _together.do(arrival)
    return None if isinstance(outcome, str) else outcome


def _settle(arrivals: list[Arrival]) -> list[Record | str]:
    """Every arrival's resource, or ALONE, written in one transaction."""
    results: list[Record | str] = [group_commit.ALONE] * len(arrivals)
    batches: dict[tuple[Any, ...], list[int]] = {}
    for index, arrival in enumerate(arrivals):
        key = (arrival.kind, arrival.target.pk, arrival.group.pk, arrival.actor.pk, arrival.detail)
        batches.setdefault(key, []).append(index)
    with transaction.atomic():
        for indexes in batches.values():
            first = arrivals[indexes[0]]
            target = _as_now(first)
            if target is None:
                continue
            # The new people as stored (the acts' audit entries name them).
            people = sign_up_many(first.group, [(arrivals[i].signup, arrivals[i].signup.email,
                                                 arrivals[i].signup.phone) for i in indexes],
                                  first.detail, actor=first.actor, source=ConsentEvent.Source.API)
            placed = [(indexes[i], person) for i, person in sorted(people.items())]
            if placed:
                for index, record in _ACTS[first.kind](arrivals, placed, target):
                    results[index] = record
    return results


def _as_now(arrival: Arrival) -> Page | None:
    """The request's page as its row says in this transaction (the request's copy may be a few
    seconds old, `page`), when it takes its acts for new people in a batch; else None. An event
    with a limit counts its seats one by one; a closed form or petition refuses, and its refusal
    signs nobody up."""
    target = arrival.target
    if isinstance(target, Event):
        # Only its limit is read again, in one plain question (a batch asks it for each event it
        # takes; the ORM's would cost more to build): the seats are written from the request's copy.
        return target if _row_says(Event, target.pk, f"{quoted_column(Event, 'capacity')} IS NULL") else None
    if not target.is_open:
        return None
    # A form or petition as saved now (its tags and autoresponse apply): the kept copy while the
    # row still has its stamp, else read again. Every change to one is saved with a new
    # `updated_at` (`BaseModel.save`, `touch_form`), so a copy with the row's stamp is the row.
    model = type(target)
    if _row_says(model, target.pk, f"{quoted_column(model, 'is_open')} AND {quoted_column(model, 'updated_at')} = %s",
                 connection.ops.adapt_datetimefield_value(target.updated_at)):
        return target
    return model.objects.select_related("group").filter(pk=target.pk, is_open=True).first()


def _row_says(model: type[Page], pk: int, condition: str, *params: Any) -> bool:
    """Whether the page's row meets `condition` (SQL on its own columns) now, in one plain question."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {quoted_column(model, 'id')} = %s AND {condition}",  # noqa: S608 — names from model metadata
                       [pk, *params])
        return cursor.fetchone() is not None


def _attend(arrivals: list[Arrival], placed: list[tuple[int, Person]], event: Page) -> list[tuple[int, Record]]:
    assert isinstance(event, Event)
    answers = events.seat_many(event, [person for _i, person in placed], source="api")
    return [(index, answer) for (index, _p), answer in zip(placed, answers, strict=True)]


def _submit(arrivals: list[Arrival], placed: list[tuple[int, Person]], form: Page) -> list[tuple[int, Record]]:
    """The batch's submissions to one form, set-based (`actions.services.record_new_submissions`)."""
    assert isinstance(form, Form)
    submissions = actions.record_new_submissions(
        actor=arrivals[placed[0][0]].actor, form=form,
        entries=[actions.NewSubmission(person=person, answers=arrivals[index].answers,
                                       ref=arrivals[index].ref, source="api") for index, person in placed])
    return [(index, submission) for (index, _p), submission in zip(placed, submissions, strict=True)]


def _sign(arrivals: list[Arrival], placed: list[tuple[int, Person]], petition: Page) -> list[tuple[int, Record]]:
    """The batch's signatures of one petition, set-based (`actions.services.record_new_signatures`)."""
    assert isinstance(petition, Petition)
    signatures = actions.record_new_signatures(
        actor=arrivals[placed[0][0]].actor, petition=petition,
        entries=[actions.NewSignature(person=person, comment=arrivals[index].comment,
                                      postal_code=person.postal_code, ref=arrivals[index].ref,
                                      source="api") for index, person in placed])
    return [(index, signature) for (index, _p), signature in zip(placed, signatures, strict=True)]


_ACTS: dict[str, Callable[[list[Arrival], list[tuple[int, Person]], Page], list[tuple[int, Record]]]] = {
    ATTENDANCE: _attend, SUBMISSION: _submit, SIGNATURE: _sign}
# While a crowd comes, a batch waits a moment for the requests the process's other threads are
# reading: a batch's statements cost about the same for one request or many.
GATHER_SECONDS = 0.002
_together: group_commit.Together[Arrival, Record] = group_commit.Together(_settle, gather=GATHER_SECONDS, most=32)
