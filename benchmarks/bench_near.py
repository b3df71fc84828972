""""Everyone within 25 miles of a ZIP" among N people, on SQLite or PostgreSQL.

    python benchmarks/bench_near.py --engine sqlite --people 1000000
    python benchmarks/bench_near.py --engine postgres --people 1000000

People are spread over real US ZIP centroids (weighted to cities, with a small jitter),
written straight into a fresh database. Each query is timed 5 times; the median is printed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid

from common import database_url, setup_django, us_zip_codes

PLACES = {"10027": "New York", "60608": "Chicago", "98101": "Seattle", "85004": "Phoenix", "59001": "rural Montana"}


def populate(people: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from turnout.core.bulk import insert_rows
    from turnout.core.geo import lookup_zip
    from turnout.people.importer import PERSON_COLUMNS
    from turnout.people.models import Person

    rng = random.Random(25)
    zips = us_zip_codes()
    cities = [z for z in zips if z[:3] in {"100", "112", "606", "981", "850", "900", "941", "770", "191", "331"}]
    now = timezone.now()
    batch = 50_000
    for start in range(0, people, batch):
        rows = []
        for _ in range(min(batch, people - start)):
            place = lookup_zip(rng.choice(cities) if rng.random() < 0.4 else rng.choice(zips))
            assert place is not None
            rows.append((uuid.uuid4(), now, now, "Pat", "Worker", "", "en", "", "", place.city, place.state,
                         place.zip_code, "US", place.latitude + rng.uniform(-0.02, 0.02),
                         place.longitude + rng.uniform(-0.02, 0.02), place.time_zone, {}))
        with transaction.atomic():
            insert_rows(Person, PERSON_COLUMNS, rows)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    args = parser.parse_args()
    setup_django(database_url(args.engine))

    from turnout.core.geo import lookup_zip
    from turnout.people.models import Person

    started = time.perf_counter()
    populate(args.people)
    print(f"engine={args.engine} people={Person.objects.count():,} (loaded in {time.perf_counter() - started:.0f} s)")
    for zip_code, name in PLACES.items():
        place = lookup_zip(zip_code)
        assert place is not None
        counts, pages = [], []
        for _ in range(5):
            t0 = time.perf_counter()
            found = Person.objects.near(place.latitude, place.longitude, miles=25).count()
            counts.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            list(Person.objects.near(place.latitude, place.longitude, miles=25).order_by("family_name", "given_name", "id")[:50])
            pages.append(time.perf_counter() - t0)
        print(f"  within 25 miles of {zip_code} ({name}): {found:,} people; count {statistics.median(counts) * 1000:.0f} ms, "
              f"first page of 50 {statistics.median(pages) * 1000:.0f} ms (median of 5)")


if __name__ == "__main__":
    main()
