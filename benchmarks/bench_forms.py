"""Public form submissions: 50 concurrent phones posting a sign-up form to `turnout serve`, beside /health.

    python benchmarks/bench_forms.py --engine sqlite --seconds 60
    python benchmarks/bench_forms.py --engine postgres --seconds 60

Starts `turnout serve` (gunicorn, 2 workers x 8 threads) on a fresh database with one form (two
custom questions, a tag added on submit, an autoresponse). Each of 50 client threads keeps one
connection, fetches the form once (for its CSRF cookie and token, as a browser does), then posts
it as a new person each time; every answer is the thank-you page with the person's share link.
The same clients first spend the same time on GET /health. Prints requests/s, p50 and p99 for
both, the ratio, and checks that the database holds exactly one submission per successful answer.

Each form is stored as sent and answered at once; a `turnout worker` (running beside the server
during the form phase, as in production, on the same cores) settles the waiting forms in batches
(`actions.services.settle_waiting`). The count is taken once the worker has settled every form,
and the time that took after the last answer is printed too.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench_dispatch import start_workers, stop
from bench_rsvp import duplicates, health, no_state, open_page, posting, report, run
from common import OUT, database_url, setup_django, start_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--limit", type=float, default=900,
                        help="stop waiting for the worker this many seconds after the last answer")
    args = parser.parse_args()
    url = database_url(args.engine)
    setup_django(url)
    from turnout.accounts.models import Group
    from turnout.actions.models import ActionIntake, Form, FormQuestion, Submission

    local = Group.objects.create(name="Local 8", slug="local-8")
    form = Form.objects.create(group=local, title="Join the contract campaign", tags="contract-2026",
                               thank_you="We will call you this week.", autoresponse_body="Welcome aboard.")
    shift = FormQuestion.objects.create(form=form, label="Shift", kind="choice", choices="Day\nNight", required=True)
    note = FormQuestion.objects.create(form=form, label="Anything else?")
    page = form.public_url()
    port, server = start_server(url, TURNOUT_SMS_BACKEND="console")
    try:
        def fields(index: int, n: int) -> dict[str, str]:
            return {"given_name": f"Member{index}", "family_name": f"N{n}", "email": f"f{index}-{n}@example.org",
                    "postal_code": "98101", f"fq{shift.pk}": "Night", f"fq{note.pk}": "Break room needs a fan"}

        run(port, 3, no_state, health)  # warm up
        health_result = run(port, args.seconds, no_state, health)
        environment = {**os.environ, "DATABASE_URL": url, "TURNOUT_LOG_LEVEL": "WARNING"}
        workers = start_workers(1, environment)
        try:
            form_result = run(port, args.seconds, open_page(page), posting(port, page, fields, 200))
            answered = time.monotonic()
            waiting = ActionIntake.objects.filter(outcome="").count()
            while ActionIntake.objects.filter(outcome="").exists() and time.monotonic() - answered < args.limit:
                time.sleep(0.5)
            settled = time.monotonic() - answered
        finally:
            stop(workers)
    finally:
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    report(args.engine, args.seconds, "form", health_result, form_result,
           Submission.objects.filter(form=form).count(), "submissions")
    stored = ActionIntake.objects.count()
    left = ActionIntake.objects.filter(outcome="").count()
    print(f"  {waiting} forms were waiting for the worker when the last answer went out; "
          f"{stored - left} of {stored} settled {settled:.1f} s later"
          + ("  <-- NOT ALL SETTLED" if left else "")
          + (f"  (people made twice: {twice})" if (twice := duplicates()) else ""))


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
