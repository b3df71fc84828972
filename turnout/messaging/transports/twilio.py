"""Twilio: texts through the Messages API, statuses and replies through signed webhooks.

A sender that starts with "MG" is a messaging service (Twilio picks the number); anything
else is a number or short code. Each text carries a StatusCallback to
/hooks/sms/twilio/status and, unless the organizer overrode quiet hours, a ValidityPeriod
that ends when the recipient's window closes: a text stuck in Twilio's queue expires
rather than arriving at night. Webhooks are checked against X-Twilio-Signature
(HMAC-SHA1 of the URL Twilio called followed by the sorted form fields, keyed with the
auth token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.urls import reverse

from turnout.messaging.transports import OutgoingSms, SmsTransport, TransportError
from turnout.messaging.transports.http import KeepAlive, post_or_retry

SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio keeps a queued text at most this long (seconds).
MAX_VALIDITY = 36_000
# The recipient opted out with the carrier: texting them again risks the sender's standing.
UNSUBSCRIBED_RECIPIENT = 21610


def basic_auth() -> str:
    pair = f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()
    return "Basic " + base64.b64encode(pair).decode()


class TwilioTransport(SmsTransport):
    def __init__(self) -> None:
        self.client = KeepAlive(settings.SMS_HTTP_TIMEOUT)

    def answers(self) -> bool:
        return bool(settings.TWILIO_ANSWERS_KEYWORDS)

    def send(self, sms: OutgoingSms) -> str:
        form = {"To": sms.to, "Body": sms.body,
                "StatusCallback": settings.BASE_URL + reverse("hooks:twilio_status")}
        if sms.sender.startswith("MG"):
            form["MessagingServiceSid"] = sms.sender
        else:
            form["From"] = sms.sender
        if sms.valid_for:
            form["ValidityPeriod"] = str(min(max(sms.valid_for, 1), MAX_VALIDITY))
        url = f"{settings.TWILIO_API_URL}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
        headers = {"Authorization": basic_auth(), "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"}
        status, answer = post_or_retry(self.client, url, urlencode(form).encode(), headers)
        try:
            data = json.loads(answer)
        except ValueError:
            data = {}
        if status >= 300:
            code = data.get("code") if isinstance(data, dict) else None
            reason = f"Twilio {code or status}: {data.get('message', '') if isinstance(data, dict) else ''}".strip()
            raise TransportError(reason[:300], retryable=False, opted_out=code == UNSUBSCRIBED_RECIPIENT)
        if not isinstance(data, dict) or not data.get("sid"):
            raise TransportError("Twilio accepted the text but did not say its sid", retryable=False)
        return str(data["sid"])


def compute_signature(url: str, params: Iterable[tuple[str, str]], token: str) -> str:
    """Twilio's signature of a form POST: the URL, then each field name and value sorted by name."""
    payload = url + "".join(f"{key}{value}" for key, value in sorted(params, key=lambda kv: kv[0]))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _with_and_without_port(url: str) -> set[str]:
    """Twilio may sign the URL with or without the default port; accept either."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    ported = urlunsplit((parts.scheme, f"{host}:{port}", parts.path, parts.query, ""))
    return {url, bare if port == default else url, ported}


def verify(urls: Iterable[str], params: Iterable[tuple[str, str]], header: str | None) -> bool:
    """Whether `header` is Twilio's signature of this request at any of the URLs it may have called."""
    token = settings.TWILIO_AUTH_TOKEN
    if not (token and header):
        return False
    items = list(params)
    candidates = {variant for url in urls for variant in _with_and_without_port(url)}
    return any(hmac.compare_digest(compute_signature(url, items, token), header) for url in candidates)
