"""Public form submissions, petition signatures and pledges: 50 concurrent phones posting to
`turnout serve`, beside /health.

    python benchmarks/bench_forms.py --engine sqlite --seconds 60
    python benchmarks/bench_forms.py --engine postgres --seconds 60 --kind petition

Starts `turnout serve` (gunicorn, 2 workers x 8 threads) on a fresh database with one form (two
custom questions, a tag added on submit, an autoresponse), one petition and one pledge. Each of 50
client threads keeps one connection, fetches the page once (for its CSRF cookie and token, as a
browser does), then posts it as a new person each time; every answer is the thank-you page with
the person's share link. The same clients first spend the same time on GET /health (one phase,
shared by the pages: `--kind all`, the default, times each page in turn after it; each page is
first posted to for 2 s untimed, as /health is fetched for 3 s, so that the timed phase is the
server's steady state and not its first posts to the page). Prints requests/s, p50 and p99 for
both, the ratio, and checks that the database holds exactly one submission per successful answer.

Each form is stored as sent and answered at once; a `turnout worker` (running beside the server
during the form phase, as in production, on the same cores; with `--worker after`, started when
the page's last answer has gone out, which times the server alone) settles the waiting forms in
batches (`actions.services.settle_waiting`). The count is taken once the worker has settled every
form, and the time that took after the last answer is printed too.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench_dispatch import start_workers, stop
from bench_rsvp import CpuMeter, duplicates, health, no_state, open_page, posting, report, run
from common import OUT, database_url, setup_django, start_server

KINDS = ("form", "petition", "pledge")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kind", choices=[*KINDS, "all"], default="all",
                        help="which page's posts to time after the one /health phase (all: each in turn)")
    parser.add_argument("--worker", choices=["beside", "after"], default="beside",
                        help="run the worker during each page's phase (as in production), or only after it "
                             "(the server's own rate, as bench_rsvp.py --worker after)")
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
    results = []
    try:
        run(port, 3, no_state, health)  # warm up
        with CpuMeter(server.pid, args.engine) as health_cpu:  # type: ignore[attr-defined]
            health_result = run(port, args.seconds, no_state, health)
        environment = {**os.environ, "DATABASE_URL": url, "TURNOUT_LOG_LEVEL": "WARNING"}
        for kind in kinds:
            page, model, _count, _what, extra = pages[kind]

            def fields(index: int, n: int, kind: str = kind, extra: dict[str, str] = extra,
                       prefix: str = "") -> dict[str, str]:
                return {"given_name": f"Member{index}", "family_name": f"N{n}",
                        "email": f"{prefix}{kind[:2]}{index}-{n}@example.org", "postal_code": "98101", **extra}

            def warm_fields(index: int, n: int, fields: object = fields) -> dict[str, str]:
                return fields(index, n, prefix="warm-")  # type: ignore[operator,no-any-return]

            # Warm up as /health did: each web worker's first posts to a page compile its templates
            # and lazy patterns. These forms are stored and settled with the timed ones.
            warm_result = run(port, 2, open_page(page), posting(port, page, warm_fields, 200))
            if warm_result[2]:
                raise SystemExit(f"{kind}: {len(warm_result[2])} warm-up posts failed, first: {warm_result[2][0]}")
            workers = start_workers(1, environment) if args.worker == "beside" else []
            try:
                with CpuMeter(server.pid, args.engine) as page_cpu:  # type: ignore[attr-defined]
                    result = run(port, args.seconds, open_page(page), posting(port, page, fields, 200))
                answered = time.monotonic()
                workers = workers or start_workers(1, environment)
                waiting = model.objects.filter(outcome="").count()
                while model.objects.filter(outcome="").exists() and time.monotonic() - answered < args.limit:
                    time.sleep(0.5)
                settled = time.monotonic() - answered
            finally:
                stop(workers)
            results.append((kind, result, warm_result[0], waiting, settled, page_cpu))
    finally:
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    for kind, result, warmed, waiting, settled, page_cpu in results:
        _page, model, count, what, _extra = pages[kind]
        report(args.engine, args.seconds, kind, health_result, result, count() - warmed, what, (health_cpu, page_cpu))
        left = model.objects.filter(outcome="").count()
        print(f"  {waiting} forms (the warm-up's {warmed} among them) were waiting for the worker when the last answer went out; "
              f"{'not all' if left else 'all'} settled {settled:.1f} s later"
              + (f"  <-- {left} NOT SETTLED" if left else ""))
    if twice := duplicates():
        print(f"  people made twice: {twice}")


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
