"""Settling waiting RSVP forms: one at a time against in batches, side by side in one process.

    python benchmarks/bench_settle.py --engine postgres --forms 1000 --single 200 --rounds 3

Stores forms for an event without a limit as the public page does (`services.rsvp_later`, each a
new person with an email, a third also with a mobile number and text consent), then in each
round settles `--single` of them one by one (`services.settle`, the path every form took before
batches: one transaction per form) and `--forms` in batches (`services.settle_waiting`), the
order alternating from round to round. Prints forms/s for each, their medians and the ratio, and
checks that every settled form made exactly one RSVP and one person. With `--confirm`, also times
making the batch's confirmations (`services.confirm_many`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta
from pathlib import Path

from common import OUT, database_url, setup_django

CONSENT = "Text me about this event. Msg & data rates may apply. Reply STOP to stop."


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--forms", type=int, default=2000)
    parser.add_argument("--single", type=int, default=0, help="forms settled one by one a round (default: forms/5)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--confirm", type=int, default=0, help="time confirming this many of the batch's RSVPs")
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from django.db.models import Count
    from django.utils import timezone

    from turnout.accounts.models import Group
    from turnout.events import services
    from turnout.events.models import Event, Rsvp, RsvpIntake
    from turnout.people.models import EmailAddress

    local = Group.objects.create(name="Local 8", slug="local-8")
    event = services.save_event(actor=None, event=Event(group=local, title="Rally for a fair contract",
                                                        postal_code="98101",
                                                        starts_at=timezone.now() + timedelta(days=3)))
    counter = iter(range(10**9))

    def store(count: int) -> None:
        for _ in range(count):
            n = next(counter)
            phone = f"+1206{2000000 + n:07d}" if n % 3 == 0 else ""
            services.rsvp_later(event, {
                "given_name": f"Member{n}", "family_name": "Rivera", "email": f"m{n}@example.org", "phone": phone,
                "postal_code": "98101", "language": "es" if n % 5 == 0 else "en",
                "sms_consent_text": CONSENT if phone else "", "answers": {}, "source": "form", "shift_id": None,
                "ref": ""})

    def one_by_one() -> float:
        store(args.single or args.forms // 5)
        ids = list(RsvpIntake.objects.filter(outcome="").order_by("id").values_list("id", flat=True))
        started = time.perf_counter()
        for pk in ids:
            services.settle(pk)
        return len(ids) / (time.perf_counter() - started)

    def batched() -> float:
        store(args.forms)
        started = time.perf_counter()
        settled = services.settle_waiting()
        return settled / (time.perf_counter() - started)

    rates: dict[str, list[float]] = {"one by one": [], "in batches": []}
    for round_number in range(args.rounds):
        order = [("one by one", one_by_one), ("in batches", batched)]
        for name, run in order if round_number % 2 == 0 else reversed(order):
            rates[name].append(run())
            print(f"  round {round_number + 1}: {name:10} {rates[name][-1]:7.0f} forms/s", flush=True)
    for name, values in rates.items():
        print(f"{args.engine}, {name}: median {statistics.median(values):.0f} forms/s "
              f"({', '.join(f'{v:.0f}' for v in values)})")
    print(f"in batches / one by one: {statistics.median(rates['in batches']) / statistics.median(rates['one by one']):.1f}x")
    stored = RsvpIntake.objects.count()
    rsvps = Rsvp.objects.filter(event=event).count()
    twice = EmailAddress.objects.values("address").annotate(n=Count("id")).filter(n__gt=1).count()
    print(f"{stored} forms, {rsvps} RSVPs, {RsvpIntake.objects.filter(outcome='').count()} waiting, "
          f"{twice} addresses on two records" + ("" if rsvps == stored and not twice else "  <-- MISMATCH"))
    if args.confirm:
        ids = list(Rsvp.objects.filter(event=event).order_by("-id").values_list("id", flat=True)[:args.confirm])
        from django.urls import get_resolver, reverse

        get_resolver().url_patterns  # loaded once per worker process, not once per batch  # noqa: B018
        reverse("public_rsvp", args=["warm"])  # and its names for links, on the first batch's first link
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            with cProfile.Profile() as profile:
                services.confirm_many(ids)
            pstats.Stats(profile).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(30)
        else:
            cpu = time.process_time()
            services.confirm_many(ids)
            cpu = time.process_time() - cpu
        print(f"confirming {len(ids)} RSVPs: {len(ids) / (time.perf_counter() - started):.0f}/s"
              + ("" if os.environ.get("BENCH_PROFILE") else f", CPU per confirmation {cpu / len(ids) * 1000:.3f} ms"))


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
