"""Public form submissions, petition signatures and pledges: 50 concurrent phones posting to
`turnout serve`, beside /health.

    python benchmarks/bench_forms.py --engine sqlite --seconds 60
    python benchmarks/bench_forms.py --engine postgres --seconds 60 --kind petition
    python benchmarks/bench_forms.py --engine postgres --seconds 10 --rounds 3 --worker after

Starts `turnout serve` (gunicorn, 2 workers x 16 threads) on a fresh database with one form (two
custom questions, a tag added on submit, an autoresponse), one petition and one pledge. Each of 50
client threads keeps one connection, fetches the page once (for its CSRF cookie and token, as a
browser does), then posts it as a new person each time; every answer is the thank-you page with
the person's share link. Each page is first posted to for 2 s untimed (as /health is fetched for
3 s at the start), so that the timed phase is the server's steady state and not its first posts
to the page; then the same clients spend the same time on GET /health, and then on the page
(`--kind all`, the default, takes each page in turn). Prints requests/s, p50 and p99 for both, the
ratio, and checks that the database holds exactly one submission per successful answer. With
`--rounds N` every page is timed N times, each time right after its own /health phase, and the
median ratio is printed: on a shared machine /health's own rate moves by half from minute to
minute, and a ratio of two phases seconds apart holds better than one /health phase for all.

Each form is stored as sent and answered at once; a `turnout worker` (running beside the server
during the form phase, as in production, on the same cores; with `--worker after`, started when
the page's last answer has gone out, which times the server alone) settles the waiting forms in
batches (`actions.services.settle_waiting`). The count is taken once the worker has settled every
form, and the time that took after the last answer is printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path
from typing import NamedTuple

from bench_dispatch import stop
from bench_rsvp import (
    Burst,
    CpuMeter,
    duplicates,
    health,
    no_state,
    open_page,
    posting,
    report,
    run,
)
from common import OUT, database_url, setup_django, start_server

KINDS = ("form", "petition", "pledge")


class Timed(NamedTuple):
    """One page's phase and the /health phase right before it."""

    round: int
    kind: str
    health: tuple[int, list[float], list[str]]
    page: tuple[int, list[float], list[str]]
    stored: int  # the page's acts stored for the timed posts (the warm-up's left out)
    waiting: int  # forms waiting for the worker when the last answer went out
    left: int  # forms still waiting when the wait ended
    settled: float  # seconds the wait took
    health_cpu: CpuMeter
    page_cpu: CpuMeter
    warmed: int  # the warm-up's successful posts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kind", choices=[*KINDS, "all"], default="all",
                        help="which page's posts to time after the one /health phase (all: each in turn)")
    parser.add_argument("--worker", choices=["beside", "after"], default="beside",
                        help="run the worker during each page's phase (as in production), or only after it "
                             "(the server's own rate, as bench_rsvp.py --worker after)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="time each page this many times, each right after its own /health phase")
    parser.add_argument("--limit", type=float, default=900,
                        help="stop waiting for the worker this many seconds after the last answer")
    args = parser.parse_args()
    url = database_url(args.engine)
    setup_django(url)
    from turnout.accounts.models import Group
    from turnout.actions.models import (
        ActionIntake,
        Form,
        FormQuestion,
        Petition,
        PetitionSignature,
        Submission,
    )
    from turnout.mobilization.models import Pledge, PledgeIntake, Signature

    local = Group.objects.create(name="Local 8", slug="local-8")
    form = Form.objects.create(group=local, title="Join the contract campaign", tags="contract-2026",
                               thank_you="We will call you this week.", autoresponse_body="Welcome aboard.")
    shift = FormQuestion.objects.create(form=form, label="Shift", kind="choice", choices="Day\nNight", required=True)
    note = FormQuestion.objects.create(form=form, label="Anything else?")
    petition = Petition.objects.create(group=local, title="Fix the heat", petition_text="Heat in every shop now.")
    pledge = Pledge.objects.create(group=local, title="Protect the contract", text="We will act together.")
    pages = {
        "form": (form.public_url(), ActionIntake, lambda: Submission.objects.filter(form=form).count(), "submissions",
                 {f"fq{shift.pk}": "Night", f"fq{note.pk}": "Break room needs a fan"}),
        "petition": (petition.public_url(), ActionIntake, lambda: PetitionSignature.objects.filter(
            petition=petition).count(), "signatures", {"comment": "Our shop is freezing", "show_name": "on"}),
        "pledge": (pledge.public_url(), PledgeIntake, lambda: Signature.objects.filter(pledge=pledge).count(),
                   "signatures", {}),
    }
    kinds = KINDS if args.kind == "all" else (args.kind,)
    port, server = start_server(url, TURNOUT_SMS_BACKEND="console")
    results: list[Timed] = []
    try:
        run(port, 3, no_state, health)  # warm up
        environment = {**os.environ, "DATABASE_URL": url, "TURNOUT_LOG_LEVEL": "WARNING"}
        for round_ in range(args.rounds):
            for kind in kinds:
                page, model, count, _what, extra = pages[kind]

                def fields(index: int, n: int, kind: str = kind, extra: dict[str, str] = extra,
                           prefix: str = f"r{round_}-") -> dict[str, str]:
                    return {"given_name": f"Member{index}", "family_name": f"N{n}",
                            "email": f"{prefix}{kind[:2]}{index}-{n}@example.org", "postal_code": "98101", **extra}

                def warm_fields(index: int, n: int, fields: object = fields, round_: int = round_) -> dict[str, str]:
                    return fields(index, n, prefix=f"warm{round_}-")  # type: ignore[operator,no-any-return]

                # Warm up as /health did: each web worker's first posts to a page compile its templates
                # and lazy patterns. These forms are stored and settled with the timed ones.
                stored_before = count()
                warm_result = run(port, 2, open_page(page), posting(port, page, warm_fields, 200))
                if warm_result[2]:
                    raise SystemExit(f"{kind}: {len(warm_result[2])} warm-up posts failed, first: {warm_result[2][0]}")
                # /health, timed right before the page, so that each ratio compares two phases a few
                # seconds apart on this machine, whatever else it is doing.
                with CpuMeter(server.pid, args.engine) as health_cpu:  # type: ignore[attr-defined]
                    health_result = run(port, args.seconds, no_state, health)
                burst = Burst(server.pid, args, environment)
                try:
                    result, page_cpu, waiting, settled = burst.run(port, page, fields, 200, model)
                finally:
                    stop(burst.workers)
                stored = count() - stored_before - warm_result[0]
                left = model.objects.filter(outcome="").count()
                results.append(Timed(round_, kind, health_result, result, stored, waiting, left, settled, health_cpu,
                                     page_cpu, warm_result[0]))
    finally:
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    for timed in results:
        if args.rounds > 1:
            print(f"round {timed.round + 1} of {args.rounds}:")
        report(args.engine, args.seconds, timed.kind, timed.health, timed.page, timed.stored, pages[timed.kind][3],
               (timed.health_cpu, timed.page_cpu))
        print(f"  {timed.waiting} forms (the warm-up's {timed.warmed} among them) were waiting for the worker when the "
              f"last answer went out; {'not all' if timed.left else 'all'} settled {timed.settled:.1f} s later"
              + (f"  <-- {timed.left} NOT SETTLED" if timed.left else ""))
    if args.rounds > 1:
        print(f"median of {args.rounds} rounds, each page's rate against /health's right before it:")
        for kind in kinds:
            mine = [timed for timed in results if timed.kind == kind]
            ratios = sorted(t.page[0] / max(t.health[0], 1) for t in mine)
            server_ms = statistics.median(t.page_cpu.used[0] / max(t.page[0], 1) * 1000 for t in mine)
            health_ms = statistics.median(t.health_cpu.used[0] / max(t.health[0], 1) * 1000 for t in mine)
            print(f"  {kind:8} {statistics.median(ratios):.0%} of /health (rounds: {', '.join(f'{r:.0%}' for r in ratios)}); "
                  f"server CPU per request {server_ms:.2f} ms against /health's {health_ms:.2f} ms")
    if twice := duplicates():
        print(f"  people made twice: {twice}")


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
