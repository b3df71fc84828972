"""The generic signed HTTP gateway, so a worker center can plug in any SMS gateway via a relay.

Outbound: POST TURNOUT_SMS_HTTP_URL with {"id", "to", "from", "body"} and
`X-Turnout-Signature: sha256=<hex HMAC-SHA256 of the raw body with TURNOUT_SMS_HTTP_SECRET>`;
a 2xx answer carries {"id": the gateway's message id}; 429 and 5xx may be retried; any
other 4xx fails the delivery with the gateway's reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings

from turnout.messaging.transports import OutgoingSms, SmsTransport, TransportError

SIGNATURE_HEADER = "X-Turnout-Signature"


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """Constant-time check of a gateway's signature; no secret configured means nothing verifies."""
    return bool(secret and header) and hmac.compare_digest(signature(body, secret), header or "")


class HttpGatewayTransport(SmsTransport):
    def send(self, sms: OutgoingSms) -> str:
        raw = json.dumps({"id": sms.delivery_id, "to": sms.to, "from": sms.sender, "body": sms.body}).encode()
        request = urllib.request.Request(settings.SMS_HTTP_URL, data=raw, method="POST", headers={  # noqa: S310
            "Content-Type": "application/json", SIGNATURE_HEADER: signature(raw, settings.SMS_HTTP_SECRET)})
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
                answer = response.read()
        except urllib.error.HTTPError as exc:
            reason = exc.read()[:200].decode(errors="replace") or exc.reason
            raise TransportError(f"gateway answered {exc.code}: {reason}",
                                 retryable=exc.code == 429 or exc.code >= 500) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            # The gateway may or may not have taken the text: the caller must not blindly resend.
            raise TransportError(f"gateway unreachable: {getattr(exc, 'reason', exc)}", retryable=True) from None
        try:
            provider_id = json.loads(answer)["id"]
        except (ValueError, KeyError, TypeError):
            raise TransportError("gateway accepted the text but did not say its id", retryable=False) from None
        return str(provider_id)
