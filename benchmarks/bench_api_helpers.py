"""The API's record helpers (attendance, submission, signature) under 50 concurrent clients on
`turnout serve`, beside the API's own root.

    python benchmarks/bench_api_helpers.py --engine postgres --requests 3000
    python benchmarks/bench_api_helpers.py --engine sqlite --requests 2000 --rounds 1

Starts `turnout serve` (gunicorn, 2 workers x 16 threads) on a fresh database, makes an
organizer's token, an event, a form and a petition, then 50 client threads with keep-alive
connections send a bounded number of requests per phase: GET /api/v2/ (the API root: the
token checked, the entry point built), then POST …/attendances to the one event with a new
person each (`{"person": {...}}`), then the same for the form's submissions and the petition's
signatures. Every answer must be 201 with the new resource's id; `--rounds` repeats the four
phases. Prints each phase's requests/s and its ratio to the root's (the median over rounds), the
CPU time each request cost the server, PostgreSQL and the load generator,
then checks the database: one person per helper request, one attendance, submission or
signature per person, no address on two records, every answer's id stored.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_rsvp import CpuMeter
from common import OUT, database_url, setup_django, start_server

CLIENTS = 50
Request = tuple[str, str, bytes | None, dict[str, str]]


def hammer(port: int, total: int, request: Callable[[int, int], Request], ids: list[str] | None = None) -> float:
    """Send `total` requests from CLIENTS threads; the rate in requests/s. An answer other than 2xx
    (201 with an id when `ids` is given, collected there) aborts the run."""
    per_client = total // CLIENTS
    errors: list[str] = []

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for n in range(per_client):
            method, path, body, headers = request(index, n)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if ids is not None:
                if response.status != 201:
                    errors.append(f"{response.status} {data[:300]!r}")
                    return
                ids.append(json.loads(data)["identifiers"][0].split(":", 1)[1])
            elif response.status >= 300:
                errors.append(f"{response.status} {data[:300]!r}")
                return
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} clients failed, first: {errors[0]}")
    return per_client * CLIENTS / elapsed


def make_pages() -> tuple[Any, Any, Any, Any, Any]:
    """Local 8, its organizer and the three pages the helpers post to, on a migrated database:
    (group, organizer, event without a limit, form, petition)."""
    from datetime import timedelta

    from django.utils import timezone

    from turnout.accounts.models import Group, Role, StaffRole, User
    from turnout.actions.models import Form, Petition
    from turnout.events.models import Event

    local = Group.objects.create(name="Local 8", slug="local-8")
    user = User.objects.create_user("organizer@example.org", "x")
    StaffRole.objects.create(user=user, group=local, role=Role.ORGANIZER)
    event = Event.objects.create(group=local, title="Rally at Westlake Park", time_zone="America/Los_Angeles",
                                 starts_at=timezone.now() + timedelta(days=7), postal_code="98101")
    form = Form.objects.create(group=local, title="Join the campaign")
    petition = Petition.objects.create(group=local, title="Fix the heat", petition_text="Heat now.")
    return local, user, event, form, petition


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--helpers", default="attendance,submission,signature")
    args = parser.parse_args()
    helpers = [h for h in args.helpers.split(",") if h]
    url = database_url(args.engine)
    setup_django(url)
    from turnout.accounts.services import create_api_token
    from turnout.actions.models import PetitionSignature, Submission
    from turnout.events.models import Rsvp
    from turnout.people.models import EmailAddress, Person

    local, user, event, form, petition = make_pages()
    _token, key = create_api_token(actor=None, user=user, group=local, name="bench")
    paths = {"attendance": f"/api/v2/events/{event.public_id}/attendances",
             "submission": f"/api/v2/forms/{form.public_id}/submissions",
             "signature": f"/api/v2/petitions/{petition.public_id}/signatures"}
    headers = {"OSDI-API-Token": key, "Content-Type": "application/json"}

    def root(i: int, n: int) -> Request:
        return "GET", "/api/v2/", None, headers

    def helper(kind: str, round_: int) -> Callable[[int, int], Request]:
        def make(i: int, n: int) -> Request:
            body = {"person": {"given_name": f"C{i}", "family_name": f"R{round_}",
                               "email_addresses": [{"address": f"{kind}-{round_}-{i}-{n}@example.org"}],
                               "postal_addresses": [{"postal_code": "98101"}]}}
            return "POST", paths[kind], json.dumps(body).encode(), headers
        return make

    rates: dict[str, list[float]] = {"root": [], **{h: [] for h in helpers}}
    answered: dict[str, list[str]] = {h: [] for h in helpers}
    cpu: dict[str, list[list[float]]] = {name: [] for name in rates}  # CPU s of (server, PostgreSQL, clients)
    load = os.getloadavg()
    port, server = start_server(url, TURNOUT_API_RATE_LIMIT="0")
    try:
        hammer(port, 500, root)  # warm up both workers
        for round_ in range(args.rounds):
            with CpuMeter(server.pid, args.engine) as meter:  # type: ignore[attr-defined]
                rates["root"].append(hammer(port, args.requests, root))
            cpu["root"].append(meter.used)
            for kind in helpers:
                with CpuMeter(server.pid, args.engine) as meter:  # type: ignore[attr-defined]
                    rates[kind].append(hammer(port, args.requests, helper(kind, round_), answered[kind]))
                cpu[kind].append(meter.used)
            print(f"round {round_ + 1}: " + ", ".join(f"{name} {rate[-1]:.0f} req/s" for name, rate in rates.items()),
                  flush=True)
    finally:
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    load_after = os.getloadavg()
    base = statistics.median(rates["root"])
    print(f"{args.engine}: API root {base:.0f} req/s (median of {args.rounds}: "
          + ", ".join(f"{r:.0f}" for r in rates["root"]) + ")")
    for kind in helpers:
        median = statistics.median(rates[kind])
        print(f"  {kind}: {median:.0f} req/s ({median / base:.0%} of the root; rounds: "
              + ", ".join(f"{r:.0f}" for r in rates[kind]) + ")")
    for name, used in cpu.items():
        server_ms, database_ms, client_ms = (statistics.median(u[i] for u in used) / args.requests * 1000 for i in range(3))
        if args.engine != "postgres":  # SQLite works inside the server's processes
            print(f"  CPU per request, {name}: {server_ms + client_ms:.2f} ms (server {server_ms:.2f}, "
                  f"load generator {client_ms:.2f}; median of rounds)")
            continue
        print(f"  CPU per request, {name}: {server_ms + database_ms + client_ms:.2f} ms (server {server_ms:.2f}, "
              f"PostgreSQL {database_ms:.2f}, load generator {client_ms:.2f}; median of rounds)")
    print(f"load average before {load[0]:.1f}, after {load_after[0]:.1f}")

    sent = {kind: len(answered[kind]) for kind in helpers}
    models = {"attendance": (Rsvp, {"event": event}), "submission": (Submission, {"form": form}),
              "signature": (PetitionSignature, {"petition": petition})}
    for kind in helpers:
        model, where = models[kind]
        stored = set(map(str, model.objects.filter(**where).values_list("public_id", flat=True)))  # type: ignore[attr-defined]
        assert len(stored) == sent[kind], f"{kind}: {len(stored)} stored for {sent[kind]} answers"
        assert set(answered[kind]) == stored, f"{kind}: the answers' ids are not the stored ones"
        people = Person.objects.filter(emails__address__startswith=f"{kind}-").distinct().count()
        assert people == sent[kind], f"{kind}: {people} people for {sent[kind]} requests"
    assert Person.objects.count() == sum(sent.values()), "one person per helper request"
    assert EmailAddress.objects.values("address").distinct().count() == EmailAddress.objects.count(), \
        "an address on two records"
    print("checked: " + ", ".join(f"{sent[k]} {k}s = {sent[k]} people" for k in helpers) + "; no address twice")


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
