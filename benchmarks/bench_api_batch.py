"""The API record helpers' batch on its own: the CPU one batch of attendances or submissions costs
the process that settles it, without a server or clients around it.

    python benchmarks/bench_api_batch.py --engine postgres --size 6 --batches 60

`api.helpers._settle` is what a web worker runs for the requests that came together
(`bench_api_helpers.py` times it through the server, where this machine's drift from run to run
is larger than a batch's gain). Here it is called directly with `--size` arrivals each (new people,
as the API's plain sign-ups make them) for an event without a limit and for a form, after ten
untimed batches. Prints the median process CPU per batch for each, and checks that every arrival
was settled in its batch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench_api_helpers import make_pages
from common import database_url, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--size", type=int, default=6, help="arrivals a batch (4.4 on average through the server with 8 threads a worker, more with 16)")
    parser.add_argument("--batches", type=int, default=60)
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from turnout.api import helpers
    from turnout.people.signup import PublicSignup

    local, user, event, form, _petition = make_pages()

    def arrivals(kind: str, target: Any, batch: str) -> list[helpers.Arrival]:
        return [helpers.Arrival(kind=kind, target=target, group=local, actor=user, detail="",
                                signup=PublicSignup(given_name="C", family_name=f"R{batch}-{n}",
                                                    email=f"{kind}-{batch}-{n}@example.org", phone="",
                                                    postal_code="98101", language="en", source="api"))
                for n in range(args.size)]

    for kind, target in ((helpers.ATTENDANCE, event), (helpers.SUBMISSION, form)):
        for batch in range(10):
            helpers._settle(arrivals(kind, target, f"warm{batch}"))
        spent = []
        for batch in range(args.batches):
            batch_arrivals = arrivals(kind, target, str(batch))
            started = time.process_time()
            results = helpers._settle(batch_arrivals)
            spent.append(time.process_time() - started)
            if any(isinstance(result, str) for result in results):
                raise SystemExit(f"{kind}: a batch left an arrival to the one-by-one way")
        print(f"{args.engine}, {kind}: {statistics.median(spent) * 1000:.2f} ms of CPU a batch of {args.size} "
              f"(median of {args.batches})", flush=True)


if __name__ == "__main__":
    main()
