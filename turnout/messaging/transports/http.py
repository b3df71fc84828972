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


class KeepAlive:
    """POSTs over one kept-alive connection per sending thread: a blast is thousands of small requests."""

    def __init__(self, timeout: float) -> None:
        self._local = threading.local()
        self.timeout = timeout

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "key", None) != (scheme, netloc):
            if conn is not None:
                conn.close()
            factory = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            conn = factory(netloc, timeout=self.timeout)
            self._local.conn, self._local.key = conn, (scheme, netloc)
        return conn

    def post(self, url: str, raw: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """(status, body); raises OSError or HTTPException when no answer came."""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        reused = getattr(self._local, "conn", None) is not None
        conn = self._connection(parts.scheme, parts.netloc)
        try:
            conn.request("POST", path, body=raw, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conn.close()
            self._local.conn = None
            if not reused:
                raise
        # A kept-alive connection the server had closed while idle: one more try on a new one.
        conn = self._connection(parts.scheme, parts.netloc)
        conn.request("POST", path, body=raw, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()


def post_or_retry(client: KeepAlive, url: str, raw: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST; a connection that fails, or a 429 or 5xx answer, is a TransportError worth retrying."""
    try:
        status, answer = client.post(url, raw, headers)
    except (OSError, http.client.HTTPException) as exc:
        # The provider may or may not have taken the text before the connection broke.
        raise TransportError(f"provider unreachable: {exc}", retryable=True) from None
    if status == 429 or status >= 500:
        raise TransportError(f"provider answered {status}: {answer[:200].decode(errors='replace')}", retryable=True)
    return status, answer


class HttpGatewayTransport(SmsTransport):
    def __init__(self) -> None:
        self.client = KeepAlive(settings.SMS_HTTP_TIMEOUT)

    def send(self, sms: OutgoingSms) -> str:
        raw = json.dumps({"id": sms.delivery_id, "to": sms.to, "from": sms.sender, "body": sms.body}).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(raw, settings.SMS_HTTP_SECRET)}
        status, answer = post_or_retry(self.client, settings.SMS_HTTP_URL, raw, headers)
        if status >= 300:
            raise TransportError(f"gateway answered {status}: {answer[:200].decode(errors='replace')}", retryable=False)
        try:
            provider_id = json.loads(answer)["id"]
        except (ValueError, KeyError, TypeError):
            raise TransportError("gateway accepted the text but did not say its id", retryable=False) from None
        return str(provider_id)
