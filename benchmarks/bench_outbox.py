"""The outbox: materialize N deliveries, and dispatch them to a loopback HTTP gateway.

    python benchmarks/bench_outbox.py --engine postgres --people 100000
    python benchmarks/bench_outbox.py --engine sqlite --people 100000 --dispatch 5000

Materialize: N people with a consenting phone, one INSERT … SELECT; compared with a raw bulk
INSERT of the same rows, already computed, into the deliveries table (and into an
unindexed copy, for scale). Dispatch: a
gateway in a separate process answers every POST at once; one dispatcher (this process)
sends `--dispatch` texts through the signed HTTP transport. Medians of 3 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid

from common import database_url, setup_django

GATEWAY = r'''
import json, sys, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # answer at once; Nagle + delayed ACK would cap it near 25 per connection per second
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"id": str(uuid.uuid4())}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H); print(s.server_address[1], flush=True); s.serve_forever()
'''


def populate(people: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from turnout.accounts.models import Group, Role, StaffRole, User
    from turnout.core.bulk import insert_rows
    from turnout.people.importer import PERSON_COLUMNS
    from turnout.people.models import Membership, Person, PhoneNumber

    local = Group.objects.create(name="Local 8", slug="local-8")
    user = User.objects.create_user("organizer@example.org", "x")
    StaffRole.objects.create(user=user, group=local, role=Role.ORGANIZER)
    now = timezone.now()
    for start in range(0, people, 50_000):
        count = min(50_000, people - start)
        with transaction.atomic():
            insert_rows(Person, PERSON_COLUMNS, [(uuid.uuid4(), now, now, "Pat", f"W{start + i}", "", "en", "", "",
                                                  "Seattle", "WA", "98101", "US", 47.61, -122.33,
                                                  "America/Los_Angeles", {}) for i in range(count)])
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        insert_rows(Membership, ["person", "group", "status", "member_number", "created_at"],
                    [(pk, local.pk, "member", "", now) for pk in ids])
        insert_rows(PhoneNumber, ["person", "number", "kind", "is_primary", "sms_status", "created_at"],
                    [(pk, f"+1206{2000000 + n:07d}", "mobile", True, "subscribed", now) for n, pk in enumerate(ids)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--dispatch", type=int, default=5_000)
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from django.conf import settings
    from django.db import connection, transaction

    from turnout.accounts.models import Group, User
    from turnout.messaging import outbox
    from turnout.messaging.models import Delivery, Message
    from turnout.people.models import Person

    populate(args.people)
    group, user = Group.objects.get(), User.objects.get()
    audience = Person.objects.visible_to(user)
    materialize, raw, unindexed = [], [], []
    columns = ("public_id, person_id, channel, address, sender, status, provider_id, error, attempts, claimed_by, "
               "possible_duplicate, segments, created_at, status_at")
    for _ in range(3):
        message = Message.objects.create(group=group, channel="sms", body="Rally at 6", ignore_quiet_hours=True)
        t0 = time.perf_counter()
        with transaction.atomic():
            made = outbox.materialize(message, audience)
        materialize.append(time.perf_counter() - t0)
        assert made == args.people, made
        with connection.cursor() as cursor:
            # The same rows, already computed, written by one plain INSERT into the deliveries
            # table itself (same indexes and constraints), and into an unindexed copy.
            cursor.execute("DROP TABLE IF EXISTS bench_rows")
            cursor.execute("CREATE TABLE bench_rows AS SELECT * FROM messaging_delivery WHERE message_id = %s",
                           [message.pk])
            again = Message.objects.create(group=group, channel="sms", body="Rally at 6")
            t0 = time.perf_counter()
            with transaction.atomic():
                cursor.execute(f"INSERT INTO messaging_delivery (message_id, {columns}) "
                               f"SELECT %s, {columns} FROM bench_rows", [again.pk])
            raw.append(time.perf_counter() - t0)
            cursor.execute("DROP TABLE IF EXISTS bench_raw")
            cursor.execute("CREATE TABLE bench_raw AS SELECT * FROM messaging_delivery WHERE 1 = 0")
            t0 = time.perf_counter()
            with transaction.atomic():
                cursor.execute("INSERT INTO bench_raw SELECT * FROM bench_rows")
            unindexed.append(time.perf_counter() - t0)
        Delivery.objects.filter(message__in=[message, again]).delete()
        Message.objects.filter(pk__in=[message.pk, again.pk]).delete()
    m, r, u = statistics.median(materialize), statistics.median(raw), statistics.median(unindexed)
    print(f"{args.engine}: materialize {args.people} deliveries {m:.2f} s (runs {', '.join(f'{x:.2f}' for x in materialize)}); "
          f"raw INSERT of the same rows into the deliveries table {r:.2f} s, ratio {m / r:.2f}; "
          f"into an unindexed copy {u:.2f} s")

    gateway = subprocess.Popen([sys.executable, "-c", GATEWAY], stdout=subprocess.PIPE, text=True)
    try:
        port = int(gateway.stdout.readline())  # type: ignore[union-attr]
        settings.SMS_BACKEND, settings.SMS_HTTP_URL, settings.SMS_HTTP_SECRET = "http", f"http://127.0.0.1:{port}/", "s"
        message = Message.objects.create(group=group, channel="sms", body="Rally at 6", ignore_quiet_hours=True)
        first = list(audience.order_by("pk").values_list("pk", flat=True)[: args.dispatch])
        outbox.materialize(message, Person.objects.filter(pk__in=first))
        t0 = time.perf_counter()
        result = outbox.dispatch(message)
        elapsed = time.perf_counter() - t0
    finally:
        gateway.terminate()
    print(f"  dispatch {result['sent']} texts to a loopback gateway: {elapsed:.1f} s = {result['sent'] / elapsed:.0f} messages/s "
          f"({json.dumps(dict(result))})")
    os.environ.pop("DATABASE_URL", None)


if __name__ == "__main__":
    main()
