"""Staff pages: build forms, petitions, resolutions and working groups; see
submissions (and export them, audited), signatures, endorsements to approve, who joined, and who
brought whom (turnout.sharing)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from turnout.accounts.models import Group, Role, User
from turnout.accounts.permissions import has_role, require_role_anywhere
from turnout.actions import services
from turnout.actions.forms import (
    FormForm,
    PetitionForm,
    QuestionFormSet,
    ResolutionForm,
    WorkingGroupForm,
)
from turnout.actions.models import (
    Endorsement,
    Form,
    Petition,
    Resolution,
    WorkingGroup,
)
from turnout.core import audit
from turnout.core.console import create_record, saved
from turnout.core.exports import csv_lines
from turnout.core.models import AuditEntry
from turnout.people.models import PhoneNumber
from turnout.sharing.console import leaders, publishing
from turnout.sharing.models import Referral


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _groups(user: User) -> QuerySet[Group]:
    return Group.objects.visible_to(user, Role.ORGANIZER)


def _mine(model: Any, request: HttpRequest, public_id: Any) -> Any:
    return get_object_or_404(model.objects.filter(group__in=_groups(_user(request))).select_related("group"),
                             public_id=public_id)


# --- forms ----------------------------------------------------------------------------------------


@login_required
@require_role_anywhere(Role.ORGANIZER)
def form_new(request: HttpRequest) -> HttpResponse:
    return create_record(request, FormForm(request.POST or None, user=_user(request)), create=services.create_form,
                         title=_("New form"))


@login_required
def form_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    action = _mine(Form, request, public_id)
    form = FormForm(request.POST or None, instance=action, user=_user(request), prefix="form")
    questions = QuestionFormSet(request.POST or None, instance=action, prefix="q")
    if done := saved(request, form, update=partial(services.update_form, form=action), questions=questions):
        return done
    submissions = action.submissions.select_related("person").order_by("-created_at")
    return render(request, "actions/form_detail.html", {
        "action": action, "form": form, "questions": questions, "count": submissions.count(),
        "recent": submissions[:50], **leaders(Referral.Kind.FORM, action.pk), **publishing(request, action, embeddable=True)})


@login_required
def form_export(request: HttpRequest, public_id: Any) -> StreamingHttpResponse:
    """Every submission as CSV: the person's name, contacts and each question's answer (audited)."""
    action = _mine(Form, request, public_id)
    labels = [q.label for q in action.questions.all()]
    submissions = action.submissions.select_related("person").prefetch_related("person__emails").order_by("created_at")
    phones = dict(PhoneNumber.objects.filter(person__submissions__form=action).values_list("person_id", "number"))
    audit.record(actor=_user(request), action=AuditEntry.Action.EXPORT, target=action, group=action.group,
                 summary=f"Exported the submissions of {action.title}", request=request)

    def rows() -> Any:
        yield ["submitted", "given_name", "family_name", "email", "phone", "zip", "source", *labels]
        for s in submissions.iterator(chunk_size=2000):
            email = next((e.address for e in s.person.emails.all()), "")
            yield [s.created_at.isoformat(), s.person.given_name, s.person.family_name, email,
                   phones.get(s.person_id, ""), s.person.postal_code, s.source,
                   *[s.answers.get(label, "") for label in labels]]

    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="submissions-{action.public_id}.csv"'
    return response


# --- petitions ------------------------------------------------------------------------------------


@login_required
@require_role_anywhere(Role.ORGANIZER)
def petition_new(request: HttpRequest) -> HttpResponse:
    return create_record(request, PetitionForm(request.POST or None, user=_user(request)),
                         create=services.create_petition, title=_("New petition"))


@login_required
def petition_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    petition = _mine(Petition, request, public_id)
    form = PetitionForm(request.POST or None, instance=petition, user=_user(request))
    if done := saved(request, form, update=partial(services.update_petition, petition=petition)):
        return done
    signatures = petition.signatures.select_related("person").order_by("-created_at")
    return render(request, "actions/petition_detail.html", {
        "petition": petition, "form": form, "count": signatures.count(), "recent": signatures[:50],
        **leaders(Referral.Kind.PETITION, petition.pk), **publishing(request, petition, embeddable=True)})


# --- resolutions ----------------------------------------------------------------------------------


@login_required
@require_role_anywhere(Role.ORGANIZER)
def resolution_new(request: HttpRequest) -> HttpResponse:
    return create_record(request, ResolutionForm(request.POST or None, request.FILES or None, user=_user(request)),
                         create=services.create_resolution, title=_("New resolution"))


@login_required
def resolution_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    resolution = _mine(Resolution, request, public_id)
    form = ResolutionForm(request.POST or None, request.FILES or None, instance=resolution, user=_user(request))
    if done := saved(request, form, update=partial(services.update_resolution, resolution=resolution)):
        return done
    endorsements = resolution.endorsements.order_by("status", "-created_at")
    return render(request, "actions/resolution_detail.html", {
        "resolution": resolution, "form": form, "rollup": services.rollup(resolution),
        "pending": [e for e in endorsements if e.status == Endorsement.Status.PENDING],
        "reviewed": [e for e in endorsements if e.status != Endorsement.Status.PENDING],
        **publishing(request, resolution)})


@login_required
@require_POST
def endorsement_review(request: HttpRequest, public_id: Any) -> HttpResponse:
    endorsement = get_object_or_404(Endorsement.objects.select_related("resolution", "resolution__group"),
                                    public_id=public_id)
    if not has_role(request.user, endorsement.resolution.group, Role.ORGANIZER):
        raise PermissionDenied
    approve = request.POST.get("decision") == "approve"
    services.review(actor=_user(request), endorsement=endorsement, approve=approve)
    flash.success(request, _("Approved: it is on the public page.") if approve else _("Declined."))
    return redirect(endorsement.resolution.get_absolute_url())


@login_required
def endorsement_document(request: HttpRequest, public_id: Any) -> FileResponse:
    """The document an organization sent with its endorsement, for the staff reviewing it."""
    endorsement = get_object_or_404(Endorsement.objects.select_related("resolution__group"), public_id=public_id)
    if not has_role(request.user, endorsement.resolution.group, Role.ORGANIZER) or not endorsement.document:
        raise Http404
    return FileResponse(endorsement.document.open("rb"), as_attachment=True)


# --- working groups -------------------------------------------------------------------------------


@login_required
@require_role_anywhere(Role.ORGANIZER)
def working_group_new(request: HttpRequest) -> HttpResponse:
    return create_record(request, WorkingGroupForm(request.POST or None, user=_user(request)),
                         create=services.create_working_group, title=_("New working group"))


@login_required
def working_group_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Its coordinator (even a volunteer host) and the group's organizers see who joined."""
    user = _user(request)
    working_group = get_object_or_404(WorkingGroup.objects.select_related("group", "coordinator"),
                                      public_id=public_id)
    organizer = has_role(user, working_group.group, Role.ORGANIZER)
    if not organizer and working_group.coordinator_id != user.pk:
        raise PermissionDenied
    form = WorkingGroupForm(request.POST or None, instance=working_group, user=user) if organizer else None
    if form is not None and (done := saved(request, form, update=partial(services.update_working_group,
                                                                         working_group=working_group))):
        return done
    phones = dict(PhoneNumber.objects.filter(person__working_groups__working_group=working_group)
                  .values_list("person_id", "number"))
    members = [(m, phones.get(m.person_id, "")) for m in
               working_group.members.select_related("person").order_by("-joined_at")]
    audit.record(actor=user, action=AuditEntry.Action.VIEW, target=working_group, group=working_group.group,
                 summary=f"Viewed the members of {working_group.name}", request=request)
    return render(request, "actions/working_group_detail.html", {
        "working_group": working_group, "form": form, "members": members,
        **leaders(Referral.Kind.WORKING_GROUP, working_group.pk), **publishing(request, working_group, embeddable=True)})
