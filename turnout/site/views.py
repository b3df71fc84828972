from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from turnout.accounts.models import Group
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
