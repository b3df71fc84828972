"""Person signup helper throughput under 20 concurrent clients on `turnout serve`, beside /health.

    python benchmarks/bench_api_signup.py --engine sqlite
    python benchmarks/bench_api_signup.py --engine postgres --requests 4000

Starts `turnout serve` (gunicorn, 2 workers x 16 threads) on a fresh database, makes an
organizer's token, then 20 client threads with keep-alive connections send a bounded number
of requests: first GET /health (a view that asks the database one trivial question), then
POST /api/v2/people with a new email address each. Prints requests/s for both and the
ratio, and checks that every signup made exactly one person.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from pathlib import Path

from common import OUT, database_url, setup_django, start_server

CLIENTS = 20


def hammer(port: int, total: int, request: object) -> float:
    """Send `total` requests from CLIENTS threads; the rate in requests/s. Any non-2xx aborts."""
    per_client = total // CLIENTS
    errors: list[str] = []

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for n in range(per_client):
            method, path, body, headers = request(index, n)  # type: ignore[operator]
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.status >= 300:
                errors.append(f"{response.status} {data[:200]!r}")
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    url = database_url(args.engine)
    setup_django(url)
    from turnout.accounts.models import Group, Role, StaffRole, User
    from turnout.accounts.services import create_api_token
    from turnout.people.models import Person

    local = Group.objects.create(name="Local 8", slug="local-8")
    user = User.objects.create_user("organizer@example.org", "x")
    StaffRole.objects.create(user=user, group=local, role=Role.ORGANIZER)
    _token, key = create_api_token(actor=None, user=user, group=local, name="bench")

    port, server = start_server(url, TURNOUT_API_RATE_LIMIT="0")
    try:
        hammer(port, 200, lambda i, n: ("GET", "/health", None, {}))  # warm up both workers
        health = hammer(port, args.requests, lambda i, n: ("GET", "/health", None, {}))
        headers = {"OSDI-API-Token": key, "Content-Type": "application/json"}

        def signup(i: int, n: int) -> tuple[str, str, bytes, dict[str, str]]:
            body = {"person": {"given_name": f"C{i}", "email_addresses": [{"address": f"c{i}-{n}@example.org"}],
                               "postal_addresses": [{"postal_code": "98101"}]}, "add_tags": ["bench"]}
            return "POST", "/api/v2/people", json.dumps(body).encode(), headers

        signups = hammer(port, args.requests, signup)
    finally:
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    made = Person.objects.count()
    expected = (args.requests // CLIENTS) * CLIENTS
    print(f"{args.engine}: /health {health:.0f} req/s; person signup helper {signups:.0f} req/s "
          f"({signups / health:.0%} of /health); {made} people for {expected} signups")
    assert made == expected, "every signup must make exactly one person"


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
