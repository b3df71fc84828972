"""Webhooks out: registered per group, signed, retried with backoff, logged in the console."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import redis
from django.test import TransactionTestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from turnout.accounts.models import Role
from turnout.api import webhooks
from turnout.api.models import Webhook, WebhookDelivery
from turnout.api.tests.base import ApiTestCase
from turnout.site.testing import make_group, make_staff
from turnout.site.tests.helpers import turnout


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it is sent and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def run_worker(only: str = "") -> None:
    """Run every due task from the database queue, as `turnout worker --burst` does, in this
    process (the real worker closes the connection that holds the test's transaction)."""
    while (result := DBTaskResult.objects.ready().filter(task_path__contains=only).first()) is not None:
        result.claim("test-worker")
        task_result = result.task_result
        result.task.call(*task_result.args, **task_result.kwargs)
        result.set_successful(None)


class WebhookTests(ApiTestCase):
    def signup(self, email: str, key: str | None = None) -> dict:
        with self.captureOnCommitCallbacks(execute=True):
            response = self.api("POST", "people", {"person": {"email_addresses": [{"address": email}]}}, key=key)
        self.assertIn(response.status_code, (200, 201), response.content)
        return response.json()

    def test_new_person_is_posted_signed_to_the_groups_webhook(self) -> None:
        with Receiver().running() as receiver:
            hook = webhooks.register_webhook(actor=self.organizer, group=self.council, url=receiver.url)
            person = self.signup("new@example.org")
            run_worker()
        self.assertEqual(len(receiver.received), 1)
        sent = receiver.received[0]
        expected = "sha256=" + hmac.new(hook.secret.encode(), sent["body"], hashlib.sha256).hexdigest()
        self.assertEqual(sent["headers"]["X-Turnout-Signature"], expected)
        self.assertEqual(sent["headers"]["X-Turnout-Event"], "person.created")
        payload = json.loads(sent["body"])
        self.assertEqual(payload[0]["osdi:person"]["identifiers"], person["identifiers"])
        self.assertEqual(payload[0]["osdi:person"]["email_addresses"][0]["address"], "new@example.org")
        delivery = WebhookDelivery.objects.get()
        self.assertEqual((delivery.status, delivery.attempts, delivery.response_status), ("delivered", 1, 200))
        self.assertEqual(payload[0]["idempotency_key"], str(delivery.public_id))

    def test_other_groups_webhooks_hear_nothing(self) -> None:
        with Receiver().running() as receiver:
            webhooks.register_webhook(actor=self.outsider, group=self.other, url=receiver.url)
            self.signup("quiet@example.org")
            run_worker()
        self.assertEqual(receiver.received, [])
        self.assertFalse(WebhookDelivery.objects.exists())

    def test_a_failing_receiver_is_retried_later_with_backoff(self) -> None:
        with Receiver(status=503).running() as receiver:
            webhooks.register_webhook(actor=self.organizer, group=self.local, url=receiver.url)
            self.signup("retry@example.org")
            run_worker()
            delivery = WebhookDelivery.objects.get()
            self.assertEqual((delivery.status, delivery.attempts, delivery.response_status), ("pending", 1, 503))
            wait = delivery.next_attempt_at - timezone.now()
            self.assertGreater(wait, timedelta(seconds=20))
            run_worker()  # the retry is not due yet: nothing more is sent
            self.assertEqual(len(receiver.received), 1)
            receiver.status = 204
            webhooks.deliver(delivery.pk)
        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.attempts), ("delivered", 2))
        self.assertEqual(receiver.received[0]["body"], receiver.received[1]["body"])  # the same payload

    def test_it_gives_up_after_the_last_attempt(self) -> None:
        webhooks.register_webhook(actor=self.organizer, group=self.local, url="http://127.0.0.1:9/closed")
        self.signup("gone@example.org")
        run_worker(only="queue_person_webhooks")
        delivery = WebhookDelivery.objects.get()
        for _ in range(len(webhooks.BACKOFF) + 1):
            webhooks.deliver(delivery.pk)
        delivery.refresh_from_db()
        self.assertEqual(delivery.status, "failed")
        self.assertTrue(delivery.error)
        self.assertIsNone(delivery.next_attempt_at)

    def test_changes_in_a_row_coalesce_into_one_waiting_delivery(self) -> None:
        webhooks.register_webhook(actor=self.organizer, group=self.local, url="http://127.0.0.1:9/closed")
        self.signup("twice@example.org")
        self.signup("twice@example.org")
        run_worker(only="queue_person_webhooks")
        self.assertEqual(WebhookDelivery.objects.count(), 1)

    def test_paused_webhooks_queue_nothing(self) -> None:
        hook = webhooks.register_webhook(actor=self.organizer, group=self.local, url="http://127.0.0.1:9/closed")
        webhooks.set_webhook_active(actor=self.organizer, webhook=hook, active=False)
        self.signup("paused@example.org")
        run_worker()
        self.assertFalse(WebhookDelivery.objects.exists())


class ConsoleTests(ApiTestCase):
    def test_organizer_registers_a_webhook_and_reads_its_log(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/api/webhooks/", {"url": "https://crm.example.org/hook", "group": self.local.pk,
                                                       "description": "CRM"})
        self.assertEqual(response.status_code, 200)
        hook = Webhook.objects.get()
        self.assertContains(response, hook.secret)  # shown once, on this response
        self.assertEqual(hook.group, self.local)
        WebhookDelivery.objects.create(webhook=hook, event="person.created",
                                       payload={"subject": "person:x", "raw": '[{"osdi:person":{"given_name":"Ana"}}]'},
                                       attempts=2, response_status=500, error="HTTP 500 Server Error")
        page = self.client.get(hook.get_absolute_url())
        self.assertContains(page, "given_name&quot;:&quot;Ana")  # the exact payload, escaped
        self.assertContains(page, "person.created")
        self.assertContains(page, "HTTP 500 Server Error")
        self.assertNotContains(page, hook.secret)
        self.assertContains(self.client.get("/api/webhooks/"), "https://crm.example.org/hook")

    def test_outsider_cannot_see_or_change_the_webhook(self) -> None:
        hook = webhooks.register_webhook(actor=self.organizer, group=self.local, url="https://crm.example.org/hook")
        self.login(self.outsider)
        self.assertNotContains(self.client.get("/api/webhooks/"), "crm.example.org")
        self.assertEqual(self.client.get(hook.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.post(hook.get_absolute_url(), {"action": "delete"}).status_code, 404)
        self.assertTrue(Webhook.objects.filter(pk=hook.pk).exists())
        response = self.client.post("/api/webhooks/", {"url": "https://evil.example.org", "group": self.local.pk})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Select a valid choice")
        self.assertEqual(Webhook.objects.count(), 1)


class WorkerProcessRetryTests(TransactionTestCase):
    """A failed delivery is retried by `turnout worker` when its backoff is over, on both task backends."""

    def setUp(self) -> None:
        self.local = make_group("Local 8")
        self.organizer = make_staff("organizer@example.org", self.local, Role.ORGANIZER)

    def sign_up_and_fail_once(self, receiver: Receiver, env: dict[str, str]) -> WebhookDelivery:
        webhooks.register_webhook(actor=self.organizer, group=self.local, url=receiver.url)
        code = ("from turnout.accounts.models import User, Group; from turnout.people.services import signup_person, "
                "ContactChoice; signup_person(actor=User.objects.get(), group=Group.objects.get(), fields={}, "
                "emails=[ContactChoice('worker@example.org')])")
        made = turnout("shell", "-c", code, env=env)
        self.assertEqual(made.returncode, 0, made.stderr)
        work = turnout("worker", "--burst", env=env)  # queues the delivery and makes the first attempt
        self.assertEqual(work.returncode, 0, work.stderr)
        delivery = WebhookDelivery.objects.get()
        self.assertEqual((delivery.status, delivery.attempts, delivery.response_status), ("pending", 1, 503))
        return delivery

    def test_database_worker_retries_when_due(self) -> None:
        with Receiver(status=503).running() as receiver:
            delivery = self.sign_up_and_fail_once(receiver, {})
            receiver.status = 200
            self.assertEqual(turnout("worker", "--burst").returncode, 0)
            self.assertEqual(len(receiver.received), 1)  # not due yet
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # the backoff has passed
            self.assertEqual(turnout("worker", "--burst").returncode, 0)
        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.attempts), ("delivered", 2))
        self.assertEqual(len(receiver.received), 2)

    def test_redis_worker_retries_when_due(self) -> None:
        redis_url = "redis://127.0.0.1:6379/14"
        connection = redis.Redis.from_url(redis_url)
        connection.flushdb()
        env = {"REDIS_URL": redis_url}
        with Receiver(status=503).running() as receiver:
            delivery = self.sign_up_and_fail_once(receiver, env)
            scheduled = connection.zrange("rq:scheduled:default", 0, -1)
            self.assertEqual(len(scheduled), 1)  # the retry waits in RQ's scheduled registry
            receiver.status = 200
            connection.zadd("rq:scheduled:default", {scheduled[0]: time.time() - 1})  # the backoff has passed
            work = turnout("worker", "--burst", env=env)
            self.assertEqual(work.returncode, 0, work.stderr)
        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.attempts), ("delivered", 2))
        connection.flushdb()
