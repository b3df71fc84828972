"""Import N people from CSV on SQLite or PostgreSQL; compare with a raw bulk insert of the same rows.

    python benchmarks/bench_import.py --engine sqlite --rows 1000000
    python benchmarks/bench_import.py --engine postgres --rows 1000000

Each run starts from an empty database. Peak memory is the maximum resident set of the
importing process and, for files big enough to be parsed in a second process, of that one.
"""

from __future__ import annotations

import argparse
import csv
import resource
import time

from common import OUT, database_url, setup_django, write_people_csv


def raw_bulk_insert(path: str, engine: str) -> float:
    """The floor: the same rows into one plain table, no parsing, validation or dedupe."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        cursor.execute("CREATE TABLE bench_raw (first_name text, last_name text, email text, phone text, "
                       "address text, zip text, member_number text, tags text)")
    start = time.perf_counter()
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        if engine == "postgres":
            raw = connection.connection
            with raw.cursor() as cursor, cursor.copy("COPY bench_raw FROM STDIN") as copy:
                for row in reader:
                    copy.write_row(row)
            raw.commit()
        else:
            with connection.cursor() as cursor:
                batch = []
                for row in reader:
                    batch.append(row)
                    if len(batch) == 10000:
                        cursor.executemany("INSERT INTO bench_raw VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", batch)
                        batch = []
                if batch:
                    cursor.executemany("INSERT INTO bench_raw VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", batch)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    source = write_people_csv(OUT / f"people-{args.rows}.csv", args.rows)
    setup_django(database_url(args.engine))

    from turnout.accounts.models import Group
    from turnout.people.importer import Importer
    from turnout.people.models import Person

    group = Group.objects.create(name="Bench Local", slug="bench-local")
    start = time.perf_counter()
    result = Importer(group=group, source_name=source.name).run(source)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the parsing process, if any
    assert Person.objects.count() == result.created, "every created row is a person"
    raw_seconds = raw_bulk_insert(str(source), args.engine)
    print(f"engine={args.engine} rows={args.rows:,} created={result.created:,} rejected={result.failed:,}")
    print(f"import: {seconds:.1f} s = {args.rows / seconds:,.0f} rows/s, peak memory {peak_mb:,.0f} MB"
          f" (+ {child_mb:,.0f} MB in the parsing process)")
    print(f"raw bulk insert of the same rows: {raw_seconds:.1f} s = {args.rows / raw_seconds:,.0f} rows/s "
          f"(import takes {seconds / raw_seconds:.1f}x the raw insert)")


if __name__ == "__main__":
    main()
