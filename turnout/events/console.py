"""Staff pages: events and campaigns of the groups the user can see; rosters; cancelling."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from turnout.accounts.models import Role, User
from turnout.accounts.permissions import has_role, require_role_anywhere
from turnout.core import audit
from turnout.core.console import BadId, chosen
from turnout.core.models import AuditEntry
from turnout.events import services
from turnout.events.forms import (
    CampaignForm,
    EventForm,
    HostForm,
    QuestionForm,
    ShiftForm,
    SiteForm,
)
from turnout.events.models import Event, EventCampaign, Rsvp, Status
from turnout.sharing.console import leaders, publishing


def _events(user: User) -> QuerySet[Event]:
    return Event.objects.visible_to(user).select_related("group", "campaign")


def _campaigns(user: User) -> QuerySet[EventCampaign]:
    return EventCampaign.objects.visible_to(user).select_related("group")


def _going_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.annotate(going=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.GOING)),
                           waiting=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.WAITLIST)))


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    events = _events(user).filter(campaign__isnull=True)
    campaigns = _campaigns(user).annotate(sites=Count("events"))
    return render(request, "events/list.html", {"events": _one_row_a_series(events), "campaigns": campaigns})


def _one_row_a_series(events: QuerySet[Event], limit: int = 200) -> list[tuple[Event, str, dict[str, Any] | None]]:
    """The list's rows, newest first: each event on its own, and each repeating series once, as its
    next date to come (its last when all have passed) with how many dates it has and has to come."""
    now = timezone.now()
    per_series = events.filter(series__isnull=False).order_by().values("series").annotate(
        dates=Count("pk"), to_come=Count("pk", filter=Q(starts_at__gte=now)),
        next=Min("starts_at", filter=Q(starts_at__gte=now)), last=Max("starts_at"))
    series: dict[Any, dict[str, Any]] = {row["series"]: dict(row) for row in per_series}
    shown = Q(series__isnull=True)
    for key, row in series.items():
        shown |= Q(series=key, starts_at=row["next"] or row["last"])
    rows = []
    seen: set[Any] = set()
    for event in _going_counts(events.filter(shown)).order_by("-starts_at")[:limit]:
        if event.series is not None and event.series in seen:
            continue  # two dates of a series at one instant: one row still
        seen.add(event.series)
        rows.append((event, services.when_text(event), series.get(event.series)))
    return rows


def _save_from_form(request: HttpRequest, form: EventForm) -> Event | None:
    event: Event = form.save(commit=False)
    if event.kind == Event.Kind.IN_PERSON or event.postal_code:
        try:
            services.place_event(event)
        except services.EventError as exc:
            form.add_error("postal_code", str(exc))
            return None
    event.starts_at, event.ends_at = form.local_times(event.time_zone)
    event.reminders = form.cleaned_data["reminder_hours"]
    if event.created_by_id is None:
        event.created_by = request.user  # type: ignore[assignment]
    try:
        made = services.save_with_repeats(actor=request.user, event=event,  # type: ignore[arg-type]
                                          rule=form.cleaned_data.get("repeats") or "",
                                          until=form.cleaned_data.get("repeat_until"))
    except services.EventError as exc:
        form.add_error("end", str(exc))
        return None
    if made:
        flash.info(request, _("%(n)s more dates added, each with its own RSVPs.") % {"n": len(made)})
    return event


@login_required
@require_role_anywhere(Role.ORGANIZER)
def event_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = EventForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid() and (event := _save_from_form(request, form)):
        flash.success(request, _("Event saved. Share its page to get RSVPs."))
        return redirect(event)
    return render(request, "events/form.html", {"form": form, "creating": True})


def _event(request: HttpRequest, public_id: Any, write: bool = False) -> Event:
    event = get_object_or_404(_events(request.user), public_id=public_id)  # type: ignore[arg-type]
    if write and not has_role(request.user, event.group, Role.ORGANIZER):
        raise PermissionDenied
    return event


@login_required
def event_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    event = _event(request, public_id, write=True)
    form = EventForm(request.POST or None, instance=event, user=request.user)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid() and _save_from_form(request, form):
        flash.success(request, _("Event saved. People going were told of any change of time or place."))
        return redirect(event)
    return render(request, "events/form.html", {"form": form, "event": event})


@login_required
def event_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    event = _event(request, public_id)
    can_edit = has_role(request.user, event.group, Role.ORGANIZER)
    shift_form = ShiftForm(request.POST if "shift" in request.POST else None)
    question_form = QuestionForm(request.POST if "question" in request.POST else None)
    host_form = HostForm(request.POST if "host" in request.POST else None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if "host" in request.POST and host_form.is_valid():
            data = host_form.cleaned_data
            try:
                host = services.add_host(actor=request.user, event=event, given_name=data["given_name"],  # type: ignore[arg-type]
                                         email=data["email"], phone=data["phone"])
            except services.EventError as exc:
                host_form.add_error(None, str(exc))
            else:
                flash.success(request, _("%(name)s is a host; their host link is on its way.")
                              % {"name": host.display_name})
                return redirect(event)
        if "shift" in request.POST and shift_form.is_valid():
            services.add_shift(actor=request.user, event=event, **shift_form.cleaned_data)  # type: ignore[arg-type]
            flash.success(request, _("Shift added."))
            return redirect(event)
        if "question" in request.POST and question_form.is_valid():
            services.add_question(actor=request.user, event=event, **question_form.cleaned_data)  # type: ignore[arg-type]
            flash.success(request, _("Question added."))
            return redirect(event)
    rsvps = event.rsvps.select_related("person", "shift").order_by("status", "created_at")
    audit.record(actor=request.user, action=AuditEntry.Action.VIEW, target=event,  # type: ignore[arg-type]
                 summary="Viewed the event's roster", group=event.group)

    return render(request, "events/detail.html", {
        **publishing(request, event, embeddable=True), **leaders("event", event.pk),
        "event": event, "rsvps": rsvps, "counts": services.counts(event), "when": services.when_text(event),
        "can_edit": can_edit, "shift_form": shift_form, "question_form": question_form, "host_form": host_form,
        "hosts": event.hosts.all(),
        "shifts": [(s, services.when_text(event, s.starts_at)) for s in event.shifts.all()],
        "questions": event.questions.all()})


@login_required
@require_POST
def give_seat(request: HttpRequest, public_id: Any, rsvp_id: Any) -> HttpResponse:
    event = _event(request, public_id, write=True)
    answer = get_object_or_404(event.rsvps.select_related("person"), public_id=rsvp_id)
    services.give_seat(actor=request.user, answer=answer)  # type: ignore[arg-type]
    flash.success(request, _("%(name)s has a seat and is being told.") % {"name": answer.person.display_name})
    return redirect(event)


@login_required
def event_cancel(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Cancelling tells everyone going or waiting, so it takes two steps: this page says how many
    people will be told and how, and only its own confirming button cancels."""
    event = _event(request, public_id, write=True)
    note = request.POST.get("note", "")[:300]
    if event.status == Status.CANCELLED:
        flash.info(request, _("This event is already cancelled."))
        return redirect(event)
    if request.method == "POST" and request.POST.get("confirm") == "cancel":
        told = services.cancel_event(actor=request.user, event=event, note=note)  # type: ignore[arg-type]
        flash.success(request, ngettext("Cancelled. %(n)s person was told.", "Cancelled. %(n)s people were told.",
                                        told) % {"n": told})
        return redirect(event)
    return render(request, "events/cancel.html", {
        "event": event, "when": services.when_text(event), "note": note, "reach": services.cancel_reach(event),
        "unconfirmed": request.method == "POST"})


@login_required
@require_role_anywhere(Role.ORGANIZER)
def campaign_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CampaignForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        campaign = services.create_campaign(actor=user, group=fields.pop("group"), fields=fields)
        return redirect(campaign)
    return render(request, "events/campaign_form.html", {"form": form})


@login_required
def campaign_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(request.user), public_id=public_id)  # type: ignore[arg-type]
    can_edit = has_role(request.user, campaign.group, Role.ORGANIZER)
    form = SiteForm(request.POST if "site" in request.POST else None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if "approve" in request.POST:
            try:
                proposed = chosen(campaign.events.filter(awaiting_approval=True), request.POST["approve"],
                                  what=_("site waiting for approval"))
            except BadId as exc:
                return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
            services.approve_site(actor=request.user, event=proposed,  # type: ignore[arg-type]
                                  trust_hosts=bool(request.POST.get("trust")))
            flash.success(request, _("Site approved: %(title)s. Its hosts were sent their host link.")
                          % {"title": proposed.title})
            return redirect(campaign)
        if form.is_valid():
            data = form.cleaned_data
            if not campaign.local_date or not campaign.local_start:
                form.add_error(None, _("Give the campaign a date and a local start time first."))
            else:
                try:
                    user: User = request.user  # type: ignore[assignment]
                    event = services.add_site(actor=user, campaign=campaign, event=Event(
                        group=campaign.group, title=data["title"], venue=data["venue"], address=data["address"],
                        postal_code=data["postal_code"], capacity=data["capacity"], created_by=user))
                except services.EventError as exc:
                    form.add_error("postal_code", str(exc))
                else:
                    flash.success(request, _("Site added: %(title)s.") % {"title": event.title})
                    return redirect(campaign)
    try:
        threshold = max(1, int(request.GET.get("under", 10)))
    except ValueError:
        threshold = 10
    sites = _going_counts(campaign.events.filter(awaiting_approval=False)).annotate(
        host_count=Count("hosts", distinct=True)).order_by("region", "locality")
    listed = [(e, services.when_text(e)) for e in sites]
    by_state = (sites.order_by().values("region").annotate(sites=Count("pk", distinct=True))
                .order_by("-sites", "region"))
    going_by_state = dict(Rsvp.objects.filter(event__campaign=campaign, status=Rsvp.Status.GOING)
                          .values_list("event__region").annotate(n=Count("pk")).values_list("event__region", "n"))
    per_day = list(Rsvp.objects.filter(event__campaign=campaign, status=Rsvp.Status.GOING)
                   .annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("pk")).order_by("day"))
    busiest = max((row["n"] for row in per_day), default=1)
    return render(request, "events/campaign_detail.html", {
        "campaign": campaign, "form": form, "can_edit": can_edit, "sites": listed, "threshold": threshold,
        "proposals": campaign.events.filter(awaiting_approval=True).prefetch_related("hosts"),
        "states": [(row["region"] or "—", row["sites"], going_by_state.get(row["region"], 0)) for row in by_state],
        "without_host": [e for e, _w in listed if not e.host_count],  # type: ignore[attr-defined]
        "under": [e for e, _w in listed if e.going < threshold],  # type: ignore[attr-defined]
        "per_day": [(row["day"], row["n"], round(100 * row["n"] / busiest)) for row in per_day],
        "total_going": sum(e.going for e, _w in listed),  # type: ignore[attr-defined]
        "points": [{"lat": e.latitude, "lng": e.longitude, "title": e.title, "url": e.get_absolute_url(), "when": w}
                   for e, w in listed if e.latitude is not None]})
