"""Peer-to-peer texting at scale: a campaign's set-up, texters' batches, and first texts sent.

    python benchmarks/bench_texting.py --engine postgres --contacts 1000000
    python benchmarks/bench_texting.py --engine sqlite --contacts 100000 --batches 40

With N people holding a consenting number (as `bench_outbox.py` makes them), times:
- set-up: `texting.services.launch`, from the organizer's click to every contact waiting in the
  pool (the audience read and one conversation written per number, in one INSERT … SELECT);
- assignment: `take_batch` of 500 by `--texters` texters in turn, `--batches` times over, from the
  first batch of a full pool onwards (each claim is one set-based UPDATE); then again once most of
  the pool has been taken, where a claim must pass every row taken before it;
- sending: `send_first` for `--sends` contacts (the texter's click: the outbox row, the
  conversation's text and the audit entry, committed; the provider is called by the worker);
and the process's peak memory. Medians and 95th percentiles of the timed calls.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from bench_outbox import populate
from bench_rsvp import percentile
from common import database_url, setup_django


def timed(label: str, values: list[float]) -> None:
    print(f"  {label:38} median {statistics.median(values) * 1000:7.1f} ms   p95 {percentile(values, 0.95) * 1000:7.1f} ms"
          f"   ({len(values)} calls)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--texters", type=int, default=20)
    parser.add_argument("--batches", type=int, default=100, help="batches of 500 timed from a full pool")
    parser.add_argument("--sends", type=int, default=500)
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    from turnout.accounts.models import Group, User
    from turnout.messaging import audience
    from turnout.texting import services
    from turnout.texting.models import Conversation

    started = time.perf_counter()
    populate(args.contacts)
    print(f"{args.engine}: {args.contacts:,} people with a consenting number made in "
          f"{time.perf_counter() - started:.0f} s")
    organizer = User.objects.get(email="organizer@example.org")
    local = Group.objects.get(slug="local-8")
    with override_settings(SMS_SENDERS=["+12065550000"], SMS_BACKEND="memory", TASKS=settings.TASKS):
        campaign = services.create_campaign(actor=organizer, group=local, fields={
            "title": "Contract vote", "senders": ["+12065550000"],
            "script": "Hi {first_name}, it's {texter_first_name} with Local 8. Will you vote yes on the contract? "
                      "Reply STOP to opt out."})
        people = audience.people_for(organizer, {})
        started = time.perf_counter()
        contacts = services.launch(actor=organizer, campaign=campaign, audience=people)
        setup = time.perf_counter() - started
        print(f"  set-up: {contacts:,} contacts ready to assign in {setup:.1f} s")
        texters = [services.join(key=services.invite(actor=organizer, campaign=campaign)[1], name=f"Texter {n}")[0]
                   for n in range(args.texters)]
        # Now: noon in Seattle, so no contact is in quiet hours (the clock is the test's, not the machine's).
        import time_machine

        with time_machine.travel("2031-03-12 19:00:00+00:00", tick=True):
            first: list[float] = []
            for n in range(args.batches):
                began = time.perf_counter()
                got = services.take_batch(texter=texters[n % len(texters)], size=500)
                first.append(time.perf_counter() - began)
                assert got == 500, got
            timed("take_batch(500), a full pool", first)
            # Most of the pool taken (as if texters had worked through it), then batches again.
            waiting = Conversation.objects.filter(campaign=campaign, status="waiting")
            keep = args.batches * 500 + 5_000
            last_taken = waiting.order_by("-pk").values_list("pk", flat=True)[keep]
            waiting.filter(pk__lte=last_taken).update(status="assigned", texter=texters[0])
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE texting_conversation")
            late: list[float] = []
            for n in range(args.batches):
                began = time.perf_counter()
                got = services.take_batch(texter=texters[n % len(texters)], size=500)
                late.append(time.perf_counter() - began)
                assert got == 500, got
            timed("take_batch(500), the pool nearly empty", late)
            sends: list[float] = []
            held = list(Conversation.objects.filter(texter=texters[1], status="assigned")
                        .order_by("pk").values_list("pk", flat=True)[:args.sends])
            for pk in held:
                began = time.perf_counter()
                services.send_first(texter=texters[1], conversation_id=pk)
                sends.append(time.perf_counter() - began)
            timed("send_first (the texter's click)", sends)
        twice = Conversation.objects.filter(campaign=campaign).values("person").count() - contacts
        print(f"  conversations made twice: {twice}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process: {peak:.0f} MB (populating the people included)")


if __name__ == "__main__":
    main()
