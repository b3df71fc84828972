"""The floor under any public form's throughput, in-process (no HTTP server): Django's full
middleware answering GET /health, beside the lightest possible public POST — the RSVP form
validated (CSRF checked) and one row inserted, then a redirect — and beside a real RSVP.

    python benchmarks/bench_post_floor.py --engine sqlite
    python benchmarks/bench_post_floor.py --engine postgres

Prints the median of 5 runs of 500 requests each, in ms per request, and the ratios to /health.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from datetime import timedelta
from typing import Any

from common import database_url, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from django.shortcuts import redirect
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import path
    from django.utils import timezone

    import turnout.urls
    from turnout.accounts.models import Group
    from turnout.core.models import AuditEntry
    from turnout.events.forms import RsvpForm
    from turnout.events.models import Event
    from turnout.events.services import save_event

    local = Group.objects.create(name="Local 8", slug="local-8")
    event = save_event(actor=None, event=Event(group=local, title="Rally", postal_code="98101",
                                               starts_at=timezone.now() + timedelta(days=3)))

    def intake(request: Any) -> Any:
        form = RsvpForm(request.POST, event=event)
        assert form.is_valid(), form.errors
        AuditEntry.objects.create(action="view", summary=form.cleaned_data["email"], target_type="rsvp", target_id="1")
        return redirect("/health")

    urls = types.ModuleType("floor_urls")
    urls.urlpatterns = [path("intake", intake), *turnout.urls.urlpatterns]  # type: ignore[attr-defined]
    sys.modules["floor_urls"] = urls
    client = Client(HTTP_HOST="127.0.0.1")
    counter = iter(range(10**9))

    def post(url: str) -> None:
        n = next(counter)
        response = client.post(url, {"given_name": "M", "family_name": f"N{n}", "email": f"m{n}@example.org",
                                      "postal_code": "98101"})
        assert response.status_code == 302, response.status_code

    cases = {"GET /health": lambda: client.get("/health"), "one-insert POST": lambda: post("/intake"),
             "RSVP POST": lambda: post(event.public_url())}
    with override_settings(ROOT_URLCONF="floor_urls", PUBLIC_FORM_RATE_PER_IP="100000000/m"):
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(5):
            for name, call in cases.items():
                started = time.perf_counter()
                for _ in range(500):
                    call()
                results[name].append((time.perf_counter() - started) / 500 * 1000)
    health = statistics.median(results["GET /health"])
    for name, runs in results.items():
        median = statistics.median(runs)
        print(f"{args.engine:8} {name:16} {median:6.2f} ms  ({median / health:4.1f}x /health)")


if __name__ == "__main__":
    main()
