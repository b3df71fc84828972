"""200 volunteer callers at once through `turnout serve`: "next contact" and "save result".

    python benchmarks/bench_calling_load.py --callers 200 --seconds 60
    python benchmarks/bench_calling_load.py --callers 50 --seconds 20 --contacts 10000   # a quick look

On PostgreSQL with Redis, as a union would run it. A phone bank with one survey question is
launched over `--contacts` people (as `bench_outbox.py` makes them); `--callers` volunteers join by
its invitation link and `turnout serve` (its defaults: 2 workers x 16 threads) answers them.

Each simulated caller is a thread with its own connection, acting as the caller's page does: it
opens its page (for the CSRF cookie) and presses "Next contact" (a POST, then the page it redirects
to, with the contact's number and script). Then, every `--every` seconds (the call itself), it
saves a result and a survey answer: half the time with "Save and next contact", a POST that records
both and hands out the next contact, then the page it redirects to; else with "Save and stop", then
"Next contact" on its own. Each POST and its page are timed as one: what the caller waits for.

Prints, for each, how many, the median, the 95th percentile and the maximum; every answer other
than the expected one as an error; whether any contact was handed to two callers (each contact
is saved once, with "talked" or "refused", so none goes back to the pool); and the resident memory
of the server's workers, sampled every 5 s.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from bench_dispatch import descendants
from bench_outbox import populate
from bench_rsvp import percentile
from bench_texting_load import rss_mb
from common import OUT, database_url, free_port, setup_django, start_server

CALL = re.compile(r'action="(/t/[^/"]+/c/(\d+)/call/)"')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DIAL = re.compile(r'href="tel:(\+\d+)"')


class Log:
    """Latencies and errors; those of requests that start in the steady phase are reported."""

    def __init__(self, steady_from: float, stop_at: float) -> None:
        self.lock = threading.Lock()
        self.steady_from, self.stop_at = steady_from, stop_at
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.given: list[tuple[int, int]] = []  # (contact, caller)

    def add(self, kind: str, seconds: float, error: str) -> None:
        with self.lock:
            if self.steady_from <= time.monotonic() - seconds < self.stop_at:
                self.times.setdefault(kind, []).append(seconds)
            if error:
                self.errors.append(error)


class Caller(threading.Thread):
    def __init__(self, number: int, port: int, path: str, stop_at: float, every: float, log: Log,
                 ramp: float, results: list[str], choices: list[str], question: str) -> None:
        super().__init__(daemon=True)
        self.number, self.port, self.path, self.stop_at, self.every, self.log = number, port, path, stop_at, every, log
        self.ramp, self.results, self.choices, self.question = ramp, results, choices, question
        self.cookie = self.token = self.call = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, fields: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if fields is not None:
            body = urlencode({**fields, "csrfmiddlewaretoken": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{self.path}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                answer = self.conn.getresponse()
                text = answer.read().decode()
                break
            except (OSError, http.client.HTTPException) as exc:
                # The server closed the idle keep-alive connection during the call: a browser opens
                # another and sends again.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    return 0, repr(exc)
        for header in answer.headers.get_all("Set-Cookie") or []:
            if header.startswith(("csrftoken=", "sessionid=")):
                name = header.split(";", 1)[0]
                kept = [c for c in self.cookie.split("; ") if c and not c.startswith(name.split("=")[0] + "=")]
                self.cookie = "; ".join([*kept, name])
        return answer.status, text

    def act(self, kind: str, path: str, fields: dict[str, str], *, wants_next: bool = True) -> None:
        """A button press: the POST, then the page it leads to; timed as one."""
        started = time.perf_counter()
        status, _text = self.request("POST", path, fields)
        error = "" if status == 302 else f"{kind}: {status} {_text[:160]!r}"
        page_status, page = self.request("GET", self.path) if not error else (0, "")
        if not error and page_status != 200:
            error = f"{kind} page: {page_status} {page[:160]!r}"
        self.read(page)
        if wants_next and not error and not self.call and "Nobody is waiting" not in page:
            error = f"{kind}: no contact and no reason given"
        self.log.add(kind, time.perf_counter() - started, error)

    def read(self, page: str) -> None:
        if token := TOKEN.search(page):
            self.token = token.group(1)
        found = CALL.search(page)
        self.call = found.group(1) if found else ""
        if found and DIAL.search(page):
            with self.log.lock:
                self.log.given.append((int(found.group(2)), self.number))

    def run(self) -> None:
        time.sleep(random.random() * self.ramp)  # callers open their pages over the first seconds
        self.read(self.request("GET", self.path)[1])
        self.act("next contact", f"{self.path}take/", {"size": "1"})
        while time.monotonic() < self.stop_at:
            cycle = time.monotonic()
            time.sleep(max(0.0, cycle + self.every - time.monotonic()))  # the call
            if self.call:
                # Every other call: "Save and stop", then "Next contact" on its own (a caller back
                # from a break); else "Save and next contact", which does both in one press.
                then = "stop" if random.random() < 0.5 else "next"
                self.act("save result", self.call, {"result": random.choice(self.results),
                                                    self.question: random.choice(self.choices), "then": then},
                         wants_next=then == "next")
            if not self.call:
                self.act("next contact", f"{self.path}take/", {"size": "1"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60, help="the steady phase, after the ramp")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which the callers open their pages")
    parser.add_argument("--contacts", type=int, default=40_000)
    parser.add_argument("--every", type=float, default=20.0,
                        help="seconds one call takes (callers average a conversation every 4 minutes, a dial every 1-2)")
    args = parser.parse_args()
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")
    url = database_url("postgres")
    setup_django(url)
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    from django.db import connection

    from turnout.accounts.models import Group, User
    from turnout.messaging import audience
    from turnout.messaging import results as contact_results
    from turnout.people.models import ContactResult
    from turnout.texting import services
    from turnout.texting.models import Conversation

    populate(args.contacts)
    organizer = User.objects.get(email="organizer@example.org")
    local = Group.objects.get(slug="local-8")
    campaign = services.create_campaign(actor=organizer, group=local, fields={
        "title": "Strike vote calls", "channel": "phone", "call_from": 0, "call_until": 24,  # any hour of the run
        "script": "Hi {first_name}, this is {texter_first_name}, a member of Local 8. The strike vote is Tuesday."})
    question = services.add_question(actor=organizer, campaign=campaign, prompt="Will you vote yes?",
                                     choices="Yes | vote-yes\nNo\nUnsure")
    services.launch(actor=organizer, campaign=campaign, audience=audience.people_for(organizer, {}))
    invitation = services.invite(actor=organizer, campaign=campaign)[1]
    keys = [services.join(key=invitation, name=f"Caller {n}")[1] for n in range(args.callers)]
    # Results that end the contact's calls, so none goes back to the pool and each is handed out once.
    results = [str(c.pk) for c in contact_results.built_in() if c.key in ("talked", "refused")]
    choices = [str(pk) for pk in question.choices.values_list("pk", flat=True)]
    connection.close()
    port, server = start_server(url, port=free_port(), redis=True)
    time.sleep(3)
    started = time.monotonic()
    steady_from = started + args.ramp + args.every
    stop_at = steady_from + args.seconds
    log = Log(steady_from, stop_at)
    callers = [Caller(n, port, f"/t/{key}/", stop_at, args.every, log, args.ramp, results, choices,
                      f"q{question.pk}") for n, key in enumerate(keys)]
    memory: list[tuple[float, float]] = []
    for caller in callers:
        caller.start()
    try:
        while time.monotonic() < stop_at:
            memory.append((time.monotonic() - started, rss_mb(descendants(server.pid))))  # type: ignore[attr-defined]
            time.sleep(5)
        for caller in callers:
            caller.join(timeout=120)
    finally:
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    holders: dict[int, set[int]] = {}
    for contact, caller_number in log.given:
        holders.setdefault(contact, set()).add(caller_number)
    shared = sum(1 for held in holders.values() if len(held) > 1)
    saved = Counter(Conversation.objects.filter(campaign=campaign, attempts__gt=0).values_list("attempts", flat=True))
    results_written = ContactResult.objects.filter(source__startswith=f"calling:{campaign.pk}:").count()
    print(f"PostgreSQL, {args.callers} callers (one call every {args.every:g} s each), {args.contacts:,} contacts; "
          f"{args.ramp:g} s of ramp-up, then {args.seconds:g} s timed:")
    saves = len(log.times.get("save result", []))
    print(f"  steady phase: {saves / args.seconds:.0f} results saved/s (offered: {args.callers / args.every:.0f}/s)")
    for kind, values in sorted(log.times.items()):
        print(f"  {kind:14} {len(values):6} presses  median {statistics.median(values) * 1000:7.1f} ms  "
              f"p95 {percentile(values, 0.95) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms")
    print(f"  errors: {len(log.errors)}" + (f", first: {log.errors[:3]}" if log.errors else ""))
    print(f"  contacts handed out: {len(holders)}; to two callers: {shared}; contacts called: {sum(saved.values())} "
          f"(called more than once: {sum(n for calls, n in saved.items() if calls > 1)}); results on records: "
          f"{results_written}")
    print("  resident memory (MB) of the server's workers: "
          + ", ".join(f"{at:.0f}s {serving:.0f}" for at, serving in memory))


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
