"""The generic signed HTTP gateway, so a worker center can plug in any SMS gateway via a relay.

Outbound: POST TURNOUT_SMS_HTTP_URL with {"id", "to", "from", "body"} and
`X-Turnout-Signature: sha256=<hex HMAC-SHA256 of the raw body with TURNOUT_SMS_HTTP_SECRET>`;
a 2xx answer carries {"id": the gateway's message id}; 429 and 5xx may be retried; any
other 4xx fails the delivery with the gateway's reason.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
from urllib.parse import urlsplit

from django.conf import settings

from turnout.messaging.transports import OutgoingSms, SmsTransport, TransportError

SIGNATURE_HEADER = "X-Turnout-Signature"


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """Constant-time check of a gateway's signature; no secret configured means nothing verifies."""
    return bool(secret and header) and hmac.compare_digest(signature(body, secret), header or "")


class HttpGatewayTransport(SmsTransport):
    """Keeps one connection open per sending thread: a blast is thousands of small POSTs."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        url = urlsplit(settings.SMS_HTTP_URL)
        key = (url.scheme, url.netloc)
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "key", None) != key:
            factory = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
            conn = factory(url.netloc, timeout=settings.SMS_HTTP_TIMEOUT)
            self._local.conn, self._local.key = conn, key
        return conn

    def send(self, sms: OutgoingSms) -> str:
        raw = json.dumps({"id": sms.delivery_id, "to": sms.to, "from": sms.sender, "body": sms.body}).encode()
        url = urlsplit(settings.SMS_HTTP_URL)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(raw, settings.SMS_HTTP_SECRET)}
        try:
            status, answer = self._post(path, raw, headers)
        except ConnectionRefusedError as exc:
            raise TransportError(f"gateway unreachable: {exc}", retryable=True) from None
        except (OSError, http.client.HTTPException) as exc:
            # The gateway may or may not have taken the text before the connection broke.
            raise TransportError(f"gateway unreachable: {exc}", retryable=True) from None
        if status == 429 or status >= 500:
            raise TransportError(f"gateway answered {status}: {answer[:200].decode(errors='replace')}", retryable=True)
        if status >= 300:
            raise TransportError(f"gateway answered {status}: {answer[:200].decode(errors='replace')}", retryable=False)
        try:
            provider_id = json.loads(answer)["id"]
        except (ValueError, KeyError, TypeError):
            raise TransportError("gateway accepted the text but did not say its id", retryable=False) from None
        return str(provider_id)

    def _post(self, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        reused = getattr(self._local, "conn", None) is not None
        conn = self._connection()
        try:
            conn.request("POST", path, body=raw, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conn.close()
            self._local.conn = None
            if not reused:
                raise
        # A kept-alive connection the gateway had closed while idle: one more try on a new one.
        conn = self._connection()
        conn.request("POST", path, body=raw, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
