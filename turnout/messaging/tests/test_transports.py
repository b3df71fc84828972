"""The SMS transports: the signed HTTP gateway against a real local server, and the file transport."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.test import SimpleTestCase, override_settings

from turnout.messaging.transports import OutgoingSms, TransportError, sms_transport
from turnout.messaging.transports.http import signature


@contextmanager
def gateway(status: int = 200, answer: bytes = b'{"id": "gw-123"}') -> Iterator[dict[str, Any]]:
    """A real HTTP server on 127.0.0.1 standing in for an SMS gateway relay."""
    seen: dict[str, Any] = {"requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen["requests"].append({"headers": dict(self.headers), "body": body})
            self.send_response(status)
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen["url"] = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


SMS = OutgoingSms(delivery_id="d-1", to="+12065550123", sender="+12065550000", body="Rally at 6 — Westlake Park")


class HttpGatewayTests(SimpleTestCase):
    def send(self, seen: dict[str, Any]) -> str:
        with override_settings(SMS_BACKEND="http", SMS_HTTP_URL=seen["url"], SMS_HTTP_SECRET="s3cret"):
            return sms_transport().send(SMS)

    def test_it_posts_signed_json_and_returns_the_gateways_id(self) -> None:
        with gateway() as seen:
            self.assertEqual(self.send(seen), "gw-123")
        sent = seen["requests"][0]
        self.assertEqual(json.loads(sent["body"]), {"id": "d-1", "to": "+12065550123", "from": "+12065550000",
                                                    "body": "Rally at 6 — Westlake Park"})
        self.assertEqual(sent["headers"]["X-Turnout-Signature"], signature(sent["body"], "s3cret"))

    def test_throttling_and_outages_may_be_retried_other_refusals_may_not(self) -> None:
        for status, retryable in ((429, True), (500, True), (503, True), (400, False), (404, False)):
            with gateway(status=status, answer=b"number is blocked") as seen, self.assertRaises(TransportError) as caught:
                self.send(seen)
            self.assertEqual(caught.exception.retryable, retryable, status)
            self.assertIn(str(status), caught.exception.reason)
        with gateway(status=400, answer=b"number is blocked") as seen, self.assertRaises(TransportError) as caught:
            self.send(seen)
        self.assertIn("number is blocked", caught.exception.reason)

    def test_an_unreachable_gateway_is_retryable(self) -> None:
        with override_settings(SMS_BACKEND="http", SMS_HTTP_URL="http://127.0.0.1:9/send", SMS_HTTP_SECRET="s"), \
                self.assertRaises(TransportError) as caught:
            sms_transport().send(SMS)
        self.assertTrue(caught.exception.retryable)

    def test_a_2xx_without_an_id_fails(self) -> None:
        with gateway(answer=b"ok") as seen, self.assertRaises(TransportError) as caught:
            self.send(seen)
        self.assertFalse(caught.exception.retryable)


class FileTransportTests(SimpleTestCase):
    def test_texts_are_appended_as_json_lines(self) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp, override_settings(SMS_BACKEND="file", VAR_DIR=Path(tmp)):
            first = sms_transport().send(SMS)
            sms_transport().send(SMS)
            lines = (Path(tmp) / "sms" / "outbox.jsonl").read_text().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertEqual(json.loads(lines[0])["id"], first)
        self.assertEqual(json.loads(lines[0])["body"], SMS.body)
