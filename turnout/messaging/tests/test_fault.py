"""A crash mid-send loses no message and resends only what may have gone out: kill -9 the worker
during a blast, restart, drain, count what the gateway received."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.test import TransactionTestCase
from django.utils import timezone

from turnout.accounts.models import Role
from turnout.messaging import outbox, sending
from turnout.messaging.models import Delivery, Message
from turnout.messaging.services import receive_sms
from turnout.people.models import Membership, Person, PhoneNumber, Subscription
from turnout.site.testing import make_group, make_person, make_staff
from turnout.site.tests.helpers import REPO, database_url_for_children, turnout

# More than one claim (outbox.BATCH), so the worker dies holding a full batch it has half sent.
RECIPIENTS = 300
KILL_AT = 100
WINDOW = 8  # texts in flight at the provider (TURNOUT_SMS_CONCURRENCY)


class SlowGateway:
    """A local SMS gateway that takes 30 ms a text, so a worker can be killed in the middle of a batch."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(0.03)
                gateway.texts.append(body["to"])
                self.send_response(200)
                self.end_headers()
                self.wfile.write(json.dumps({"id": str(uuid.uuid4())}).encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class CrashTests(TransactionTestCase):
    def test_killing_the_worker_mid_send_loses_nobody_and_resends_only_what_was_in_flight(self) -> None:
        local = make_group("Local 8")
        organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
        numbers = [f"+1206555{1000 + n}" for n in range(RECIPIENTS)]
        # Members who agreed to texts, written in bulk as an import writes them.
        people = Person.objects.bulk_create([Person(given_name="Pat", family_name=f"Worker{n}", postal_code="98101")
                                             for n in range(RECIPIENTS)])
        Membership.objects.bulk_create([Membership(person=p, group=local) for p in people])
        PhoneNumber.objects.bulk_create([PhoneNumber(person=p, number=number, is_primary=True,
                                                     sms_status=Subscription.SUBSCRIBED)
                                         for p, number in zip(people, numbers, strict=True)])
        make_person(local, given_name="NoConsent", phone="+12065559999")
        gateway = SlowGateway()
        env = {**os.environ, "DATABASE_URL": database_url_for_children(), "TURNOUT_SMS_BACKEND": "http",
               "TURNOUT_SMS_HTTP_URL": gateway.url, "TURNOUT_SMS_HTTP_SECRET": "s", "TURNOUT_SMS_RATE": "0",
               "TURNOUT_SMS_CONCURRENCY": str(WINDOW)}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        message = Message.objects.create(group=local, channel="sms", body="Rally at 6", ignore_quiet_hours=True,
                                         override_reason="test")
        sending.start_sending(actor=organizer, message=message, audience=Person.objects.all())

        worker = subprocess.Popen([sys.executable, "-m", "turnout", "worker"], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while len(gateway.texts) < KILL_AT and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        time.sleep(0.3)  # a text the worker handed over just before dying still reaches the gateway
        texted_before_crash = set(gateway.texts)
        self.assertGreaterEqual(len(texted_before_crash), KILL_AT)
        self.assertLess(len(texted_before_crash), RECIPIENTS, "the worker finished before it could be killed")

        # Someone not yet texted replies STOP while the blast is stalled.
        stopper = next(n for n in numbers if n not in texted_before_crash)
        receive_sms(from_number=stopper, body="STOP", provider_id="stop-1")
        # Time passes: the dead worker's lease runs out; a new worker starts and drains.
        Delivery.objects.filter(status=Delivery.Status.SENDING).update(
            lease_until=timezone.now() - timedelta(seconds=1))
        drained = turnout("worker", "--burst", env={k: env[k] for k in env if k.startswith("TURNOUT_SMS")})
        self.assertEqual(drained.returncode, 0, drained.stderr)

        counts = Counter(gateway.texts)
        self.assertEqual(set(counts), set(numbers) - {stopper})  # everyone who consents, nobody who stopped
        duplicates = sum(n - 1 for n in counts.values())
        progress = outbox.progress(message)
        # Sent twice: only what the dead worker had in flight, not the rest of its claimed batch,
        # and every text that may be one is counted as such.
        self.assertLessEqual(duplicates, WINDOW)
        self.assertLessEqual(duplicates, progress["possible_duplicates"])
        self.assertLessEqual(progress["possible_duplicates"], WINDOW)
        self.assertEqual(progress["sent"], RECIPIENTS - 1)
        self.assertEqual(progress["suppressed"], 2)  # the stopper and the one without consent
        self.assertEqual(Message.objects.get().status, "sent")
