"""Provider webhooks: the signed HTTP gateway's inbound texts and delivery statuses."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from turnout.messaging import email, services
from turnout.messaging.models import UnreadableWebhook
from turnout.messaging.transports.http import SIGNATURE_HEADER, verify
from turnout.people.contact import InvalidContact, normalize_phone


def _signed_json(request: HttpRequest, source: str) -> tuple[dict[str, Any] | None, JsonResponse | None]:
    if not verify(request.body, request.headers.get(SIGNATURE_HEADER), settings.SMS_HTTP_SECRET):
        return None, JsonResponse({"error": "Missing or wrong X-Turnout-Signature."}, status=403)
    try:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        UnreadableWebhook.objects.create(source=source, body=request.body.decode(errors="replace")[:20000],
                                         reason=str(exc)[:300])
        return None, JsonResponse({"error": "The body must be a JSON object."}, status=400)
    return data, None


@csrf_exempt
@require_POST
def http_inbound(request: HttpRequest) -> JsonResponse:
    data, problem = _signed_json(request, "http-inbound")
    if problem:
        return problem
    assert data is not None
    try:
        sender, _kind = normalize_phone(str(data.get("from", "")))
    except InvalidContact:
        UnreadableWebhook.objects.create(source="http-inbound", body=request.body.decode(errors="replace")[:20000],
                                         reason="no usable sender number")
        return JsonResponse({"error": "from must be a phone number."}, status=400)
    inbound = services.receive_sms(from_number=sender, body=str(data.get("body", ""))[:2000],
                                   to_number=str(data.get("to", ""))[:20], provider_id=str(data.get("id") or "") or None)
    return JsonResponse({"received": inbound.pk})


@csrf_exempt
@require_POST
def http_status(request: HttpRequest) -> JsonResponse:
    data, problem = _signed_json(request, "http-status")
    if problem:
        return problem
    assert data is not None
    status = data.get("status")
    if status not in ("delivered", "failed") or not data.get("id"):
        UnreadableWebhook.objects.create(source="http-status", body=request.body.decode(errors="replace")[:20000],
                                         reason="status must be delivered or failed, with an id")
        return JsonResponse({"error": "Send an id and a status of delivered or failed."}, status=400)
    delivery = services.record_sms_status(provider_id=str(data["id"]), status=status, error=str(data.get("error") or ""))
    return JsonResponse({"known": delivery is not None})


@csrf_exempt  # mail clients POST "List-Unsubscribe=One-Click" with no form or cookie (RFC 8058)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks; only a POST unsubscribes, so link scanners that open every URL change nothing."""
    address = email.address_from_token(token)
    if address is None:
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        services.unsubscribe_email(address=address)
        done = True
    return render(request, "messaging/unsubscribe.html", {"address": address, "done": done})
