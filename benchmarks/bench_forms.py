"""Public form submissions: 50 concurrent phones posting a sign-up form to `turnout serve`, beside /health.

    python benchmarks/bench_forms.py --engine sqlite --seconds 60
    python benchmarks/bench_forms.py --engine postgres --seconds 60

Starts `turnout serve` (gunicorn, 2 workers x 4 threads) on a fresh database with one form (two
custom questions, a tag added on submit, an autoresponse). Each of 50 client threads keeps one
connection, fetches the form once (for its CSRF cookie and token, as a browser does), then posts
it as a new person each time; every answer is the thank-you page with the person's share link.
The same clients first spend the same time on GET /health. Prints requests/s, p50 and p99 for
both, the ratio, and checks that the database holds exactly one submission per successful answer.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
from pathlib import Path
from urllib.parse import urlencode

from bench_rsvp import CLIENTS, percentile, run
from common import OUT, database_url, setup_django, start_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    url = database_url(args.engine)
    setup_django(url)
    from turnout.accounts.models import Group
    from turnout.actions.models import Form, FormQuestion, Submission

    local = Group.objects.create(name="Local 8", slug="local-8")
    form = Form.objects.create(group=local, title="Join the contract campaign", tags="contract-2026",
                               thank_you="We will call you this week.", autoresponse_body="Welcome aboard.")
    shift = FormQuestion.objects.create(form=form, label="Shift", kind="choice", choices="Day\nNight", required=True)
    note = FormQuestion.objects.create(form=form, label="Anything else?")
    page = form.public_url()
    port, server = start_server(url, TURNOUT_SMS_BACKEND="console")
    try:
        def no_state(conn: http.client.HTTPConnection, index: int) -> None:
            return None

        def health(state: None, index: int, n: int) -> tuple[str, str, None, dict[str, str], int]:
            return "GET", "/health", None, {}, 200

        def open_page(conn: http.client.HTTPConnection, index: int) -> tuple[str, str]:
            conn.request("GET", page)
            response = conn.getresponse()
            html = response.read().decode()
            cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)  # type: ignore[union-attr]
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
            return cookie, token

        def submit(state: tuple[str, str], index: int, n: int) -> tuple[str, str, bytes, dict[str, str], int]:
            cookie, token = state
            body = urlencode({"csrfmiddlewaretoken": token, "given_name": f"Member{index}", "family_name": f"N{n}",
                              "email": f"f{index}-{n}@example.org", "postal_code": "98101",
                              f"fq{shift.pk}": "Night", f"fq{note.pk}": "Break room needs a fan"}).encode()
            headers = {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded",
                       "Referer": f"http://127.0.0.1:{port}{page}"}
            return "POST", page, body, headers, 200

        run(port, 3, no_state, health)  # warm up
        health_ok, health_times, health_errors = run(port, args.seconds, no_state, health)
        form_ok, form_times, form_errors = run(port, args.seconds, open_page, submit)
    finally:
        server.terminate()  # type: ignore[attr-defined]
        server.wait(timeout=30)  # type: ignore[attr-defined]
    stored = Submission.objects.filter(form=form).count()
    health_rate, form_rate = health_ok / args.seconds, form_ok / args.seconds
    print(f"{args.engine}, {CLIENTS} clients, {args.seconds:.0f} s each:")
    print(f"  /health  {health_rate:7.0f} req/s  p50 {statistics.median(health_times) * 1000:6.1f} ms  "
          f"p99 {percentile(health_times, 0.99) * 1000:6.1f} ms  errors {len(health_errors)}")
    print(f"  form     {form_rate:7.0f} req/s  p50 {statistics.median(form_times) * 1000:6.1f} ms  "
          f"p99 {percentile(form_times, 0.99) * 1000:6.1f} ms  errors {len(form_errors)}"
          + (f" (first: {form_errors[0]})" if form_errors else ""))
    print(f"  ratio {form_rate / health_rate:.0%}; {form_ok} successful answers, {stored} submissions stored"
          f"{'' if stored == form_ok else '  <-- MISMATCH'}")


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
