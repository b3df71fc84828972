"""The SMS transports: the signed HTTP gateway against a real local server, and the file transport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.test import SimpleTestCase, override_settings

from turnout.messaging.tests.fakes import QuietHandler, serve
from turnout.messaging.transports import OutgoingSms, TransportError, sms_transport
from turnout.messaging.transports.http import signature


@contextmanager
def gateway(status: int = 200, answer: bytes = b'{"id": "gw-123"}') -> Iterator[dict[str, Any]]:
    """A real HTTP server on 127.0.0.1 standing in for an SMS gateway relay."""
    seen: dict[str, Any] = {"requests": []}

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.read_body()
            seen["requests"].append({"headers": dict(self.headers), "body": body})
            self.answer(status, answer)

    with serve(Handler) as url:
        seen["url"] = f"{url}/send"
        yield seen


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
