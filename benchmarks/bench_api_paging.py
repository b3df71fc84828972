"""Paging through N people 25 at a time through the API, as Parsons does (page=1, 2, 3, ...).

    python benchmarks/bench_api_paging.py --engine sqlite --people 100000
    python benchmarks/bench_api_paging.py --engine postgres --people 100000

People are written straight into a fresh database, all members of one local; an organizer's
token reads them through the real view stack (Django's test client, no network). Prints
pages/s for the whole walk, the median time of the first and last 100 pages (constant time
per page means a ratio near 1), and, for contrast, a cold jump to the last page (an OFFSET).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from common import database_url, setup_django


def populate(people: int) -> tuple[str, int]:
    from django.db import connection, transaction
    from django.utils import timezone

    from turnout.accounts.models import Group, Role, StaffRole, User
    from turnout.accounts.services import create_api_token
    from turnout.core.bulk import insert_rows
    from turnout.people.importer import PERSON_COLUMNS
    from turnout.people.models import EmailAddress, Membership, Person

    local = Group.objects.create(name="Local 8", slug="local-8")
    user = User.objects.create_user("organizer@example.org", "x")
    StaffRole.objects.create(user=user, group=local, role=Role.ORGANIZER)
    now = timezone.now()
    batch = 50_000
    for start in range(0, people, batch):
        count = min(batch, people - start)
        rows = [(uuid.uuid4(), now, now, "Pat", f"Worker{start + i}", "", "en", "", "", "Seattle", "WA", "98101",
                 "US", 47.61, -122.33, "America/Los_Angeles", {}) for i in range(count)]
        with transaction.atomic():
            insert_rows(Person, PERSON_COLUMNS, rows)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        insert_rows(Membership, ["person", "group", "status", "member_number", "created_at"],
                    [(pk, local.pk, "member", "", now) for pk in ids])
        insert_rows(EmailAddress, ["person", "address", "is_primary", "status", "created_at"],
                    [(pk, f"member{pk}@example.org", True, "subscribed", now) for pk in ids])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _token, key = create_api_token(actor=None, user=user, group=local, name="bench")
    return key, len(ids)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from django.conf import settings
    from django.test import Client

    settings.API_RATE_LIMIT = 0
    key, total = populate(args.people)
    client = Client(HTTP_HOST="127.0.0.1", headers={"OSDI-API-Token": key})
    pages = (total + 24) // 25
    timings = []
    started = time.perf_counter()
    for page in range(1, pages + 2):
        t0 = time.perf_counter()
        response = client.get("/api/v2/people", {"page": page, "per_page": 25})
        timings.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content[:300]
        if not response.json()["_embedded"]["osdi:people"]:
            assert page == pages + 1
    elapsed = time.perf_counter() - started
    from django.core.cache import cache

    cache.clear()  # forget where pages ended: the jump below must OFFSET past everyone
    t0 = time.perf_counter()
    client.get("/api/v2/people", {"page": pages, "per_page": 25})
    cold_jump = time.perf_counter() - t0
    first, last = statistics.median(timings[:100]), statistics.median(timings[-101:-1])
    print(f"{args.engine}: {total} people, {pages} pages in {elapsed:.1f} s = {pages / elapsed:.0f} pages/s")
    print(f"  median page time: first 100 pages {first * 1000:.1f} ms, last 100 pages {last * 1000:.1f} ms "
          f"(ratio {last / first:.2f})")
    print(f"  cold jump straight to page {pages} (OFFSET): {cold_jump * 1000:.1f} ms")


if __name__ == "__main__":
    main()
