"""Public forms taken now and settled later: the request stores what was typed in one insert (an
app's `core.models.Intake` table) and asks for a worker; the worker settles the waiting forms in
batches, each through its act's one rule. This module is that machinery, for every app that uses
it (forms, petitions, pledges): the batch loop, the set-based sign-up of new people
(`signup.sign_up_many`) and the one-by-one path for everyone else."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, QuerySet
from django.utils import translation

from turnout.accounts.models import Group
from turnout.core import batching, bulk
from turnout.core.models import Intake
from turnout.core.retention import BATCH, delete_in_batches
from turnout.people.contact import InvalidContact
from turnout.people.erasure import Traces, national_digits
from turnout.people.models import Person
from turnout.people.signup import PublicSignup, contacts, sign_up_many

logger = logging.getLogger(__name__)

# Forms settled in one transaction by the worker: large enough that a commit and the batch's
# statements are shared by many forms, small enough that a retried batch costs little.
SETTLE_BATCH = 500

_SIGNUP_FIELDS = {field.name for field in dataclasses.fields(PublicSignup)}


def signup_of(data: dict[str, Any]) -> PublicSignup:
    """The person's part of a stored form (its other keys are the act's own: a comment, a share code)."""
    return PublicSignup(**{name: value for name, value in data.items() if name in _SIGNUP_FIELDS})


def store(model: type[Intake], values: dict[str, Any], *, task: Any, asked_key: str) -> None:
    """Keep one form as it was sent, in one plain INSERT (the one write a crowd waits for), and ask
    for one settling run once the caller commits (a burst asks once: `core.batching`)."""
    bulk.insert_one(model, {"outcome": "", "reason": "", **values})
    batching.ask_on_commit(task, asked_key)


@dataclass
class Door:
    """How the forms for one page (one form, one petition, one pledge) are settled.

    `take_many` is the act for the people the batch has just added, all at once (the act's own
    rule, written set-based in the batch's transaction), returning each form's outcome in order;
    a door without it has `take`, the same act for one of them. `alone` settles one form through
    the act's single service and sets its outcome (it runs in its own savepoint). `together` is
    false when the page may not take forms in a batch any more (closed, deleted): every form goes
    `alone`, whose service says why."""

    group: Group | None
    detail: str
    together: bool
    alone: Callable[[Intake], None]
    take: Callable[[Intake, PublicSignup, Person], str] | None = None
    take_many: Callable[[list[tuple[Intake, PublicSignup, Person]]], list[str]] | None = None


def settle_together(model: type[Intake], doors: Sequence[tuple[Door, list[Intake]]],
                    failed: set[int] | None = None) -> int:
    """Settle locked, waiting forms (in the caller's transaction), page by page; how many settled.

    The people nobody on file names are signed up together (`sign_up_many`: the public sign-up's
    rules, set-based, with their audit entries and signal) and the act taken for them by `take_many`
    (or for each by `take`);
    a form naming someone on file, repeating a contact of an earlier form, or for a page that is
    closed goes `alone`, in its own savepoint, after them. A form that fails there is rolled back
    alone, logged and left waiting (its id added to `failed`)."""
    settled: list[Intake] = []
    for door, forms in doors:
        alone: list[Intake] = []
        plain: list[tuple[Intake, PublicSignup]] = []
        for intake in forms:
            try:
                signup = signup_of(intake.data)
            except TypeError:  # a form this version cannot read: the one-by-one path logs it
                alone.append(intake)
                continue
            if not door.together or door.group is None:
                alone.append(intake)
                continue
            with translation.override(signup.language or "en"):
                try:
                    signup.email, signup.phone = contacts(signup.email, signup.phone)
                except InvalidContact as exc:
                    intake.outcome, intake.reason = Intake.Outcome.REFUSED, str(exc)[:200]
                    settled.append(intake)
                    continue
            plain.append((intake, signup))
        people = sign_up_many(door.group, [(s, s.email, s.phone) for _i, s in plain], door.detail) \
            if plain and door.group is not None else {}
        taken = [(plain[index][0], plain[index][1], person) for index, person in sorted(people.items())]
        if door.take_many is not None:
            outcomes = door.take_many(taken) if taken else []
        else:
            assert door.take is not None, "a door takes forms one way or the other"
            outcomes = []
            for intake, signup, person in taken:
                with translation.override(signup.language or "en"):
                    outcomes.append(door.take(intake, signup, person))
        for (intake, _signup, _person), outcome in zip(taken, outcomes, strict=True):
            intake.outcome = outcome
            settled.append(intake)
        alone += [intake for index, (intake, _s) in enumerate(plain) if index not in people]
        for intake in sorted(alone, key=lambda i: i.pk):
            try:
                with transaction.atomic():
                    door.alone(intake)
            except Exception as exc:
                logger.exception("Settling form %s (%s) failed; it is tried again on the next run",
                                 intake.pk, model.__name__)
                note_failure(model, intake.pk, exc)
                if failed is not None:
                    failed.add(intake.pk)
                continue
            settled.append(intake)
    _write_outcomes(model, settled)
    return len(settled)


def _write_outcomes(model: type[Intake], settled: list[Intake]) -> None:
    """The outcomes, the forms' contents dropped: one statement for each outcome but a refusal
    (whose reason is the form's own)."""
    for outcome in (Intake.Outcome.TAKEN, Intake.Outcome.EXISTING):
        model._default_manager.filter(pk__in=[i.pk for i in settled if i.outcome == outcome]).update(
            outcome=outcome, reason="", data={})
    for intake in settled:
        if intake.outcome == Intake.Outcome.REFUSED:
            intake.data = {}
            intake.save(update_fields=["outcome", "reason", "data"])


def settle_one(model: type[Intake], intake_id: int, door_for: Callable[[Intake], Door]) -> bool:
    """Settle one waiting form through its act's single service, exactly once (a form settled
    meanwhile is left alone); whether it was settled. Two forms of one new person at once race to
    add them; the loser tries once more and finds them."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                intake = model._default_manager.select_for_update().filter(pk=intake_id, outcome="").first()
                if intake is None:
                    return False
                door_for(intake).alone(intake)
                _write_outcomes(model, [intake])
                return True
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def settle_waiting(model: type[Intake], settle_batch: Callable[[list[int], set[int]], int],
                   door_for: Callable[[Intake], Door], batch: int = SETTLE_BATCH) -> int:
    """Settle every waiting form of `model`, oldest first, a batch at a time; how many were settled.

    A batch is one transaction (`settle_batch`). A batch that fails as a whole is rolled back and
    its forms settled one by one, so a bad form holds up no other: it is logged and left waiting
    for the next run. A worker that dies mid-batch leaves the batch waiting, whole, for the next run."""
    settled, failed = 0, set[int]()
    waiting = model._default_manager.filter(outcome="").order_by("pk")
    while ids := list(waiting.exclude(pk__in=failed).values_list("pk", flat=True)[:batch]):
        try:
            settled += settle_batch(ids, failed)
        except Exception:
            logger.exception("Settling a batch of %s forms (%s) failed; settling them one by one", len(ids),
                             model.__name__)
            for pk in ids:
                try:
                    settled += settle_one(model, pk, door_for)
                except Exception as exc:
                    logger.exception("Settling form %s (%s) failed; it is tried again on the next run",
                                     pk, model.__name__)
                    note_failure(model, pk, exc)
                    failed.add(pk)
    return settled


def note_failure(model: type[models.Model], pk: int, exc: BaseException) -> bool:
    """Count one more failed attempt at settling waiting form `pk` of `model` (an `Intake` table or
    events' `RsvpIntake`; the caller has logged the error), in the caller's transaction if any;
    whether this was its last.

    A form whose settling keeps failing (a bug, data this version cannot take) would otherwise be
    tried on every run for ever and never reach anyone: after `INTAKE_MAX_ATTEMPTS` failed runs it
    gets the final outcome "failed", with the error as its reason and what the person typed kept,
    and staff see it on their home page."""
    reason = f"{type(exc).__name__}: {exc}"[:200]
    waiting = model._default_manager.filter(pk=pk, outcome="")
    waiting.update(attempts=F("attempts") + 1)
    last = bool(waiting.filter(attempts__gte=settings.INTAKE_MAX_ATTEMPTS).update(outcome="failed", reason=reason))
    if last:
        logger.error("Form %s (%s) failed to settle %s times: it is marked failed, not tried again, and kept "
                     "with what was typed for staff (their home page lists it)", pk, model.__name__,
                     settings.INTAKE_MAX_ATTEMPTS)
    return last


def prune_settled(model: type[Intake], *, before: datetime, batch: int = BATCH, dry_run: bool = False) -> int:
    """Remove forms of `model` settled (their contents already dropped; the act is its own record)
    and received before `before`; a form still waiting stays, and so does one that failed (it holds
    what the person typed, which staff have yet to act on). How many."""
    return delete_in_batches(model._default_manager.exclude(outcome__in=[Intake.Outcome.PENDING,
                                                                        Intake.Outcome.FAILED])
                             .filter(received_at__lt=before), batch=batch, dry_run=dry_run)


def forget_waiting(person: Person, waiting: QuerySet[Any]) -> None:
    """Remove the forms of `waiting` (forms still waiting, of the person's groups' pages) that carry
    the person's email or number: erasing the record reaches what the worker has yet to settle (a
    settled form keeps no contents)."""
    traces = Traces(person)
    if not traces:
        return
    doomed = []
    for form in waiting.filter(outcome__in=[Intake.Outcome.PENDING, Intake.Outcome.FAILED]).only("data"):
        values = [str(v).strip().lower() for v in form.data.values()] if isinstance(form.data, dict) else []
        typed = [national_digits(v) for v in values]
        if any(e in values for e in traces.addresses) or any(n and n in typed for n in traces.national):
            doomed.append(form.pk)
    waiting.model._default_manager.filter(pk__in=doomed).delete()
