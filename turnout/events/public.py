"""Public pages, no account: an event and its RSVP form, a person's own RSVP, finding events, campaigns."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from turnout.core.abuse import refused
from turnout.events import calendar, services
from turnout.events.forms import (
    CampaignRsvpForm,
    FindForm,
    HostProposalForm,
    event_rsvp_form,
)
from turnout.events.models import (
    POSTED,
    Event,
    EventCampaign,
    Rsvp,
    RsvpIntake,
    Status,
    Visibility,
)
from turnout.people.services import UnknownZip
from turnout.sharing import services as sharing
from turnout.sharing.public import share_context

OPEN = (Status.SCHEDULED, Status.STANDBY, Status.CANCELLED, Status.COMPLETED)


def _public_event(public_id: Any) -> Event:
    return _shown(get_object_or_404(Event.objects.select_related("group", "campaign"), public_id=public_id))


def _posted_event(public_id: Any) -> Event:
    """The event a form is sent to, without its campaign, kept in this process for a few
    seconds (its group, named in the consent box, is read once with it): a rally's crowd sends
    hundreds of forms a second to one event. Saving the event forgets it, and every RSVP is made under the event's current rules (the worker, and the seat
    count, read it again), so a change made in another process is at most told a few seconds late."""
    return _shown(POSTED.get(public_id, lambda: get_object_or_404(Event.objects.select_related("group"),
                                                                public_id=public_id)))


def _shown(event: Event) -> Event:
    if event.status == Status.DRAFT or event.awaiting_approval:
        raise Http404  # drafts and sites waiting for approval are reached through the console
    return event


def _check_your_messages(request: HttpRequest, event: Event, embed: bool = False) -> HttpResponse:
    """The answer to a form that matched someone already signed up, or to a members-only event:
    the same for everyone, so it tells the sender nothing about who is signed up or a member."""
    return render(request, "events/public_check.html", {
        "event": event, "base": "sharing/base_embed.html" if embed else "base.html"})


def event_page(request: HttpRequest, public_id: Any, embed: bool = False) -> HttpResponse:
    """The event and its RSVP form; embedded (…/embed/) on another site, the answer is shown in
    the frame with a link to the person's own RSVP page."""
    # A form sent in needs only the event's own row (the page shown again reads the rest as needed).
    event = _posted_event(public_id) if request.method == "POST" else _public_event(public_id)
    form = event_rsvp_form(event, request.POST or None)
    ref = sharing.referral_code(request)
    if request.method == "POST" and not refused(request, form) and form.is_valid():
        if form.cleaned_data.get("website"):
            return redirect(event.public_url())  # a bot filled the hidden field: nothing is stored
        if not embed and services.takes_intake(event, form.shifts):
            # No seat to decide: the person is answered now, a worker makes their RSVP (as fast as a
            # rally's crowd sends the form), and their link shows it as soon as it exists.
            try:
                key = services.rsvp_later(event, form.intake_data("form", ref))
            except services.EventError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("public_rsvp", key)
        try:
            answer, created = services.rsvp(event, form.person_request("embed" if embed else "form"))
        except UnknownZip:
            form.add_error("postal_code", _("We do not know this ZIP code."))
        except services.EventError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                sharing.credit(code=ref, person=answer.person, kind="event", action_id=event.pk)
            if not created or event.visibility == Visibility.MEMBERS:
                return _check_your_messages(request, event, embed)
            if embed:
                return render(request, "events/embed_answer.html", {
                    "base": "sharing/base_embed.html", "embed": True, "event": event, "answer": answer,
                    "link": request.build_absolute_uri(answer.get_absolute_url())})
            return redirect(answer.get_absolute_url())
    counts = services.counts(event)
    full = event.capacity is not None and counts["going"] >= event.capacity
    return render(request, "events/public_event.html", {
        "base": "sharing/base_embed.html" if embed else "base.html", "embed": embed, "ref": ref,
        "og": {"title": event.title, "description": f"{services.when_text(event)}. {event.description}",
               "url": request.build_absolute_uri(event.public_url())},
        "event": event, "form": form, "full": full, "counts": counts,
        "taking_rsvps": event.status in (Status.SCHEDULED, Status.STANDBY)
        and event.starts_at > timezone.now() - timedelta(hours=6),
        "when": services.when_text(event),
        "other_dates": [(e, services.when_text(e)) for e in services.occurrences(event)]})


def _rsvps() -> Any:
    return Rsvp.objects.select_related("event", "person", "shift", "event__group")


def _answer(key: str) -> Rsvp:
    """The RSVP behind a person's own link; a form still waiting for the worker is settled now."""
    answer = _rsvps().filter(key=key).first()
    if answer is None:
        intake = get_object_or_404(RsvpIntake, key=key)
        services.settle(intake.pk)
        answer = get_object_or_404(_rsvps(), key=key)
    return answer


def rsvp_page(request: HttpRequest, key: str) -> HttpResponse:
    """The person's own page: where they stand, the join link once going, calendar, cancel."""
    answer = _rsvps().filter(key=key).first()
    if answer is None:
        return _intake_page(request, key)
    event = answer.event
    return render(request, "events/public_rsvp.html", {
        **share_context(request, event, answer.person, event.title),
        "answer": answer, "event": event, "seated": answer.status == Rsvp.Status.GOING, "when": services.when_text(
            event, answer.shift.starts_at if answer.shift else None)})


def _intake_page(request: HttpRequest, key: str) -> HttpResponse:
    """The answer to a form the worker has not settled yet: going (the event has no limit), with
    the join link and calendar; once settled, what became of it. A form that named someone already
    signed up gets the same answer as any repeated form."""
    intake = get_object_or_404(RsvpIntake.objects.select_related("event", "event__group"), key=key)
    event = intake.event
    if intake.outcome == RsvpIntake.Outcome.EXISTING:
        return _check_your_messages(request, event)
    shift = event.shifts.filter(pk=intake.data["shift_id"]).first() if intake.data.get("shift_id") else None
    return render(request, "events/public_intake.html", {
        **share_context(request, event, None, event.title), "intake": intake, "event": event, "shift": shift,
        "seated": intake.outcome != RsvpIntake.Outcome.REFUSED,
        "when": services.when_text(event, shift.starts_at if shift else None)})


@require_POST
def cancel_rsvp(request: HttpRequest, key: str) -> HttpResponse:
    answer = _answer(key)
    services.cancel_rsvp(answer)
    flash.info(request, _("You are no longer signed up. Thank you for letting us know."))
    return redirect(answer.get_absolute_url())


def _ics_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


def event_ics(request: HttpRequest, public_id: Any) -> HttpResponse:
    event = _public_event(public_id)
    return _ics_response(calendar.ics(event), "event")


def rsvp_ics(request: HttpRequest, key: str) -> HttpResponse:
    answer = _answer(key)
    return _ics_response(calendar.ics(answer.event, answer), "event")


def find(request: HttpRequest) -> HttpResponse:
    """Upcoming public events near a ZIP, nearest first, each at its own local time."""
    form = FindForm(request.GET or None)
    events = services.public_events().select_related("campaign")
    rows: list[tuple[Event, float | None]] = []
    if form.is_valid():
        if form.cleaned_data.get("date"):
            events = events.filter(starts_at__date__gte=form.cleaned_data["date"])
        if form.cleaned_data.get("kind"):
            events = events.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data.get("zip"):
            # Distance is for events in person; an online event is as near to everyone, so a ZIP
            # search lists the online ones too (after those nearby), unless only in person is asked.
            try:
                rows = [(e, d) for e, d in services.nearest(events.exclude(kind=Event.Kind.VIRTUAL),
                                                               form.cleaned_data["zip"],
                                                               form.cleaned_data.get("miles") or 25)]
            except services.EventError as exc:
                form.add_error("zip", str(exc))
            else:
                rows += [(e, None) for e in events.filter(kind=Event.Kind.VIRTUAL).order_by("starts_at")[:200]]
        else:
            rows = [(e, None) for e in events[:200]]
    else:
        rows = [(e, None) for e in events[:200]]
    listed = [(e, d, services.when_text(e)) for e, d in rows]
    return render(request, "events/find.html", {
        "form": form, "rows": listed, "points": _points(listed), "searched": bool(request.GET.get("zip"))})


def _points(rows: list[tuple[Event, float | None, str]]) -> list[dict[str, Any]]:
    """Map markers: only what the list beside the map already shows."""
    return [{"lat": e.latitude, "lng": e.longitude, "title": e.title, "url": e.public_url(), "when": when}
            for e, _d, when in rows if e.latitude is not None and e.longitude is not None]


def campaign_page(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = get_object_or_404(EventCampaign.objects.exclude(status=Status.DRAFT), public_id=public_id)
    sites = services.open_sites(campaign)
    rsvp_form = CampaignRsvpForm(request.POST if "rsvp" in request.POST else None, prefix="rsvp",
                                 group=campaign.group)
    host_form = HostProposalForm(request.POST if "host" in request.POST else None, prefix="host",
                                 group=campaign.group)
    if request.method == "POST":
        if "rsvp" in request.POST and rsvp_form.is_valid() and not rsvp_form.cleaned_data.get("website"):
            try:
                answer, created = services.campaign_rsvp(campaign, rsvp_form.person_request("campaign"))
            except (services.EventError, UnknownZip) as exc:
                rsvp_form.add_error("postal_code", str(exc) or _("We do not know this ZIP code."))
            else:
                if not created:
                    return _check_your_messages(request, answer.event)
                return redirect(answer.get_absolute_url())
        if "host" in request.POST and host_form.is_valid() and not host_form.cleaned_data.get("website"):
            data = host_form.cleaned_data
            try:
                event = services.propose_site(campaign, host_form.person_request("campaign"), venue=data["venue"],
                                              address=data["address"], site_zip=data["site_zip"],
                                              capacity=data["capacity"])
            except (services.EventError, UnknownZip) as exc:
                host_form.add_error("site_zip", str(exc) or _("We do not know this ZIP code."))
            else:
                if event.awaiting_approval:
                    flash.success(request, _("Thank you! An organizer will look at your site and write to you."))
                else:
                    flash.success(request, _("Your site is live. Your host link is on its way to you."))
                return redirect(campaign.public_url())
    zip_code = request.GET.get("zip", "").strip()
    rows: list[tuple[Event, float | None]]
    error = ""
    if zip_code:
        try:
            rows = [(e, d) for e, d in services.nearest(sites, zip_code)[:10]]
        except services.EventError as exc:
            rows, error = [], str(exc)
    else:
        rows = [(e, None) for e in sites.order_by("region", "locality")]
    listed = [(e, d, services.when_text(e)) for e, d in rows]
    return render(request, "events/public_campaign.html", {
        "og": {"title": campaign.title, "description": campaign.description,
               "url": request.build_absolute_uri(campaign.public_url())},
        "campaign": campaign, "rows": listed, "zip": zip_code, "error": error, "total": sites.count(),
        "points": _points(listed), "rsvp_form": rsvp_form, "host_form": host_form,
        "taking_hosts": bool(campaign.local_date and campaign.local_start)})
