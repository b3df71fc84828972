from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from turnout.accounts.models import Group, Role
from turnout.accounts.permissions import require_role_anywhere
from turnout.actions.models import (
    ActionIntake,
    Endorsement,
    Form,
    Petition,
    Resolution,
    WorkingGroup,
)
from turnout.core.models import Intake
from turnout.events.models import RsvpIntake
from turnout.hubs.models import Hub
from turnout.mobilization.models import Pledge, PledgeIntake
from turnout.people.models import ImportJob, Membership, Person


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    groups = Group.objects.visible_to(request.user).annotate(
        members=Count("memberships", filter=Q(memberships__status=Membership.Status.MEMBER)),
        supporters=Count("memberships", filter=Q(memberships__status=Membership.Status.SUPPORTER)),
        people=Count("memberships"),
    ).order_by("path")
    standing = Membership.objects.visible_to(request.user).values("person").distinct()
    members = standing.filter(status=Membership.Status.MEMBER)
    # A member count is a figure a union reports and bargains with: members are counted apart
    # from the supporters public pages bring in.
    return render(request, "site/dashboard.html", {
        "groups": groups,
        "people_count": Person.objects.visible_to(request.user).count(),
        "member_count": members.count(),
        # Someone who is a member in one of the reader's groups is counted a member, not twice.
        "supporter_count": standing.filter(status=Membership.Status.SUPPORTER).exclude(
            person__in=members.values("person")).count(),
        "imports": ImportJob.objects.visible_to(request.user).select_related("group")[:5],
        **_failed_forms(request.user),
    })


# Failed forms listed on the home page; the count covers them all.
FAILED_SHOWN = 20


def _failed_forms(user: Any) -> dict[str, Any]:
    """Public forms (RSVPs, sign-up forms, petitions, pledges) of the organizer's groups that the
    worker could not settle however often it tried (`people.intake.note_failure`): the person was
    told they were in, so someone has to act on what they typed, kept with each."""
    groups = Group.objects.visible_to(user, Role.ORGANIZER)
    if not groups.exists():
        return {"failed_count": 0, "failed_forms": []}
    rsvps = RsvpIntake.objects.filter(outcome=RsvpIntake.Outcome.FAILED, event__group__in=groups)
    actions = ActionIntake.objects.filter(Q(form__group__in=groups) | Q(petition__group__in=groups),
                                          outcome=Intake.Outcome.FAILED)
    pledges = PledgeIntake.objects.filter(outcome=Intake.Outcome.FAILED, pledge__group__in=groups)
    shown: list[tuple[Any, Any]] = [(i.event, i) for i in rsvps.select_related("event").order_by("-pk")[:FAILED_SHOWN]]
    shown += [(i.form or i.petition, i) for i in actions.select_related("form", "petition").order_by("-pk")[:FAILED_SHOWN]]
    shown += [(i.pledge, i) for i in pledges.select_related("pledge").order_by("-pk")[:FAILED_SHOWN]]
    shown.sort(key=lambda pair: pair[1].received_at, reverse=True)
    return {"failed_count": rsvps.count() + actions.count() + pledges.count(),
            "failed_forms": [{"page": page, "received_at": form.received_at, "reason": form.reason,
                              "typed": " · ".join(str(form.data[k]) for k in TYPED if form.data.get(k))}
                             for page, form in shown[:FAILED_SHOWN]]}


# What the person typed that staff need to reach them and redo the act by hand.
TYPED = ("given_name", "family_name", "email", "phone", "postal_code")


@login_required
@require_role_anywhere(Role.VIEWER)
def actions(request: HttpRequest) -> HttpResponse:
    """The Actions page: everything a group publishes for people to act on, whichever app owns it
    (forms, petitions, resolutions and working groups are actions'; pledges are mobilization's;
    resource centers gather them all)."""
    user = request.user
    groups = Group.objects.visible_to(user, Role.ORGANIZER)
    return render(request, "actions/home.html", {
        "forms": Form.objects.visible_to(user, Role.ORGANIZER).annotate(n=Count("submissions")).select_related("group"),
        "petitions": Petition.objects.visible_to(user, Role.ORGANIZER).annotate(n=Count("signatures")).select_related("group"),
        "pledges": Pledge.objects.visible_to(user, Role.ORGANIZER).annotate(n=Count("signatures")).select_related("group"),
        "resolutions": Resolution.objects.visible_to(user, Role.ORGANIZER).annotate(
            approved=Count("endorsements", filter=Q(endorsements__status=Endorsement.Status.APPROVED)),
            pending=Count("endorsements", filter=Q(endorsements__status=Endorsement.Status.PENDING))),
        "working_groups": WorkingGroup.objects.filter(Q(group__in=groups) | Q(coordinator=user)).annotate(
            n=Count("members")).select_related("group", "coordinator"),
        "hubs": Hub.objects.visible_to(user, Role.ORGANIZER).select_related("group"),
        "can_build": groups.exists()})
