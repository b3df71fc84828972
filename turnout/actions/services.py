"""Taking public actions (form submissions, petition signatures, working-group sign-ups,
endorsements), crediting whoever shared the link (turnout.sharing), and the counts staff and the
public see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from turnout.accounts.models import User
from turnout.actions.models import (
    Endorsement,
    Form,
    Petition,
    PetitionSignature,
    Resolution,
    Submission,
    WorkingGroup,
    WorkingGroupMember,
)
from turnout.core import audit
from turnout.core.geo import lookup_zip
from turnout.core.models import AuditEntry
from turnout.events import services as events
from turnout.events.services import RsvpRequest
from turnout.people.models import Person
from turnout.people.services import add_tag
from turnout.sharing.models import Referral
from turnout.sharing.services import credit

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


def _person(group: Any, request: RsvpRequest, detail: str) -> Person:
    try:
        email, phone = events.contacts(request.email, request.phone)
    except events.EventError as exc:
        raise ActionError(str(exc)) from None
    return events.signed_up(group, request, email, phone, detail)


# --- forms ----------------------------------------------------------------------------------------


def submit(form: Form, request: RsvpRequest, *, ref: str = "", source: str = "form") -> tuple[Submission, bool]:
    """A submission from the public page, an embed or the API: (submission, created). The same
    person again within a few minutes updates their submission; the answer looks the same either
    way, so a form never tells whether someone was already known."""
    if not form.is_open:
        raise ActionError(_("This form is closed."))

    def act() -> tuple[Submission, bool]:
        person = _person(form.group, request, f"Form: {form.title}")
        recent = Submission.objects.filter(form=form, person=person,
                                           created_at__gte=timezone.now() - DUPLICATE_WINDOW).first()
        if recent is not None:
            recent.answers = request.answers or {}
            recent.save(update_fields=["answers"])
            return recent, False
        submission = Submission.objects.create(form=form, person=person, answers=request.answers or {},
                                               source=source)
        for name in form.tag_names():
            add_tag(person=person, group=form.group, name=name)
        credit(code=ref, person=person, kind=Referral.Kind.FORM, action_id=form.pk)
        if form.autoresponse_body:
            from turnout.actions.tasks import send_autoresponse

            submission_id = submission.pk
            transaction.on_commit(lambda: send_autoresponse.enqueue(submission_id=submission_id))
        return submission, True

    return _twice(act)


def autorespond(*, submission_id: int) -> None:
    """The form's autoresponse to the person who submitted it: by email, and by text where they agreed."""
    from turnout.messaging import sending

    submission = Submission.objects.select_related("form", "form__group", "person").filter(pk=submission_id).first()
    if submission is None or not submission.form.autoresponse_body:
        return
    form = submission.form
    spanish = submission.person.language == "es" and form.autoresponse_body_es
    body = form.autoresponse_body_es if spanish else form.autoresponse_body
    with translation.override("es" if spanish else "en"):
        subject = form.autoresponse_subject or _("Thank you: %(title)s") % {"title": form.title}
    sending.answer_person(group=form.group, person=submission.person, subject=subject, body=body,
                          topic=f"form:{form.pk}:autoresponse", reason="answer to the person's own form submission")


# --- petitions ------------------------------------------------------------------------------------


def sign_petition(petition: Petition, request: RsvpRequest, *, comment: str = "", show_name: bool = False,
                  ref: str = "", source: str = "form") -> tuple[PetitionSignature, bool]:
    """One signature per person; signing again keeps the first (a new comment replaces the old)."""
    if not petition.is_open:
        raise ActionError(_("This petition is no longer taking signatures."))

    def act() -> tuple[PetitionSignature, bool]:
        person = _person(petition.group, request, f"Petition: {petition.title}")
        place = lookup_zip(request.postal_code) if request.postal_code else None
        signature, created = PetitionSignature.objects.get_or_create(
            petition=petition, person=person,
            defaults={"comment": comment, "show_name": show_name, "city": place.city.title() if place else "",
                      "source": source})
        if not created and comment and comment != signature.comment:
            signature.comment = comment
            signature.save(update_fields=["comment"])
        if created:
            credit(code=ref, person=person, kind=Referral.Kind.PETITION, action_id=petition.pk)
        return signature, created

    return _twice(act)


def public_signers(petition: Petition, limit: int = 20) -> list[tuple[str, str]]:
    """Recent signers who agreed to be shown: first name and city only."""
    rows = (petition.signatures.filter(show_name=True).select_related("person").order_by("-created_at")[:limit])
    return [(row.person.given_name, row.city) for row in rows]


# --- working groups -------------------------------------------------------------------------------


def join_working_group(working_group: WorkingGroup, request: RsvpRequest, *,
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


def review(*, actor: User, endorsement: Endorsement, approve: bool) -> Endorsement:
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
