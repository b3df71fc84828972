"""Public RSVP throughput: 50 concurrent phones posting the RSVP form to `turnout serve`, beside /health.

    python benchmarks/bench_rsvp.py --engine sqlite --seconds 60
    python benchmarks/bench_rsvp.py --engine postgres --seconds 60

Starts `turnout serve` (gunicorn, 2 workers x 16 threads) on a fresh database with one
public event. Each of 50 client threads keeps one connection, fetches the event page once
(for its CSRF cookie and token, as a browser does), then for the given time alternates
nothing else: it posts the RSVP form with a new name and email, as a new person each time.
The same clients first spend the same time on GET /health (one trivial database question).
Prints requests/s, p50 and p99 latency for both, the ratio, and checks that the database
holds exactly one RSVP per successful answer (a 302 to the person's RSVP page).

The event has no limit, so each form is answered at once and a `turnout worker` (running
beside the server during the RSVP phase, as in production, on the same cores) makes the
person and the RSVP; the count is taken once the worker has settled every form, and the time
that took after the last answer is printed too.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from bench_dispatch import start_workers, stop
from common import OUT, database_url, setup_django, start_server

CLIENTS = 50


def run(port: int, seconds: float, prepare: object, request: object) -> tuple[int, list[float], list[str]]:
    """CLIENTS threads for `seconds`: (successes, latencies in s, errors)."""
    latencies: list[float] = []
    errors: list[str] = []
    successes = [0] * CLIENTS
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        state = prepare(conn, index)  # type: ignore[operator]
        n = 0
        mine: list[float] = []
        while time.monotonic() < stop_at:
            method, path, body, headers, ok = request(state, index, n)  # type: ignore[operator]
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            mine.append(time.perf_counter() - started)
            if response.status == ok:
                successes[index] += 1
            else:
                with lock:
                    errors.append(f"{response.status} {data[:200]!r}")
            n += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(successes), latencies, errors


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


Result = tuple[int, list[float], list[str]]


def _proc_stats() -> list[tuple[int, str, int, float, float]]:
    """(pid, name, parent, own CPU s, reaped children's CPU s) of every process (Linux /proc)."""
    tick, stats = os.sysconf("SC_CLK_TCK"), []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            name, rest = stat.split("(", 1)[1].rsplit(")", 1)
            fields = rest.split()
            stats.append((int(entry.name), name, int(fields[1]), (int(fields[11]) + int(fields[12])) / tick,
                          (int(fields[13]) + int(fields[14])) / tick))
    return stats


def cpu_used(server_pid: int) -> tuple[float, float]:
    """CPU seconds used so far by the server (its master and workers) and by PostgreSQL (every
    backend, counting those that have exited — their time goes to the postmaster's children's
    total — since connections are opened again as they age)."""
    stats = _proc_stats()
    postgres = {pid for pid, name, *_ in stats if name == "postgres"}
    server = sum(own + (children if pid == server_pid else 0)
                 for pid, _name, parent, own, children in stats if server_pid in (pid, parent))
    database = sum(own + (children if parent not in postgres else 0)
                   for pid, _name, parent, own, children in stats if pid in postgres)
    return server, database


class CpuMeter:
    """CPU time per request of the server, PostgreSQL and this load generator over one phase."""

    def __init__(self, server_pid: int, engine: str) -> None:
        self.server_pid, self.engine = server_pid, engine

    def _now(self) -> list[float]:
        return [*cpu_used(self.server_pid), sum(os.times()[:2])]

    def __enter__(self) -> CpuMeter:
        self.before = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.used = [b - a for a, b in zip(self.before, self._now(), strict=True)]

    def per_request(self, count: int) -> str:
        server, postgres, client = (used / max(count, 1) * 1000 for used in self.used)
        if self.engine != "postgres":  # SQLite works inside the server's processes
            return f"CPU per request {server + client:.2f} ms: server {server:.2f}, load generator {client:.2f}"
        return (f"CPU per request {server + postgres + client:.2f} ms: server {server:.2f}, PostgreSQL {postgres:.2f}, "
                f"load generator {client:.2f}")


def no_state(conn: http.client.HTTPConnection, index: int) -> None:
    return None


def health(state: None, index: int, n: int) -> tuple[str, str, None, dict[str, str], int]:
    return "GET", "/health", None, {}, 200


def open_page(page: str) -> object:
    """Each client first loads the page for its CSRF cookie and token, as a browser does."""

    def prepare(conn: http.client.HTTPConnection, index: int) -> tuple[str, str]:
        conn.request("GET", page)
        response = conn.getresponse()
        html = response.read().decode()
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)  # type: ignore[union-attr]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        return cookie, token

    return prepare


def posting(port: int, page: str, fields: object, ok: int) -> object:
    """Post the page's form with `fields(index, n)` (a new person each time), CSRF token included."""

    def request(state: tuple[str, str], index: int, n: int) -> tuple[str, str, bytes, dict[str, str], int]:
        cookie, token = state
        body = urlencode({"csrfmiddlewaretoken": token, **fields(index, n)}).encode()  # type: ignore[operator]
        headers = {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded",
                   "Referer": f"http://127.0.0.1:{port}{page}"}
        return "POST", page, body, headers, ok

    return request


def report(engine: str, seconds: float, label: str, health_result: Result, result: Result, stored: int,
           what: str, meters: tuple[CpuMeter, CpuMeter] | None = None) -> None:
    (health_ok, health_times, health_errors), (done, times, errors) = health_result, result
    health_rate, rate = health_ok / seconds, done / seconds
    print(f"{engine}, {CLIENTS} clients, {seconds:.0f} s each:")
    print(f"  /health  {health_rate:7.0f} req/s  p50 {statistics.median(health_times) * 1000:6.1f} ms  "
          f"p99 {percentile(health_times, 0.99) * 1000:6.1f} ms  errors {len(health_errors)}")
    print(f"  {label:8} {rate:7.0f} req/s  p50 {statistics.median(times) * 1000:6.1f} ms  "
          f"p99 {percentile(times, 0.99) * 1000:6.1f} ms  errors {len(errors)}"
          + (f" (first: {errors[0]})" if errors else ""))
    print(f"  ratio {rate / health_rate:.0%}; {done} successful answers, {stored} {what} stored"
          f"{'' if stored == done else '  <-- MISMATCH'}")
    if meters:
        print(f"  /health  {meters[0].per_request(health_ok)}")
        print(f"  {label:8} {meters[1].per_request(done)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--worker", choices=["beside", "after"], default="beside",
                        help="run the worker during the RSVP phase (as in production), or only after it")
    parser.add_argument("--limit", type=float, default=900,
                        help="stop waiting for the worker this many seconds after the last answer")
    args = parser.parse_args()
    url = database_url(args.engine)
    setup_django(url)
    from django.utils import timezone

    from turnout.accounts.models import Group
    from turnout.events.models import Event, Rsvp, RsvpIntake
    from turnout.events.services import save_event
    from turnout.messaging.models import Delivery, Message

    local = Group.objects.create(name="Local 8", slug="local-8")
    event = save_event(actor=None, event=Event(group=local, title="Rally for a fair contract", postal_code="98101",
                                               starts_at=timezone.now() + timedelta(days=3)))
    page = f"/e/{event.public_id}/"
    port, server = start_server(url, TURNOUT_SMS_BACKEND="console")
    try:
        def fields(index: int, n: int) -> dict[str, str]:
            return {"given_name": f"Member{index}", "family_name": f"N{n}", "email": f"m{index}-{n}@example.org",
                    "postal_code": "98101"}

        run(port, 3, no_state, health)  # warm up
        with CpuMeter(server.pid, args.engine) as health_cpu:  # type: ignore[attr-defined]
            health_result = run(port, args.seconds, no_state, health)
        environment = {**os.environ, "DATABASE_URL": url, "TURNOUT_LOG_LEVEL": "WARNING"}
        burst = Burst(server.pid, args, environment)
        try:
            rsvp_result, rsvp_cpu, waiting, settled = burst.run(port, page, fields, 302, RsvpIntake)
            answered = burst.answered
            # Each RSVP's confirmation is an email and a text (`services.confirm`): two messages.
            confirmations = Message.objects.filter(topic=f"event:{event.pk}:confirmation")
            while (confirmations.count() < 2 * Rsvp.objects.filter(event=event).count()
                   and time.monotonic() - answered < args.limit):
                time.sleep(0.5)
            confirmed = time.monotonic() - answered
            confirmed_count = confirmations.count() // 2
            # Their sending goes on after (`messaging.tasks.dispatch_later`): how far it got by then.
            outbox = Delivery.objects.filter(message__topic=f"event:{event.pk}:confirmation")
            sent_by_then, to_send = outbox.filter(status=Delivery.Status.SENT).count(), outbox.count()
        finally:
            stop(burst.workers)
    finally:
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    report(args.engine, args.seconds, "RSVP", health_result, rsvp_result, Rsvp.objects.filter(event=event).count(),
           "RSVPs", (health_cpu, rsvp_cpu))
    stored = RsvpIntake.objects.count()
    left = RsvpIntake.objects.filter(outcome="").count()
    print(f"  {waiting} forms were waiting for the worker when the last answer went out; "
          f"{stored - left} of {stored} settled {settled:.1f} s later ({(stored - left) / max(settled, 0.001):.0f}/s "
          f"after the burst); {confirmed_count} confirmations made {confirmed:.1f} s after the burst"
          + f"; {sent_by_then} of their {to_send} deliveries sent by then"
          + ("  <-- NOT ALL SETTLED" if left else "")
          + (f"  (people made twice: {twice})" if (twice := duplicates()) else ""))


class Burst:
    """One page's timed posts with the worker beside them or started after them (`--worker`), then
    the wait for the worker to settle what they left waiting. The caller stops `workers`."""

    def __init__(self, server_pid: int, args: argparse.Namespace, environment: dict[str, str]) -> None:
        self.server_pid, self.args, self.environment = server_pid, args, environment
        self.workers: list[object] = []
        self.answered = 0.0

    def run(self, port: int, page: str, fields: object, status: int,
            intake: type) -> tuple[tuple[int, list[float], list[str]], CpuMeter, int, float]:
        """(the posts' result, their CPU, how many waited when the last answer went out, seconds to settle them)."""
        self.workers = start_workers(1, self.environment) if self.args.worker == "beside" else []
        with CpuMeter(self.server_pid, self.args.engine) as meter:
            result = run(port, self.args.seconds, open_page(page), posting(port, page, fields, status))
        self.answered = time.monotonic()
        self.workers = self.workers or start_workers(1, self.environment)
        waiting = intake.objects.filter(outcome="").count()  # type: ignore[attr-defined]
        while (intake.objects.filter(outcome="").exists()  # type: ignore[attr-defined]
               and time.monotonic() - self.answered < self.args.limit):
            time.sleep(0.5)
        return result, meter, waiting, time.monotonic() - self.answered


def duplicates() -> int:
    """People with more than one record of one email (each form was a new address)."""
    from django.db.models import Count

    from turnout.people.models import EmailAddress

    return EmailAddress.objects.values("address").annotate(n=Count("id")).filter(n__gt=1).count()


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
