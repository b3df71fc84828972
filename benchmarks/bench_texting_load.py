"""500 volunteer texters at once through `turnout serve`, with replies through the signed gateway hook.

    python benchmarks/bench_texting_load.py --texters 500 --seconds 60
    python benchmarks/bench_texting_load.py --texters 100 --seconds 20 --contacts 10000   # a quick look

On PostgreSQL, with RQ workers on Redis, as a union would run it. A campaign is launched over
`--contacts` people (as `bench_outbox.py` makes them); `--texters` volunteers join by its invitation
link. `turnout serve` (its defaults: 2 workers x 16 threads) and one `turnout worker` run beside a
gateway process on 127.0.0.1 that takes every text the worker sends and, for `--reply-share` of the
contacts, answers a second later as the contact would: a signed POST to
`/hooks/sms/http/inbound`, which the worker hands to the texter's conversation.

Each simulated texter is a thread with its own connection, acting as the texter's page does: it
opens its inbox (for the CSRF cookie), asks for a batch of 50 ("Get contacts to text"), then every
`--every` seconds presses Send on the next contact: one POST, answered (as htmx asks) by the card
of the contact after it, so "send" and "next contact" are one request. Between two sends it polls
for new replies once, as the page does every second (a 204 while nothing is new); a reply that
arrived is answered at the next send (a POST, then the inbox again). When its batch is done it asks
for another (POST, then the inbox).

Prints, for each kind of request, how many, the median and the 95th percentile; every answer
other than the expected one as an error; then, once the outbox has drained, whether any contact
was texted twice or any contact marked sent never reached the gateway; and the resident memory
of the server's workers and the worker, sampled every 5 s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from bench_dispatch import descendants, start_workers, stop
from bench_outbox import populate
from bench_rsvp import _proc_stats, cpu_used, percentile
from common import OUT, database_url, setup_django, start_server

SECRET = "bench-gateway-secret"

# Takes every text; answers a share of the first texts to each number a second later through
# Turnout's signed inbound hook, as the contact's phone would.
GATEWAY = r'''
import hashlib, hmac, http.client, json, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
turnout_port, secret, share = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3])
arrivals = []; seen = set(); lock = threading.Lock(); replies = []; answered = [0, 0]
def answer_later():
    conn = None
    while True:
        time.sleep(0.05)
        with lock:
            due = [r for r in replies if r[0] <= time.time()]
            replies[:] = [r for r in replies if r[0] > time.time()]
        for _at, to, sender in due:
            raw = json.dumps({"id": "in-" + uuid.uuid4().hex, "from": to, "to": sender,
                              "body": "Yes, count me in"}).encode()
            sig = "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()
            for attempt in (1, 2):
                try:
                    conn = conn or http.client.HTTPConnection("127.0.0.1", turnout_port, timeout=30)
                    conn.request("POST", "/hooks/sms/http/inbound", body=raw,
                                 headers={"Content-Type": "application/json", "X-Turnout-Signature": sig})
                    answer = conn.getresponse(); answer.read()
                    answered[0 if answer.status == 200 else 1] += 1
                    break
                except OSError:
                    conn = None
threading.Thread(target=answer_later, daemon=True).start()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_POST(self):
        text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            arrivals.append((time.time(), text["to"], text["from"], text["body"][:40]))
            first = text["to"] not in seen
            seen.add(text["to"])
            if first and int(hashlib.sha256(text["to"].encode()).hexdigest(), 16) % 1000 < share * 1000:
                replies.append((time.time() + 1.0, text["to"], text["from"]))
        body = json.dumps({"id": str(uuid.uuid4())}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        with lock:
            body = json.dumps({"arrivals": arrivals, "answered": answered[0], "refused": answered[1]}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H); print(s.server_address[1], flush=True); s.serve_forever()
'''

SEND = re.compile(r'action="(/t/[^/"]+/c/(\d+)/send/)"')
REPLY = re.compile(r'action="(/t/[^/"]+/c/(\d+)/reply/)"')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STAMP = re.compile(r'id="stamp"[^>]*value="([^"]*)"|name="stamp" value="([^"]*)"')


class CpuMeter:
    """CPU seconds from now to `stop()` of the server, PostgreSQL, the worker and this load generator."""

    def __init__(self, server_pid: int, workers: list[subprocess.Popen[bytes]]) -> None:
        self.server_pid, self.workers = server_pid, workers
        self.before = self._now()

    def _now(self) -> list[float]:
        stats = {pid: (own, children) for pid, _name, _parent, own, children in _proc_stats()}
        worker = sum(stats.get(pid, (0.0, 0.0))[0] + stats.get(pid, (0.0, 0.0))[1]
                     for each in self.workers for pid in [each.pid, *descendants(each.pid)])
        return [*cpu_used(self.server_pid), worker, sum(os.times()[:2])]

    def stop(self) -> None:
        self.used = [b - a for a, b in zip(self.before, self._now(), strict=True)]

    def report(self, sends: int) -> str:
        server, database, worker, client = (used / max(sends, 1) * 1000 for used in self.used)
        return (f"CPU per send (its share of every request, the poll and the worker) {server + database + worker:.1f} ms: "
                f"server {server:.1f}, PostgreSQL {database:.1f}, worker {worker:.1f}; "
                f"load generator {client:.1f}")


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class Texter(threading.Thread):
    """One volunteer's page, as the browser drives it."""

    def __init__(self, port: int, path: str, stop_at: float, every: float, poll: bool, log: Log, ramp: float) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.stop_at, self.every, self.poll, self.log = port, path, stop_at, every, poll, log
        self.ramp = ramp
        self.cookie = self.token = self.stamp = ""
        self.next_send = ""
        self.replies: list[str] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, kind: str, method: str, path: str, fields: dict[str, str] | None = None,
                expect: tuple[int, ...] = (200,), headers: dict[str, str] | None = None) -> str:
        headers = {**(headers or {}), **({"Cookie": self.cookie} if self.cookie else {})}
        body = None
        if fields is not None:
            body = urlencode({**fields, "csrfmiddlewaretoken": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{self.path}"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            answer = self.conn.getresponse()
            text = answer.read().decode()
        except OSError as exc:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.log.add(kind, time.perf_counter() - started, f"{kind}: {exc!r}")
            return ""
        for header in answer.headers.get_all("Set-Cookie") or []:
            if header.startswith("csrftoken="):
                self.cookie = header.split(";", 1)[0]
        error = "" if answer.status in expect else f"{kind}: {answer.status} {text[:160]!r}"
        self.log.add(kind, time.perf_counter() - started, error)
        return text

    def read_inbox(self, kind: str) -> None:
        page = self.request(kind, "GET", self.path)
        if token := TOKEN.search(page):
            self.token = token.group(1)
        found = SEND.search(page)
        self.next_send = found.group(1) if found else ""
        self.replies = [m.group(1) for m in REPLY.finditer(page)]
        if stamp := STAMP.search(page):
            self.stamp = stamp.group(1) or stamp.group(2) or ""

    def run(self) -> None:
        time.sleep(random.random() * self.ramp)  # texters open their pages over the first seconds
        self.read_inbox("inbox (first)")
        while time.monotonic() < self.stop_at:
            cycle = time.monotonic()
            if not self.next_send:
                self.request("take a batch", "POST", f"{self.path}take/", {"size": "50"}, expect=(302,))
                self.read_inbox("inbox")
            if self.next_send:
                # The Send button, as the page sends it (htmx): answered by the next contact's card.
                card = self.request("send", "POST", self.next_send, {}, headers={"HX-Request": "true"})
                self.log.sent()
                found = SEND.search(card)
                self.next_send = found.group(1) if found else ""
            if self.replies:
                self.request("answer a reply", "POST", self.replies.pop(0), {"body": "Thank you! See you there."},
                             expect=(302,))
                self.read_inbox("inbox")
            if self.poll:
                time.sleep(max(0.0, cycle + self.every / 2 - time.monotonic()))
                news = self.request("poll for replies", "GET",
                                    f"{self.path}changed/?{urlencode({'stamp': self.stamp})}", expect=(200, 204))
                if stamp := STAMP.search(news):
                    self.stamp = stamp.group(1) or stamp.group(2) or ""
                self.replies += [m.group(1) for m in REPLY.finditer(news) if m.group(1) not in self.replies]
            time.sleep(max(0.0, cycle + self.every - time.monotonic()))


class Log:
    """Latencies and errors; the latencies of requests that start after `steady_from` (every texter
    has joined and opened their page) are the ones reported."""

    def __init__(self, steady_from: float) -> None:
        self.lock = threading.Lock()
        self.steady_from = steady_from
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.sends = self.steady_sends = 0

    def add(self, kind: str, seconds: float, error: str) -> None:
        with self.lock:
            if time.monotonic() - seconds >= self.steady_from:
                self.times.setdefault(kind, []).append(seconds)
            if error:
                self.errors.append(error)

    def sent(self) -> None:
        with self.lock:
            self.sends += 1
            self.steady_sends += time.monotonic() >= self.steady_from


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texters", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60, help="the steady phase, after the ramp")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which the texters open their pages")
    parser.add_argument("--contacts", type=int, default=40_000)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between one texter's sends")
    parser.add_argument("--reply-share", type=float, default=0.3)
    parser.add_argument("--no-poll", action="store_true", help="texters do not poll for replies between sends")
    args = parser.parse_args()
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")
    url = database_url("postgres")
    from common import free_port

    port = free_port()
    gateway = subprocess.Popen([sys.executable, "-c", GATEWAY, str(port), SECRET, str(args.reply_share)],
                               stdout=subprocess.PIPE, text=True)
    gateway_port = int(gateway.stdout.readline())  # type: ignore[union-attr]
    sms = {"TURNOUT_SMS_BACKEND": "http", "TURNOUT_SMS_HTTP_URL": f"http://127.0.0.1:{gateway_port}/",
           "TURNOUT_SMS_HTTP_SECRET": SECRET, "TURNOUT_SMS_SENDERS": "+12065550100,+12065550101",
           "TURNOUT_SMS_RATE": "0"}
    os.environ.update(sms)
    setup_django(url)
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    from django.db import connection

    from turnout.accounts.models import Group, User
    from turnout.messaging import audience
    from turnout.messaging.models import Delivery
    from turnout.texting import services
    from turnout.texting.models import Conversation

    populate(args.contacts)
    organizer = User.objects.get(email="organizer@example.org")
    local = Group.objects.get(slug="local-8")
    # Texting hours all day, so that the run does not depend on the hour it is started at.
    local.texts_from, local.texts_until = 0, 24
    local.save(update_fields=["texts_from", "texts_until"])
    campaign = services.create_campaign(actor=organizer, group=local, fields={
        "title": "Contract vote", "senders": ["+12065550100", "+12065550101"],
        "script": "Hi {first_name}, it's {texter_first_name} with Local 8. Will you vote yes on the contract? "
                  "Reply STOP to opt out."})
    services.launch(actor=organizer, campaign=campaign, audience=audience.people_for(organizer, {}))
    invitation = services.invite(actor=organizer, campaign=campaign)[1]
    keys = [services.join(key=invitation, name=f"Texter {n}")[1] for n in range(args.texters)]
    connection.close()
    _port, server = start_server(url, port=port, redis=True, **sms)
    workers = start_workers(1, {**os.environ, "DATABASE_URL": url, "TURNOUT_LOG_LEVEL": "WARNING"})
    time.sleep(3)
    started = time.monotonic()
    steady_from = started + args.ramp + args.every
    log = Log(steady_from)
    memory: list[tuple[float, float, float]] = []
    stop_at = steady_from + args.seconds
    texters = [Texter(port, f"/t/{key}/", stop_at, args.every, not args.no_poll, log, args.ramp) for key in keys]
    for texter in texters:
        texter.start()
    cpu: CpuMeter | None = None
    try:
        while time.monotonic() < stop_at:
            if cpu is None and time.monotonic() >= steady_from:
                cpu = CpuMeter(server.pid, workers)  # type: ignore[attr-defined]
            serving = descendants(server.pid)  # type: ignore[attr-defined]
            working = [pid for worker in workers for pid in [worker.pid, *descendants(worker.pid)]]
            memory.append((time.monotonic() - started, rss_mb(serving), rss_mb(working)))
            time.sleep(5)
        assert cpu is not None
        cpu.stop()
        for texter in texters:
            texter.join(timeout=120)
        elapsed = time.monotonic() - started
        drained = time.monotonic()
        while (Delivery.objects.filter(status__in=["queued", "sending"]).exists()
               and time.monotonic() - drained < 120):
            time.sleep(0.5)
        time.sleep(3)  # the last replies come back a second after their texts
        drain = time.monotonic() - drained
    finally:
        stop(workers)
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/") as answer:
        seen = json.loads(answer.read())
    gateway.terminate()
    first_texts = [to for _at, to, _from, body in seen["arrivals"] if body.startswith("Hi ")]
    texted = Counter(first_texts)
    twice = sum(n - 1 for n in texted.values() if n > 1)
    marked = Conversation.objects.filter(campaign=campaign, sent_at__isnull=False).count()
    answered_replies = Conversation.objects.filter(campaign=campaign, status="answered").count()
    print(f"PostgreSQL, {args.texters} texters (one send every {args.every:g} s each), {args.contacts:,} contacts, "
          f"1 worker; {args.ramp:g} s of ramp-up, then {args.seconds:g} s timed:")
    print(f"  steady phase: {log.steady_sends / args.seconds:.0f} sends/s (offered: {args.texters / args.every:.0f}/s); "
          + cpu.report(log.steady_sends))
    print(f"  first texts sent: {log.sends} clicks answered in {elapsed:.0f} s; "
          f"{marked} conversations marked sent; {len(texted)} contacts reached the gateway "
          f"(the outbox drained {drain:.1f} s after the last click)")
    print(f"  replies through the signed hook: {seen['answered']} accepted, {seen['refused']} refused; "
          f"{answered_replies} answered by texters")
    for kind, values in sorted(log.times.items()):
        print(f"  {kind:18} {len(values):6} requests  median {statistics.median(values) * 1000:7.1f} ms  "
              f"p95 {percentile(values, 0.95) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms")
    print(f"  errors: {len(log.errors)}" + (f", first: {log.errors[:3]}" if log.errors else ""))
    print(f"  contacts texted twice: {twice}; marked sent but never at the gateway: {max(0, marked - len(texted))}; "
          f"at the gateway but not marked sent: {max(0, len(texted) - marked)}")
    print("  resident memory (MB), server workers / worker: "
          + ", ".join(f"{at:.0f}s {serving:.0f}/{working:.0f}" for at, serving, working in memory))


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
