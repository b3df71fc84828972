from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
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
    people = Person.objects.visible_to(request.user)
    standing = Membership.objects.filter(group__in=Group.objects.visible_to(request.user)).values("person").distinct()
    # A member count is a figure a union reports and bargains with: members are counted apart
    # from the supporters public pages bring in.
    return render(request, "core/dashboard.html", {
        "groups": groups,
        "people_count": people.count(),
        "member_count": standing.filter(status=Membership.Status.MEMBER).count(),
        "supporter_count": standing.filter(status=Membership.Status.SUPPORTER).count(),
        "imports": ImportJob.objects.filter(group__in=Group.objects.visible_to(request.user)).select_related("group")[:5],
    })


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
