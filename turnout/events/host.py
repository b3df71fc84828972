"""Host tools, through the host's secret link: the roster on a phone, check-in that works offline,
walk-ins, and a text to everyone going.

Check-ins and walk-ins made offline wait in the phone's storage and are sent when it is back
online. Each carries an id made on the phone, so sending the same one twice (a retry after a
dropped connection) changes nothing the second time.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.events import services
from turnout.events.forms import sms_consent_text
from turnout.events.models import Event, Rsvp, Status
from turnout.people.services import UnknownZip


def _event(key: str) -> Event:
    return get_object_or_404(Event.objects.select_related("group"), host_key=key)


def roster(request: HttpRequest, key: str) -> HttpResponse:
    event = _event(key)
    rsvps = (event.rsvps.exclude(status=Rsvp.Status.CANCELLED).select_related("person", "shift")
             .order_by("person__family_name", "person__given_name"))
    audit.record(actor=None, action=AuditEntry.Action.VIEW, target=event, group=event.group,
                 summary="A host opened the roster through the host link")
    return render(request, "events/host.html", {"event": event, "rsvps": rsvps, "counts": services.counts(event),
                                                "when": services.when_text(event),
                                                "consent_text": sms_consent_text()})


SERVICE_WORKER = """// Keeps the host's roster page usable when the phone has no signal: the page is fetched from the
// network when possible and from this cache when not. Check-ins themselves wait in the page's storage.
const CACHE = "turnout-host-v1";
self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) { const copy = response.clone(); caches.open(CACHE).then((c) => c.put(event.request, copy)); }
    return response;
  }).catch(() => caches.match(event.request, {ignoreSearch: true})));
});
"""


def service_worker(request: HttpRequest, key: str) -> HttpResponse:
    """Served under the host's own path, so it controls only that event's host pages."""
    _event(key)
    response = HttpResponse(SERVICE_WORKER, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@csrf_exempt  # the host's secret link is the credential, not a cookie; a phone offline for hours has no fresh token
@require_POST
def sync(request: HttpRequest, key: str) -> JsonResponse:
    """Apply check-ins and walk-ins queued on the host's phone: {"checkins": [{"id", "rsvp", "at"}],
    "walkins": [{"id", "given_name", "family_name", "email", "phone", "sms_consent", "at"}]}.
    Answers with the ids it has applied (now or before), so the phone can forget them."""
    event = _event(key)
    try:
        data = json.loads(request.body)
        checkins, walkins = list(data.get("checkins", [])), list(data.get("walkins", []))
    except (ValueError, TypeError, AttributeError):
        return JsonResponse({"error": "Send JSON with checkins and walkins lists."}, status=400)
    applied, problems = [], []
    for item in checkins:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        if check_in(event, str(item.get("rsvp", "")), _when(item.get("at"))):
            applied.append(str(item["id"]))
        else:
            problems.append({"id": str(item["id"]), "error": _("Not on this event's list.")})
    for item in walkins:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        try:
            walk_in(event, item)
        except (services.EventError, UnknownZip, ValueError) as exc:
            problems.append({"id": str(item["id"]), "error": str(exc) or _("Could not add this person.")})
        else:
            applied.append(str(item["id"]))
    return JsonResponse({"applied": applied, "problems": problems, "counts": services.counts(event)})


def _when(value: Any) -> Any:
    moment = parse_datetime(str(value)) if value else None
    now = timezone.now()
    return moment if moment is not None and moment.tzinfo is not None and moment <= now else now


@transaction.atomic
def check_in(event: Event, rsvp_key: str, at: Any) -> bool:
    """Mark someone arrived; the first check-in's time stands. False when the RSVP is not this event's."""
    answer = Rsvp.objects.select_for_update().filter(event=event, key=rsvp_key).first()
    if answer is None:
        return False
    if answer.checked_in_at is None:
        answer.checked_in_at = at
        if answer.status != Rsvp.Status.GOING:
            answer.status = Rsvp.Status.GOING  # they came: they are in
        answer.save(update_fields=["checked_in_at", "status"])
    return True


@transaction.atomic
def walk_in(event: Event, item: dict[str, Any]) -> Rsvp:
    """Someone who came without an RSVP: they become a person (with their consent recorded as
    they gave it to the host) and are checked in. The phone's id makes a repeat a no-op."""
    ref = str(item["id"])[:64]
    existing = Rsvp.objects.filter(event=event, client_ref=ref).first()
    if existing is not None:
        return existing
    given = str(item.get("given_name", "")).strip()[:100]
    if not given:
        raise ValueError(_("A walk-in needs at least a first name."))
    answer, _created = services.rsvp(event, services.RsvpRequest(
        given_name=given, family_name=str(item.get("family_name", "")).strip()[:100],
        email=str(item.get("email", "")).strip(), phone=str(item.get("phone", "")).strip(),
        sms_consent_text=sms_consent_text() if item.get("sms_consent") else "", source="host"))
    answer.client_ref, answer.checked_in_at = ref, answer.checked_in_at or _when(item.get("at"))
    answer.status = Rsvp.Status.GOING
    answer.save(update_fields=["client_ref", "checked_in_at", "status"])
    return answer


@require_POST
def text_attendees(request: HttpRequest, key: str) -> HttpResponse:
    event = _event(key)
    body = request.POST.get("body", "").strip()[:480]
    if not body:
        flash.error(request, _("Write the message first."))
    elif event.status not in (Status.SCHEDULED, Status.STANDBY):
        flash.error(request, _("This event is not on."))
    else:
        told = services.tell_going(event, topic="host-note", body=f"{event.title}: {body}", urgent=False,
                                   subject=_("A note from your host: %(title)s") % {"title": event.title})
        audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=event, group=event.group,
                     summary=f"A host texted the {told} people going")
        flash.success(request, ngettext("Sent to %(n)s person going.", "Sent to %(n)s people going.", told)
                      % {"n": told})
    return redirect("event_host", key=key)
