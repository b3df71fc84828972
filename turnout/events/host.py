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
from turnout.events.models import Event, Rsvp
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
                                                "consent_text": sms_consent_text(event.group)})


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
        if services.check_in(event=event, rsvp_key=str(item.get("rsvp", "")), at=_when(item.get("at"))):
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


def walk_in(event: Event, item: dict[str, Any]) -> Rsvp:
    """The walk-in a phone sent, as the host typed them in."""
    return services.record_walk_in(
        event=event, ref=str(item["id"])[:64], at=_when(item.get("at")),
        given_name=str(item.get("given_name", "")).strip()[:100],
        family_name=str(item.get("family_name", "")).strip()[:100],
        email=str(item.get("email", "")).strip(), phone=str(item.get("phone", "")).strip(),
        sms_consent_text=sms_consent_text(event.group) if item.get("sms_consent") else "")


@require_POST
def text_attendees(request: HttpRequest, key: str) -> HttpResponse:
    event = _event(key)
    body = request.POST.get("body", "").strip()[:480]
    if not body:
        flash.error(request, _("Write the message first."))
        return redirect("event_host", key=key)
    try:
        told = services.send_host_note(event=event, body=body)
    except services.EventError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, ngettext("Sent to %(n)s person going.", "Sent to %(n)s people going.", told)
                      % {"n": told})
    return redirect("event_host", key=key)
