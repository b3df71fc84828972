"""Shared set-up for the benchmarks: a fresh database per run, and a deterministic member list."""

from __future__ import annotations

import csv
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))

GIVEN = ["Maria", "James", "Guadalupe", "Aisha", "Wei", "Darnell", "Sofia", "Luis", "Fatima", "Kevin", "Ana", "Mei"]
FAMILY = ["Garcia", "Johnson", "Nguyen", "Williams", "Hernandez", "Smith", "Martinez", "Brown", "Lopez", "Kim"]
STREETS = ["Maple Ave", "Oak St", "Pine St", "Cedar Ln", "Main St", "Union St", "Mission St", "Grand Ave"]


def database_url(engine: str) -> str:
    if engine == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    name = os.environ.get("BENCH_DB", "turnout_bench")  # another name for runs side by side
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a stopped run may hold it
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnout.settings")
    os.environ.setdefault("TURNOUT_VAR_DIR", str(OUT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def us_zip_codes() -> list[str]:
    from turnout.core.geo import _zip_table

    return sorted(_zip_table())


def write_people_csv(path: Path, rows: int, seed: int = 1) -> Path:
    """A member list shaped like a union's: names, email, phone, street address, ZIP, member number, tags."""
    if path.exists() and path.stat().st_size > 0 and path.name.endswith(f"-{rows}.csv"):
        return path
    rng = random.Random(seed)
    zips = us_zip_codes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["first_name", "last_name", "email", "phone", "address", "zip", "member_number", "tags"])
        for i in range(rows):
            exchange = rng.randint(200, 999)
            writer.writerow([
                rng.choice(GIVEN), rng.choice(FAMILY), f"member{i}@example.org",
                f"({rng.choice(['206', '312', '415', '602', '718', '503', '512'])}) {exchange}-{i % 10000:04d}",
                f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", rng.choice(zips), f"M{i:07d}",
                rng.choice(["", "steward", "rapid-response", ""]),
            ])
    return path


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, *, port: int = 0, redis: bool = False, **env: str) -> tuple[int, object]:
    """`turnout serve` (gunicorn, 2 workers x 16 threads, its defaults; BENCH_WORKERS and BENCH_THREADS
    change them) on `url`'s database, answering /health; (port, process). Without Redis (its cache
    and task queue) unless `redis`."""
    import http.client
    import subprocess
    import time

    port = port or free_port()
    environment = {**os.environ, "DATABASE_URL": url, "TURNOUT_SECRET_KEY": "bench-" + "x" * 50,
                   "TURNOUT_VAR_DIR": str(OUT), "TURNOUT_LOG_LEVEL": "WARNING",
                   # 50 clients on one address, each a new person: the public forms' limits stay out of the way.
                   "TURNOUT_PUBLIC_FORM_RATE_PER_IP": "100000000/m", "TURNOUT_PUBLIC_FORM_RATE_PER_PERSON": "100000/m",
                   **env}
    if not redis:
        environment.pop("REDIS_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "turnout", "serve", "--bind", f"127.0.0.1:{port}",
                               "--workers", os.environ.get("BENCH_WORKERS", "2"),
                               "--threads", os.environ.get("BENCH_THREADS", "16"), "--no-collectstatic"],
                              cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/health")
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.3)
    time.sleep(1)
    return port, server
