"""Taking public actions (form submissions, petition signatures, working-group sign-ups,
endorsements), crediting whoever shared the link (turnout.sharing), and the counts staff and the
public see."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, User
from turnout.actions.models import (
    PETITION_COUNTS,
    ActionIntake,
    Endorsement,
    Form,
    Petition,
    PetitionSignature,
    Resolution,
    Submission,
    WorkingGroup,
    WorkingGroupMember,
)
from turnout.core import audit, bulk, records
from turnout.core.dangerous import refuse_question, without_dangerous
from turnout.core.geo import lookup_zip
from turnout.core.models import AuditEntry, Intake
from turnout.messaging import sending
from turnout.messaging.models import Delivery
from turnout.people import intake
from turnout.people.contact import InvalidContact
from turnout.people.models import Person
from turnout.people.services import UnknownZip, add_tag, add_tag_many
from turnout.people.signup import PublicSignup, contacts, sign_up
from turnout.sharing.models import Referral, new_share_code
from turnout.sharing.services import claim_code, claim_codes, credit, credit_many

logger = logging.getLogger(__name__)

# The same person sending the same form again within this window (a double click, a retry, a
# second tab) updates their submission instead of making another.
DUPLICATE_WINDOW = timedelta(minutes=10)

class ActionError(Exception):
    """The action cannot be taken; the message says why, for the person."""


def _twice[T](act: Callable[[], T]) -> T:
    """Run `act` in a transaction; two submissions of one new person at once race to add them,
    and the loser tries once more and finds them."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                return act()
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _person(group: Any, request: PublicSignup, detail: str) -> Person:
    try:
        email, phone = contacts(request.email, request.phone)
    except InvalidContact as exc:
        raise ActionError(str(exc)) from None
    return sign_up(group, request, email, phone, detail)


# --- forms ----------------------------------------------------------------------------------------


def submit(form: Form, request: PublicSignup, *, ref: str = "", source: str = "form") -> tuple[Submission, bool]:
    """A submission from the public page, an embed or the API: (submission, created). The same
    person again within a few minutes updates their submission; the answer looks the same either
    way, so a form never tells whether someone was already known."""
    if not form.is_open:
        raise ActionError(_("This form is closed."))
    return _submit(form, request, ref=ref, source=source)


def _submit(form: Form, request: PublicSignup, *, ref: str, source: str) -> tuple[Submission, bool]:
    """`submit` once the form is known to take it (now, or when a waiting form was received)."""

    def act() -> tuple[Submission, bool]:
        person = _person(form.group, request, f"Form: {form.title}")
        return _take_submission(form, person, request.answers or {}, ref=ref, source=source)

    return _twice(act)


@transaction.atomic
def record_submission(*, actor: User, form: Form, person: Person, answers: dict[str, str], ref: str = "",
                      source: str = "api") -> tuple[Submission, bool]:
    """A submission for someone already known (the API's record helper): the rules of the form's
    own page, and an audit entry naming the staffer who recorded it."""
    if not form.is_open:
        raise ActionError(_("This form is closed."))
    submission, created = _take_submission(form, person, answers, ref=ref, source=source)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.CHANGE,
                 target=form, group=form.group, subject=person,
                 summary=f"Recorded a submission by {person.display_name} ({source})")
    return submission, created


def _take_submission(form: Form, person: Person, answers: dict[str, Any], *, ref: str,
                     source: str) -> tuple[Submission, bool]:
    """One submission (in the caller's transaction): the same person again within a few minutes
    updates theirs; a new one adds the form's tags, credits the referrer and is answered."""
    answers = without_dangerous(answers)  # whichever door sent them (core.dangerous)
    recent = Submission.objects.filter(form=form, person=person,
                                       created_at__gte=timezone.now() - DUPLICATE_WINDOW).first()
    if recent is not None:
        recent.answers = answers
        recent.save(update_fields=["answers"])
        return recent, False
    submission = Submission.objects.create(form=form, person=person, answers=answers, source=source)
    for name in form.tag_names():
        add_tag(person=person, group=form.group, name=name)
    credit(code=ref, person=person, kind=Referral.Kind.FORM, action_id=form.pk)
    _autorespond_later(form, [submission.pk])
    return submission, True


@dataclass(frozen=True)
class NewSubmission:
    """One submission by someone the caller has just signed up, as `_take_submission` takes it."""

    person: Person
    answers: dict[str, Any]
    ref: str = ""
    source: str = "form"


def _take_new_submissions(form: Form, entries: Sequence[NewSubmission]) -> list[Submission]:
    """`_take_submission` for people the caller has just signed up (in its transaction), set-based:
    nobody new holds a submission, so each gets a new one (no repeat to look for); the form's tags
    for them all, the referrers credited, and one autoresponse task for the batch. A few statements
    whatever the number of people; the submissions in `entries`' order."""
    if not entries:
        return []
    now = timezone.now()
    submissions = [Submission(pk=pk, public_id=uuid.uuid4(), created_at=now, updated_at=now, form=form,
                              person=entry.person, answers=without_dangerous(entry.answers),  # core.dangerous
                              source=entry.source)
                   for entry, pk in zip(entries, bulk.allocate_ids(Submission, len(entries)), strict=True)]
    bulk.insert_rows(Submission, ["id", "public_id", "created_at", "updated_at", "form", "person", "answers",
                                  "source"],
                     [(s.pk, s.public_id, now, now, form.pk, s.person.pk, s.answers, s.source) for s in submissions])
    add_tag_many(people=[entry.person for entry in entries], group=form.group, names=form.tag_names())
    credit_many(kind=Referral.Kind.FORM, action_id=form.pk, credits=[(entry.person, entry.ref) for entry in entries])
    _autorespond_later(form, [submission.pk for submission in submissions])
    return submissions


def record_new_submissions(*, actor: User, form: Form, entries: Sequence[NewSubmission]) -> list[Submission]:
    """`record_submission` for people the caller has just signed up (the API's record helper
    answering requests that came together): the rules of the form's own page, set-based, and an
    audit entry for each naming the staffer who recorded it. The submissions in `entries`' order.
    A closed form is refused before anything is written; what fails after that fails the caller's
    whole transaction (the batch's, which then goes one by one), with no savepoint of its own."""
    if not form.is_open:
        raise ActionError(_("This form is closed."))
    with transaction.atomic(savepoint=False):
        submissions = _take_new_submissions(form, entries)
        audit.record_many({"actor": actor, "action": AuditEntry.Action.CREATE, "target": form, "group": form.group,
                           "subject": submission.person,
                           "summary": f"Recorded a submission by {submission.person.display_name} ({submission.source})"}
                          for submission in submissions)
    return submissions


def _autorespond_later(form: Form, submission_ids: list[int]) -> None:
    """One task, once the caller commits, for the autoresponses of these new submissions (if the
    form has one)."""
    if form.autoresponse_body and submission_ids:
        from turnout.actions.tasks import send_autoresponses  # the tasks module imports this one

        transaction.on_commit(lambda: send_autoresponses.enqueue(submission_ids=submission_ids))


def autoresponse(submission: Submission) -> sending.Answer:
    """What the form's autoresponse to this submission says, in the person's language, and to whom."""
    form = submission.form
    spanish = submission.person.language == "es" and bool(form.autoresponse_body_es)
    body = form.autoresponse_body_es if spanish else form.autoresponse_body
    with translation.override("es" if spanish else "en"):
        subject = form.autoresponse_subject or _("Thank you: %(title)s") % {"title": form.title}
    return sending.Answer(group=form.group, person_id=submission.person_id, subject=subject, body=body,
                          topic=f"form:{form.pk}:autoresponse", reason="answer to the person's own form submission")


@transaction.atomic
def autorespond(*, submission_ids: list[int]) -> None:
    """The form's autoresponse to each person who made these submissions: by email, and by text where
    they agreed, written together (`messaging.sending.answer_people`, one dispatch task for them
    all). Run again (a retried task), it answers nobody twice: a submission whose person already
    has this form's autoresponse since the submission was made is left out. One whose answer
    cannot be written is logged and holds up no other."""
    # Locked so that two runs of one task answer each submission once between them.
    submissions = [submission for submission in Submission.objects.select_for_update(of=("self",))
                   .select_related("form", "form__group", "person").filter(pk__in=submission_ids).order_by("pk")
                   if submission.form.autoresponse_body]
    if not submissions:
        return
    last_told: dict[tuple[str, int], Any] = {}
    for topic, person_id, at in Delivery.objects.filter(
            person_id__in={submission.person_id for submission in submissions},
            created_at__gte=min(submission.created_at for submission in submissions),
            message__topic__in={f"form:{submission.form_id}:autoresponse" for submission in submissions},
    ).values_list("message__topic", "person_id", "created_at"):
        last_told[topic, person_id] = max(at, last_told.get((topic, person_id), at))
    said: dict[int, sending.Answer] = {}
    for submission in submissions:
        told = last_told.get((f"form:{submission.form_id}:autoresponse", submission.person_id))
        if told is not None and told >= submission.created_at:
            continue
        try:
            said[submission.pk] = autoresponse(submission)
        except Exception:
            logger.exception("Answering submission %s failed", submission.pk)
    if not said:
        return
    try:
        with transaction.atomic():
            sending.answer_people(list(said.values()))
    except Exception:
        logger.exception("Answering a batch of %s submissions failed; answering them one by one", len(said))
        people = {submission.pk: submission.person for submission in submissions}
        for submission_id, answer in said.items():
            try:
                with transaction.atomic():
                    sending.answer_person(group=answer.group, person=people[submission_id], subject=answer.subject,
                                          body=answer.body, topic=answer.topic, reason=answer.reason)
            except Exception:
                logger.exception("Answering submission %s failed", submission_id)


# --- petitions ------------------------------------------------------------------------------------


def sign_petition(petition: Petition, request: PublicSignup, *, comment: str = "", show_name: bool = False,
                  ref: str = "", source: str = "form") -> tuple[PetitionSignature, bool]:
    """One signature per person; signing again keeps the first (a new comment replaces the old)."""
    if not petition.is_open:
        raise ActionError(_("This petition is no longer taking signatures."))
    return _sign_petition(petition, request, comment=comment, show_name=show_name, ref=ref, source=source)


def _sign_petition(petition: Petition, request: PublicSignup, *, comment: str, show_name: bool, ref: str,
                   source: str) -> tuple[PetitionSignature, bool]:
    """`sign_petition` once the petition is known to take it (now, or when a waiting form was received)."""

    def act() -> tuple[PetitionSignature, bool]:
        person = _person(petition.group, request, f"Petition: {petition.title}")
        return _take_signature(petition, person, comment=comment, show_name=show_name,
                               postal_code=request.postal_code, ref=ref, source=source)

    return _twice(act)


@transaction.atomic
def record_signature(*, actor: User, petition: Petition, person: Person, comment: str = "",
                     show_name: bool = False, ref: str = "", source: str = "api") -> tuple[PetitionSignature, bool]:
    """A signature of someone already known (the API's record helper): the rules of the petition's
    own page, and an audit entry naming the staffer who recorded it."""
    if not petition.is_open:
        raise ActionError(_("This petition is no longer taking signatures."))
    signature, created = _take_signature(petition, person, comment=comment, show_name=show_name,
                                         postal_code=person.postal_code, ref=ref, source=source)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.CHANGE,
                 target=petition, group=petition.group, subject=person,
                 summary=f"Recorded the signature of {person.display_name} ({source})")
    return signature, created


def _take_signature(petition: Petition, person: Person, *, comment: str, show_name: bool, postal_code: str,
                    ref: str, source: str) -> tuple[PetitionSignature, bool]:
    """One signature per person (in the caller's transaction); signing again keeps the first, with
    a new comment."""
    place = lookup_zip(postal_code) if postal_code else None
    signature, created = PetitionSignature.objects.get_or_create(
        petition=petition, person=person,
        defaults={"comment": comment, "show_name": show_name, "city": place.city.title() if place else "",
                  "source": source})
    if not created and comment and comment != signature.comment:
        signature.comment = comment
        signature.save(update_fields=["comment"])
    if created:
        credit(code=ref, person=person, kind=Referral.Kind.PETITION, action_id=petition.pk)
        PETITION_COUNTS.expire(petition.public_id)
    return signature, created


@dataclass(frozen=True)
class NewSignature:
    """One signature of someone the caller has just signed up, as `_take_signature` takes it."""

    person: Person
    comment: str = ""
    show_name: bool = False
    postal_code: str = ""
    ref: str = ""
    source: str = "form"


def _take_new_signatures(petition: Petition, entries: Sequence[NewSignature]) -> list[PetitionSignature]:
    """`_take_signature` for people the caller has just signed up (in its transaction), set-based:
    nobody new has signed, so each signature is new, with its city from the ZIP typed; the
    referrers credited and the petition's count forgotten once. A few statements whatever the
    number of people; the signatures in `entries`' order."""
    if not entries:
        return []
    cities: dict[str, str] = {}
    for code in {entry.postal_code for entry in entries if entry.postal_code}:
        place = lookup_zip(code)
        cities[code] = place.city.title() if place else ""
    now = timezone.now()
    signatures = [PetitionSignature(pk=pk, public_id=uuid.uuid4(), created_at=now, updated_at=now, petition=petition,
                                    person=entry.person, comment=entry.comment, show_name=entry.show_name,
                                    city=cities.get(entry.postal_code, ""), source=entry.source)
                  for entry, pk in zip(entries, bulk.allocate_ids(PetitionSignature, len(entries)), strict=True)]
    bulk.insert_rows(PetitionSignature, ["id", "public_id", "created_at", "updated_at", "petition", "person",
                                         "comment", "show_name", "city", "source"],
                     [(s.pk, s.public_id, now, now, petition.pk, s.person.pk, s.comment, s.show_name, s.city, s.source)
                      for s in signatures])
    credit_many(kind=Referral.Kind.PETITION, action_id=petition.pk,
                credits=[(entry.person, entry.ref) for entry in entries])
    PETITION_COUNTS.expire(petition.public_id)
    return signatures


def record_new_signatures(*, actor: User, petition: Petition,
                          entries: Sequence[NewSignature]) -> list[PetitionSignature]:
    """`record_signature` for people the caller has just signed up (the API's record helper answering
    requests that came together): the rules of the petition's own page, set-based, and an audit
    entry for each naming the staffer who recorded it. The signatures in `entries`' order. A closed
    petition is refused before anything is written; after that, as `record_new_submissions`."""
    if not petition.is_open:
        raise ActionError(_("This petition is no longer taking signatures."))
    with transaction.atomic(savepoint=False):
        signatures = _take_new_signatures(petition, entries)
        audit.record_many({"actor": actor, "action": AuditEntry.Action.CREATE, "target": petition,
                           "group": petition.group, "subject": signature.person,
                           "summary": f"Recorded the signature of {signature.person.display_name} ({signature.source})"}
                          for signature in signatures)
    return signatures


# --- forms and petitions taken now, settled by a worker ---------------------------------------------
# A crowd sending a form or signing a petition at once is answered as fast as one row can be
# written: the page stores the form (`submit_later`, `sign_petition_later`) and a worker settles the
# waiting ones in batches (`settle_waiting`) under the rules of `submit` and `sign_petition`.

# A burst of forms asks for one settling run, not one per form (see `core.batching`).
SETTLE_ASKED_KEY = "actions:settle-forms"


def submit_later(form: Form, data: dict[str, Any]) -> str:
    """Keep a form's submission as sent (the person's fields, `answers`, `source`, `ref`) for a
    worker to settle as `submit` would; the share code kept for the person's own link. A closed
    form is refused here; a form that closes once the person was thanked still takes theirs."""
    if not form.is_open:
        raise ActionError(_("This form is closed."))
    return _store(ActionIntake.Kind.FORM, form.pk, data)


def sign_petition_later(petition: Petition, data: dict[str, Any]) -> str:
    """Keep a petition signature as sent (the person's fields, `comment`, `show_name`, `source`,
    `ref`) for a worker to settle as `sign_petition` would; the share code kept for the person's
    own link. A closed petition is refused here; one that closes once the person was thanked
    still takes theirs."""
    if not petition.is_open:
        raise ActionError(_("This petition is no longer taking signatures."))
    return _store(ActionIntake.Kind.PETITION, petition.pk, data)


def _store(kind: str, action_id: int, data: dict[str, Any]) -> str:
    from turnout.actions.tasks import settle_forms  # the tasks module imports this one

    code = new_share_code()
    try:
        intake.store(ActionIntake, {"kind": kind, "form": action_id if kind == ActionIntake.Kind.FORM else None,
                                    "petition": action_id if kind == ActionIntake.Kind.PETITION else None,
                                    "data": {**data, "share_code": code}, "received_at": timezone.now()},
                     task=settle_forms, asked_key=SETTLE_ASKED_KEY)
    except IntegrityError:  # the page was deleted a moment ago, while this process still had it in hand
        raise ActionError(_("This form is closed.")) from None
    return code


def settle_waiting(batch: int = intake.SETTLE_BATCH) -> int:
    """Settle every waiting form submission and petition signature, oldest first, a batch at a
    time (`people.intake.settle_waiting`: a failed batch is settled one by one, a bad form is left
    waiting); how many were settled."""
    return intake.settle_waiting(ActionIntake, lambda ids, failed: settle_batch(ids, failed=failed),
                                 _door_for, batch=batch)


def settle(intake_id: int) -> bool:
    """Settle one waiting form through `submit` or `sign_petition`, exactly once."""
    return intake.settle_one(ActionIntake, intake_id, _door_for)


@transaction.atomic
def settle_batch(ids: list[int], *, failed: set[int] | None = None) -> int:
    """Settle these waiting forms in one transaction, under the rules of `submit` and
    `sign_petition` (`people.intake.settle_together`: new people set-based, then the act's own
    rule for them all, set-based; anyone else through the single service); how many were settled.
    The batch's autoresponses are queued once it commits, one task for each form's new submissions."""
    forms = list(ActionIntake.objects.select_for_update().filter(pk__in=ids, outcome="").order_by("id"))
    pages: dict[tuple[str, int | None], list[Intake]] = {}
    for form in forms:
        pages.setdefault((form.kind, form.form_id or form.petition_id), []).append(form)
    return intake.settle_together(ActionIntake, [(_door(kind, pk), waiting) for (kind, pk), waiting in pages.items()],
                                  failed)


def _door_for(form: Intake) -> intake.Door:
    assert isinstance(form, ActionIntake)
    return _door(form.kind, form.form_id or form.petition_id)


def _door(kind: str, action_id: int | None) -> intake.Door:
    action_id = action_id or 0  # neither: a form whose page was deleted
    """How the forms for one form or petition are settled: `submit` / `sign_petition`'s rules."""
    if kind == ActionIntake.Kind.FORM:
        form = Form.objects.select_related("group").filter(pk=action_id).first()

        def take_submissions(taken: list[tuple[Intake, PublicSignup, Person]]) -> list[str]:
            assert form is not None
            # The codes first: a form in the batch sent through the link of an earlier one credits it.
            claim_codes((person, waiting.data.get("share_code", "")) for waiting, _signup, person in taken)
            _take_new_submissions(form, [NewSubmission(person=person, answers=signup.answers or {},
                                                       ref=waiting.data.get("ref", ""), source=signup.source)
                                         for waiting, signup, person in taken])
            return [Intake.Outcome.TAKEN] * len(taken)

        def submit_alone(waiting: Intake) -> None:
            _settle_alone(waiting, lambda signup: _submit(
                _there(form), signup, ref=waiting.data.get("ref", ""), source=signup.source))

        return intake.Door(group=form.group if form else None, detail=f"Form: {form.title}" if form else "",
                           together=form is not None, take_many=take_submissions, alone=submit_alone)
    petition = Petition.objects.select_related("group").filter(pk=action_id).first()

    def take_signatures(taken: list[tuple[Intake, PublicSignup, Person]]) -> list[str]:
        assert petition is not None
        # The codes first: a signature in the batch sent through the link of an earlier one credits it.
        claim_codes((person, waiting.data.get("share_code", "")) for waiting, _signup, person in taken)
        _take_new_signatures(petition, [
            NewSignature(person=person, comment=waiting.data.get("comment", ""),
                         show_name=bool(waiting.data.get("show_name")), postal_code=signup.postal_code,
                         ref=waiting.data.get("ref", ""), source=signup.source)
            for waiting, signup, person in taken])
        return [Intake.Outcome.TAKEN] * len(taken)

    def sign_alone(waiting: Intake) -> None:
        _settle_alone(waiting, lambda signup: _sign_petition(
            _there(petition), signup, comment=waiting.data.get("comment", ""),
            show_name=bool(waiting.data.get("show_name")), ref=waiting.data.get("ref", ""), source=signup.source))

    return intake.Door(group=petition.group if petition else None,
                       detail=f"Petition: {petition.title}" if petition else "",
                       together=petition is not None, take_many=take_signatures, alone=sign_alone)


def _there[T](action: T | None) -> T:
    if action is None:  # deleted after the form was received
        raise ActionError(_("This form is closed."))
    return action


def _settle_alone(waiting: Intake, act: Callable[[PublicSignup], tuple[Any, bool]]) -> None:
    """One form through the act's single service; sets its outcome, not saved. What the service
    refuses (a closed page, an unusable contact, an unknown ZIP) is the form's outcome."""
    signup = intake.signup_of(waiting.data)
    with translation.override(signup.language or "en"):
        try:
            record, created = act(signup)
        except UnknownZip:
            waiting.outcome, waiting.reason = Intake.Outcome.REFUSED, _("We do not know this ZIP code.")
        except ActionError as exc:
            waiting.outcome, waiting.reason = Intake.Outcome.REFUSED, str(exc)[:200]
        else:
            waiting.outcome = Intake.Outcome.TAKEN if created else Intake.Outcome.EXISTING
            claim_code(person=record.person, code=waiting.data.get("share_code", ""))


def public_signers(petition: Petition, limit: int = 20) -> list[tuple[str, str]]:
    """Recent signers who agreed to be shown: first name and city only."""
    rows = (petition.signatures.filter(show_name=True).select_related("person").order_by("-created_at")[:limit])
    return [(row.person.given_name, row.city) for row in rows]


# --- working groups -------------------------------------------------------------------------------


def join_working_group(working_group: WorkingGroup, request: PublicSignup, *,
                       ref: str = "") -> tuple[WorkingGroupMember, bool]:
    if not working_group.is_open:
        raise ActionError(_("This working group is not taking sign-ups."))

    def act() -> tuple[WorkingGroupMember, bool]:
        person = _person(working_group.group, request, f"Working group: {working_group.name}")
        member, created = WorkingGroupMember.objects.get_or_create(working_group=working_group, person=person)
        if created:
            credit(code=ref, person=person, kind=Referral.Kind.WORKING_GROUP, action_id=working_group.pk)
        return member, created

    return _twice(act)


# --- resolutions and endorsements -----------------------------------------------------------------


@transaction.atomic
def endorse(resolution: Resolution, endorsement: Endorsement) -> Endorsement:
    """An organization's endorsement from the public form: kept for staff to approve."""
    if not resolution.is_open:
        raise ActionError(_("This resolution is not taking endorsements."))
    endorsement.resolution = resolution
    endorsement.status = Endorsement.Status.PENDING
    place = lookup_zip(endorsement.postal_code) if endorsement.postal_code else None
    if place is not None:
        endorsement.city = f"{place.city.title()}, {place.state}"
        endorsement.latitude, endorsement.longitude = place.latitude, place.longitude
    endorsement.save()
    return endorsement


@transaction.atomic
def review(*, actor: User, endorsement: Endorsement, approve: bool) -> Endorsement:
    """Approve an endorsement for the public page, or decline it."""
    endorsement = Endorsement.objects.select_for_update().select_related("resolution__group").get(pk=endorsement.pk)
    endorsement.status = Endorsement.Status.APPROVED if approve else Endorsement.Status.REJECTED
    endorsement.reviewed_by, endorsement.reviewed_at = actor, timezone.now()
    endorsement.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=endorsement, group=endorsement.resolution.group,
                 summary=f"{'Approved' if approve else 'Declined'} the endorsement by {endorsement.organization}")
    return endorsement


@dataclass
class Rollup:
    bodies: int
    members: int
    endorsements: list[Endorsement]


def rollup(resolution: Resolution) -> Rollup:
    """The approved endorsements: how many bodies, how many members they represent, and the list."""
    approved = resolution.endorsements.filter(status=Endorsement.Status.APPROVED).order_by("organization")
    totals = approved.aggregate(bodies=Count("pk"), members=Sum("members_represented"))
    return Rollup(bodies=totals["bodies"], members=totals["members"] or 0, endorsements=list(approved))


# --- what staff build: forms, petitions, resolutions, working groups, resource centers -------------
# `fields` are a staff form's cleaned data or an API body's, by model field name; validation is the door's.


def _askable(questions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions as given, once none of their wordings asks for what Turnout does not keep."""
    questions = list(questions)
    for row in questions:
        if not row.get("DELETE"):
            choices = row.get("choices") or ""
            refuse_question(*(row.get(name) or "" for name in ("label", "label_es")),
                            choices=choices.splitlines() if isinstance(choices, str) else choices)
    return questions


@transaction.atomic
def create_form(*, actor: User, group: Group, fields: dict[str, Any], questions: Iterable[dict[str, Any]] = (),
                request: HttpRequest | None = None) -> Form:
    """Build a sign-up form in `group`, with its questions (none that asks for what Turnout does
    not keep: DangerousQuestion, which the staff form says first)."""
    questions = _askable(questions)
    form = records.create(Form, actor=actor, fields=fields, summary="Built the form", request=request,
                          group=group, created_by=actor)
    records.save_rows(form, "questions", questions)
    return form


@transaction.atomic
def update_form(*, actor: User, form: Form, fields: dict[str, Any], questions: Iterable[dict[str, Any]] = (),
                request: HttpRequest | None = None) -> Form:
    """Change a form and add, change or remove its questions (as `create_form`)."""
    questions = _askable(questions)
    return records.update(form, actor=actor, fields=fields, rows={"questions": questions},
                          summary="Changed the form", request=request)


@transaction.atomic
def create_petition(*, actor: User, group: Group, fields: dict[str, Any],
                    request: HttpRequest | None = None) -> Petition:
    """Start a petition in `group`."""
    return records.create(Petition, actor=actor, fields=fields, summary="Started the petition", request=request,
                          group=group, created_by=actor)


@transaction.atomic
def update_petition(*, actor: User, petition: Petition, fields: dict[str, Any],
                    request: HttpRequest | None = None) -> Petition:
    """Change a petition's text, targets, goal or whether it takes signatures."""
    return records.update(petition, actor=actor, fields=fields, summary="Changed the petition", request=request)


@transaction.atomic
def create_resolution(*, actor: User, group: Group, fields: dict[str, Any],
                      request: HttpRequest | None = None) -> Resolution:
    """Publish a resolution that other bodies may endorse."""
    return records.create(Resolution, actor=actor, fields=fields, summary="Published the resolution",
                          request=request, group=group, created_by=actor)


@transaction.atomic
def update_resolution(*, actor: User, resolution: Resolution, fields: dict[str, Any],
                      request: HttpRequest | None = None) -> Resolution:
    """Change a resolution, its document or whether it takes endorsements."""
    return records.update(resolution, actor=actor, fields=fields, summary="Changed the resolution", request=request)


@transaction.atomic
def create_working_group(*, actor: User, group: Group, fields: dict[str, Any],
                         request: HttpRequest | None = None) -> WorkingGroup:
    """Start a working group people may join from its public page."""
    return records.create(WorkingGroup, actor=actor, fields=fields, summary="Started the working group",
                          request=request, group=group)


@transaction.atomic
def update_working_group(*, actor: User, working_group: WorkingGroup, fields: dict[str, Any],
                         request: HttpRequest | None = None) -> WorkingGroup:
    """Change a working group, its coordinator or whether it takes sign-ups."""
    return records.update(working_group, actor=actor, fields=fields, summary="Changed the working group",
                          request=request)
