"""Sending through the real workers: throughput, per-sender pacing, and a worker killed mid-send.

    # throughput, no rate limit: SQLite with the database worker, PostgreSQL with RQ workers on Redis
    python benchmarks/bench_dispatch.py --engine sqlite --texts 20000
    python benchmarks/bench_dispatch.py --engine postgres --texts 20000 --workers 2
    # 20 senders at 1 segment/s each: a steady 20/s, never above
    python benchmarks/bench_dispatch.py --engine postgres --texts 600 --senders 20 --rate 1
    # fault: kill -9 every worker after --kill-after seconds (or once the gateway has --kill-at texts),
    # someone texts STOP, restart, drain
    python benchmarks/bench_dispatch.py --engine postgres --texts 100000 --workers 2 --kill-after 5
    python benchmarks/bench_dispatch.py --engine sqlite --texts 20000 --kill-at 5100

A gateway process on 127.0.0.1 answers every POST at once and notes when each text arrived
and to whom. The message is started as the console starts it (`sending.start_sending`); the
workers (`turnout worker`, separate processes) do the rest. The clock runs from the start
until the last delivery leaves the outbox.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import timedelta

from bench_outbox import populate
from common import ROOT, database_url, setup_django

GATEWAY = r'''
import json, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
arrivals = []; lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_POST(self):
        text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not text["id"].startswith("reply-"):  # keyword answers are not the blast
            with lock: arrivals.append((time.time(), text["to"], text["from"]))
        body = json.dumps({"id": str(uuid.uuid4())}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        with lock: body = json.dumps(len(arrivals) if self.path == "/count" else arrivals).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
class S(ThreadingHTTPServer):
    def handle_error(self, request, client_address): pass  # a killed worker's connection breaks mid-request
s = S(("127.0.0.1", 0), H); print(s.server_address[1], flush=True); s.serve_forever()
'''


def start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-m", "turnout", "worker"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for _ in range(count)]


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (RQ runs each job in a forked "work horse" in its own session,
    which a signal to the worker's process group does not reach)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def stop(workers: list[subprocess.Popen[bytes]], sig: int = signal.SIGTERM) -> None:
    for worker in workers:
        for pid in [*descendants(worker.pid), worker.pid] if sig == signal.SIGKILL else [worker.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
    for worker in workers:
        worker.wait()


def arrived(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count") as answer:
        return int(answer.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0, help="segments per second per sender; 0 = no limit")
    parser.add_argument("--kill-after", type=float, default=0, help="kill -9 the workers after this many seconds")
    parser.add_argument("--kill-at", type=int, default=0, help="kill -9 the workers once the gateway has this many texts")
    args = parser.parse_args()
    if args.engine == "postgres":
        os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")
    else:
        os.environ.pop("REDIS_URL", None)
    senders = ",".join(f"+1206555{100 + n:04d}" for n in range(args.senders))
    gateway = subprocess.Popen([sys.executable, "-c", GATEWAY], stdout=subprocess.PIPE, text=True)
    port = int(gateway.stdout.readline())  # type: ignore[union-attr]
    sms = {"TURNOUT_SMS_BACKEND": "http", "TURNOUT_SMS_HTTP_URL": f"http://127.0.0.1:{port}/",
           "TURNOUT_SMS_HTTP_SECRET": "s", "TURNOUT_SMS_SENDERS": senders, "TURNOUT_SMS_RATE": str(args.rate),
           "TURNOUT_DISPATCHERS": str(args.workers)}
    os.environ.update(sms)
    setup_django(database_url(args.engine))
    if args.engine == "postgres":
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    from django.db import connection
    from django.utils import timezone

    from turnout.accounts.models import Group, User
    from turnout.messaging import outbox, sending
    from turnout.messaging.models import Delivery, Message
    from turnout.messaging.services import receive_sms
    from turnout.people.models import Person

    populate(args.texts)
    connection.close()
    env = {**os.environ}
    group, user = Group.objects.get(), User.objects.get()
    message = Message.objects.create(group=group, channel="sms", body="Rally at Westlake Park, 6pm",
                                     ignore_quiet_hours=True, override_reason="benchmark", created_by=user)
    workers = start_workers(args.workers, env)
    time.sleep(3)  # let the workers start (Django set-up), so the clock measures sending
    t0 = time.perf_counter()
    sending.start_sending(actor=user, message=message, audience=Person.objects.visible_to(user))
    stopper = None
    try:
        if args.kill_after or args.kill_at:
            time.sleep(args.kill_after)
            while args.kill_at and arrived(port) < args.kill_at:
                time.sleep(0.02)
            stop(workers, signal.SIGKILL)
            killed_at = time.perf_counter() - t0
            sent_before = Delivery.objects.filter(message=message, sent_at__isnull=False).count()
            stopper = (Delivery.objects.filter(message=message, status=Delivery.Status.QUEUED)
                       .order_by("-pk").values_list("address", flat=True).first())
            if stopper:
                receive_sms(from_number=stopper, body="STOP", provider_id="bench-stop")
            # Of the rows the dead workers held, those handed to the gateway without a result are
            # the only ones that may have gone out.
            handed = Delivery.objects.filter(status=Delivery.Status.SENDING, handed_at__isnull=False).count()
            # The dead workers' leases would run out after 5 minutes; the benchmark does not wait.
            held = Delivery.objects.filter(status=Delivery.Status.SENDING).update(
                lease_until=timezone.now() - timedelta(seconds=1))
            print(f"  killed {args.workers} worker(s) at {killed_at:.1f} s: {arrived(port)} at the gateway, "
                  f"{sent_before} recorded sent, {held} held by them, "
                  f"{handed} of those handed to the gateway without a result")
            workers = start_workers(args.workers, env)
        while Delivery.objects.filter(message=message, status__in=["queued", "sending"]).exists():
            time.sleep(0.2)
        elapsed = time.perf_counter() - t0
    finally:
        stop(workers)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as answer:
        arrivals = json.loads(answer.read())
    gateway.terminate()
    progress = outbox.progress(message)
    texted = Counter(to for _at, to, _sender in arrivals)
    duplicates = sum(n - 1 for n in texted.values())
    engine = "SQLite, database worker" if args.engine == "sqlite" else "PostgreSQL, RQ workers on Redis"
    print(f"{engine} x{args.workers}: {progress['sent']} texts in {elapsed:.1f} s = {progress['sent'] / elapsed:.0f}/s "
          f"(targeted {progress['targeted']}, suppressed {progress['suppressed']}, failed {progress['failed']})")
    if args.rate:
        first = min(at for at, _to, _s in arrivals)
        per_second = Counter(int(at - first) for at, _to, _s in arrivals)
        full = [per_second[s] for s in range(1, max(per_second))]  # whole seconds, not the first or last
        window = sorted(at for at, _to, _s in arrivals)
        busiest = max(sum(1 for t in window[i:i + 200] if t < start + 1.0) for i, start in enumerate(window))
        per_sender = Counter(sender for _at, _to, sender in arrivals)
        by_sender: dict[str, list[float]] = {}
        for at, _to, sender in arrivals:
            by_sender.setdefault(sender, []).append(at)
        closest = min(b - a for times in by_sender.values() for a, b in zip(sorted(times), sorted(times)[1:],
                                                                             strict=False))
        print(f"  {args.senders} senders at {args.rate:g}/s: median {statistics.median(full):.0f} texts/s, "
              f"lowest {min(full)}, highest {max(full)} (whole seconds); busiest sliding second {busiest}, "
              f"closest two texts from one sender {closest * 1000:.0f} ms apart; texts per sender {min(per_sender.values())}..{max(per_sender.values())}")
    missing = progress["targeted"] - progress["suppressed"] - len(texted)
    print(f"  recipients texted {len(texted)}, missing {missing}, duplicates {duplicates}, "
          f"counted as possible duplicates {progress['possible_duplicates']}"
          + (f", the one who sent STOP texted: {stopper in texted}" if stopper else ""))
    os.environ.pop("DATABASE_URL", None)


if __name__ == "__main__":
    main()
