from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from turnout.accounts.models import Group, Role
from turnout.accounts.permissions import require_role_anywhere
from turnout.actions.models import Endorsement, Form, Petition, Resolution, WorkingGroup
from turnout.hubs.models import Hub
from turnout.mobilization.models import Pledge
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
    })


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
