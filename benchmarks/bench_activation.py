"""Activating a network: targeting and the outbox for 100,000 members within 25 miles, the first text
out, and Y/N replies arriving at 200 per second through the http gateway hook.

    python benchmarks/bench_activation.py --engine postgres --members 100000
    python benchmarks/bench_activation.py --engine sqlite --members 100000

The network holds --members people spread within 25 miles of downtown Seattle and half as many
again 40-80 miles out (the distance filter must leave them out), each willing to travel 30 miles,
every one with text consent.

1. Targeting and outbox: `services.activate` (the recipients' INSERT … SELECT with each one's
   distance, one outbox row per person) timed five times, median reported.
2. First text out: one `turnout worker` (the database worker on SQLite; an RQ worker on Redis with
   PostgreSQL) and a loopback SMS gateway; the clock runs from the call to `activate` until the
   gateway receives the first text.
3. Replies: `turnout serve` takes signed inbound replies ("Y", "N", "SÍ", "2") from --replies
   distinct recipients, paced at --rate per second from 20 client threads, plus every tenth one
   sent a second time with the same provider id (a gateway retry); a `turnout worker` beside it acts
   on the stored replies. Every answer must be recorded once: responses stored == distinct replies,
   with the right yes/no split.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

from bench_dispatch import GATEWAY, start_workers, stop
from common import database_url, setup_django, start_server

SEATTLE = (47.6062, -122.3321)


def scatter(rng: random.Random, low: float, high: float) -> tuple[float, float]:
    """A point between `low` and `high` miles from downtown Seattle, in a random direction."""
    miles = math.sqrt(rng.uniform(low * low, high * high))
    angle = rng.uniform(0, 2 * math.pi)
    lat = SEATTLE[0] + miles * math.cos(angle) / 69.0
    lon = SEATTLE[1] + miles * math.sin(angle) / (69.0 * math.cos(math.radians(SEATTLE[0])))
    return lat, lon


def populate(near: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from turnout.accounts.models import Group, Role, StaffRole, User
    from turnout.core.bulk import insert_rows
    from turnout.mobilization.models import Member, Network
    from turnout.people.importer import PERSON_COLUMNS
    from turnout.people.models import Membership, Person, PhoneNumber

    rng = random.Random(7)
    local = Group.objects.create(name="Local 8", slug="local-8")
    user = User.objects.create_user("organizer@example.org", "x")
    StaffRole.objects.create(user=user, group=local, role=Role.ORGANIZER)
    network = Network.objects.create(group=local, name="Rapid Response")
    now = timezone.now()
    total = near + near // 2
    for start in range(0, total, 50_000):
        rows = []
        for i in range(start, min(total, start + 50_000)):
            lat, lon = scatter(rng, 0, 24.5) if i < near else scatter(rng, 40, 80)
            rows.append((uuid.uuid4(), now, now, "Pat", f"W{i}", "", "en", "", "", "Seattle", "WA", "98101", "US",
                         lat, lon, "America/Los_Angeles", {}))
        with transaction.atomic():
            insert_rows(Person, PERSON_COLUMNS, rows)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        insert_rows(Membership, ["person", "group", "status", "member_number", "created_at"],
                    [(pk, local.pk, "member", "", now) for pk in ids])
        insert_rows(PhoneNumber, ["person", "number", "kind", "is_primary", "sms_status", "created_at"],
                    [(pk, f"+1206{2000000 + n:07d}", "mobile", True, "subscribed", now) for n, pk in enumerate(ids)])
        insert_rows(Member, ["network", "person", "travel_miles", "availability", "skills", "languages", "source",
                             "joined_at"], [(network.pk, pk, 30, "", "", "", "import", now) for pk in ids])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def new_activation(title: str) -> object:
    from turnout.mobilization.models import Activation, Network

    return Activation.objects.create(network=Network.objects.get(), title=title, body="Rally at Westlake, 6pm. Reply Y or N",
                                     postal_code="98101", latitude=SEATTLE[0], longitude=SEATTLE[1], miles=25,
                                     ignore_quiet_hours=True, override_reason="benchmark")


def post_replies(port: int, replies: list[tuple[str, str, str]], rate: float, secret: str) -> tuple[int, list[float], float]:
    """Send (provider id, number, body) at `rate` per second from 20 threads: (accepted, latencies, seconds)."""
    from turnout.messaging.transports.http import signature

    latencies: list[float] = []
    accepted = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        ok = 0
        for n in range(index, len(replies), 20):
            due = start + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            provider_id, number, body = replies[n]
            raw = json.dumps({"id": provider_id, "from": number, "to": "+12065550000", "body": body}).encode()
            t0 = time.perf_counter()
            conn.request("POST", "/hooks/sms/http/inbound", body=raw, headers={
                "Content-Type": "application/json", "X-Turnout-Signature": signature(raw, secret)})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            ok += response.status == 200
        with lock:
            latencies.extend(mine)
            accepted[0] += ok

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return accepted[0], latencies, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--members", type=int, default=100_000, help="members within 25 miles")
    parser.add_argument("--replies", type=int, default=6_000)
    parser.add_argument("--rate", type=float, default=200)
    args = parser.parse_args()
    if args.engine == "postgres":
        os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")
    else:
        os.environ.pop("REDIS_URL", None)
    gateway = subprocess.Popen([sys.executable, "-c", GATEWAY], stdout=subprocess.PIPE, text=True)
    try:
        run(args, gateway)
    finally:
        gateway.terminate()


def run(args: argparse.Namespace, gateway: subprocess.Popen[str]) -> None:
    gateway_port = int(gateway.stdout.readline())  # type: ignore[union-attr]
    secret = "bench-secret"
    os.environ.update({"TURNOUT_SMS_BACKEND": "http", "TURNOUT_SMS_HTTP_URL": f"http://127.0.0.1:{gateway_port}/",
                       "TURNOUT_SMS_HTTP_SECRET": secret, "TURNOUT_SMS_RATE": "0"})
    url = database_url(args.engine)
    setup_django(url)
    if args.engine == "postgres":
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    from django.db import connection

    from turnout.accounts.models import User
    from turnout.messaging.models import Delivery, InboundMessage, Message
    from turnout.mobilization import services
    from turnout.mobilization.models import Activation, Recipient, Response

    populate(args.members)
    user = User.objects.get()
    timings = []
    for run in range(5):
        if args.engine == "postgres":
            # Each run starts from tables as a union's would be: not bloated by the run before, and
            # not behind the writing-out of the bulk load or of the run before (a checkpoint).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE messaging_delivery, mobilization_recipient")
                cursor.execute("CHECKPOINT")
        activation = new_activation(f"run {run}")
        t0 = time.perf_counter()
        reached = services.activate(actor=user, activation=activation)  # type: ignore[arg-type]
        timings.append(time.perf_counter() - t0)
        assert reached == args.members, reached
        queued = Delivery.objects.filter(message__activations=activation, status="queued").count()
        assert queued == args.members, queued
        Message.objects.filter(activations=activation).delete()
        Activation.objects.filter(pk=activation.pk).delete()  # type: ignore[attr-defined]
    print(f"{args.engine}: activate {args.members} members within 25 miles of {args.members * 3 // 2} "
          f"(recipients + outbox) median {statistics.median(timings):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in timings)})")

    connection.close()
    workers = start_workers(1, {**os.environ})
    try:
        time.sleep(4)  # the worker's start-up is not part of the measure
        activation = new_activation("first text")
        t0 = time.time()
        services.activate(actor=user, activation=activation)  # type: ignore[arg-type]
        first = None
        while first is None and time.time() - t0 < 30:
            with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/") as answer:
                arrivals = json.loads(answer.read())
            first = min((at for at, _to, _sender in arrivals), default=None)
            time.sleep(0.05)
    finally:
        stop(workers)
    print(f"  first text at the gateway {((first or t0 + 99) - t0):.2f} s after activate() was called")

    # Replies from people the activation reached (a mix of answers), some delivered twice.
    numbers = list(Recipient.objects.filter(activation=activation).order_by("person_id")
                   .values_list("person__phones__number", flat=True)[: args.replies])
    words = ["Y", "N", "SÍ", "2"]
    replies = [(f"in-{n}", number, words[n % 4]) for n, number in enumerate(numbers)]
    retries = [replies[n] for n in range(0, len(replies), 10)]
    Delivery.objects.filter(message__activations=activation).update(status="sent")
    connection.close()
    port, server = start_server(url, TURNOUT_SMS_BACKEND="http", TURNOUT_SMS_HTTP_URL="http://127.0.0.1:9/",
                                TURNOUT_SMS_HTTP_SECRET=secret, TURNOUT_SMS_RATE="0")
    workers = start_workers(1, {**os.environ})  # acts on the stored replies, beside the server
    try:
        accepted, latencies, seconds = post_replies(port, replies + retries, args.rate, secret)
        answered = time.monotonic()
        while InboundMessage.objects.filter(waiting=True).exists():
            time.sleep(0.2)
        caught_up = time.monotonic() - answered
    finally:
        stop(workers)
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    stored = Response.objects.filter(activation=activation)
    yes, no = stored.filter(answer="yes").count(), stored.filter(answer="no").count()
    want_yes = sum(1 for _id, _number, body in replies if body in ("Y", "SÍ"))
    latencies.sort()
    print(f"  replies: {len(replies) + len(retries)} posted ({len(retries)} of them again) at {args.rate:.0f}/s target, "
          f"{(len(replies) + len(retries)) / seconds:.0f}/s achieved, {accepted} answered 200; "
          f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {latencies[int(0.99 * len(latencies))] * 1000:.1f} ms")
    print(f"  the worker had acted on every reply {caught_up:.1f} s after the last was answered")
    print(f"  stored {yes + no} answers for {len(replies)} people ({yes} yes, want {want_yes}; {no} no, "
          f"want {len(replies) - want_yes})" + ("" if (yes, no) == (want_yes, len(replies) - want_yes) else "  <-- MISMATCH"))
    os.environ.pop("DATABASE_URL", None)


if __name__ == "__main__":
    main()
