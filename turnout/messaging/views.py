"""Provider webhooks: inbound texts and delivery statuses from the signed HTTP gateway and Twilio."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from turnout.messaging import email, services
from turnout.messaging.transports import twilio
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
        services.keep_unreadable_webhook(source=source, body=request.body,
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
        services.keep_unreadable_webhook(source="http-inbound", body=request.body,
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
        services.keep_unreadable_webhook(source="http-status", body=request.body,
                                         reason="status must be delivered or failed, with an id")
        return JsonResponse({"error": "Send an id and a status of delivered or failed."}, status=400)
    delivery = services.record_status(provider_id=str(data["id"]), status=status, error=str(data.get("error") or ""))
    return JsonResponse({"known": delivery is not None})


def _twilio_form(request: HttpRequest) -> HttpResponse | None:
    """None when the request is signed by Twilio; else the 403 to answer with."""
    params = [(key, value) for key, values in request.POST.lists() for value in values]
    urls = (settings.BASE_URL + request.get_full_path(), request.build_absolute_uri())
    if twilio.verify(urls, params, request.headers.get(twilio.SIGNATURE_HEADER)):
        return None
    return HttpResponse("Missing or wrong X-Twilio-Signature.", status=403, content_type="text/plain")


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """A text to one of our numbers. Answers with empty TwiML: keyword replies go through the outbox."""
    if problem := _twilio_form(request):
        return problem
    try:
        sender, _kind = normalize_phone(request.POST.get("From", ""))
    except InvalidContact:
        services.keep_unreadable_webhook(source="twilio-inbound", body=request.body,
                                         reason="no usable sender number")
        return HttpResponse("From must be a phone number.", status=400, content_type="text/plain")
    services.receive_sms(from_number=sender, body=request.POST.get("Body", "")[:2000],
                         to_number=request.POST.get("To", "")[:20], provider_id=request.POST.get("MessageSid") or None)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


# Twilio's final statuses; the others (queued, sending, sent, accepted…) say nothing new.
TWILIO_FINAL = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if problem := _twilio_form(request):
        return problem
    sid, status = request.POST.get("MessageSid", ""), request.POST.get("MessageStatus", "")
    if not sid or not status:
        services.keep_unreadable_webhook(source="twilio-status", body=request.body,
                                         reason="MessageSid and MessageStatus are required")
        return HttpResponse("MessageSid and MessageStatus are required.", status=400, content_type="text/plain")
    if status in TWILIO_FINAL:
        code = request.POST.get("ErrorCode", "")
        services.record_status(provider_id=sid, status=TWILIO_FINAL[status],
                                   error=f"Twilio {code}: {status}" if code else (status if status != "delivered" else ""))
    return HttpResponse(status=204)


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
