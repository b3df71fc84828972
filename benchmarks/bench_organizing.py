"""The organizing roll-up at chain scale: 600 shops and 15,000 workers in one campaign.

    python benchmarks/bench_organizing.py --engine postgres
    python benchmarks/bench_organizing.py --engine sqlite

(BENCH_DB=name picks the PostgreSQL database it drops and recreates; turnout_bench by default.)

Builds one campaign over 600 workplaces with 25 workers each (15,000 people), about a third of
them carded (some cards past the campaign's age limit), two thirds assessed, a committee of two
per shop covering a few coworkers each, and shops spread over every stage with stage history
(wins and losses). Then renders the campaign dashboard through Django's test client (middleware,
view, queries and template: everything but the socket) `--runs` times as a logged-in organizer,
and reports the median and worst render, the roll-up query alone, a unit page of 25 workers and
a drill-down page of 200 workers. Each render is checked for the right totals.

Scores and card signers are sealed: the workers' scores are sealed as they are inserted, each card
names its worker by a sealed reference and blind index, and each unit is recounted through the
service (which card counts, the tally of scores) as the console's writes would leave it.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import timedelta

from common import database_url, setup_django


def timed(call: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--shops", type=int, default=600)
    parser.add_argument("--per-shop", type=int, default=25)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from turnout.accounts.models import Group, Role, StaffRole, User
    from turnout.core.bulk import insert_rows
    from turnout.organizing import selectors
    from turnout.organizing.models import (
        Campaign,
        Card,
        Employer,
        Stage,
        StageChange,
        Unit,
        Worker,
        Workplace,
    )
    from turnout.organizing.services import recount_unit
    from turnout.people.importer import PERSON_COLUMNS
    from turnout.people.models import Membership, Person

    settings.ALLOWED_HOSTS = ["testserver"]
    group = Group.objects.create(name="Coffee Workers United", slug="cwu")
    organizer = User.objects.create_user("organizer@example.org", "x")
    StaffRole.objects.create(user=organizer, group=group, role=Role.ORGANIZER)
    now = timezone.now()
    zips = ["98101", "97205", "94110", "90011", "85004", "80205", "60608", "10027", "02119", "30310", "77003",
            "55406"]
    stages = [s for s in Stage.values]
    started = time.perf_counter()
    with transaction.atomic():
        employer = Employer.objects.create(group=group, name="Coffee Co")
        campaign = Campaign.objects.create(group=group, name="Coffee Workers United", employer=employer,
                                           union_name="Coffee Workers United", card_valid_days=365)
        Workplace.objects.bulk_create([Workplace(
            group=group, employer=employer, name=f"Store {n:03d}", postal_code=zips[n % len(zips)],
            latitude=30 + (n % 17), longitude=-120 + (n % 40), industry="food") for n in range(args.shops)])
        workplaces = list(Workplace.objects.order_by("pk"))
        Unit.objects.bulk_create([Unit(campaign=campaign, workplace=w, stage=stages[n % len(stages)])
                                  for n, w in enumerate(workplaces)])
        units = list(Unit.objects.order_by("pk"))
        StageChange.objects.bulk_create([StageChange(unit=u, stage=u.stage, at=now - timedelta(days=n % 90))
                                         for n, u in enumerate(units)])
        total = args.shops * args.per_shop
        insert_rows(Person, PERSON_COLUMNS, [
            (uuid.uuid4(), now, now, "Pat", f"W{n}", "", "en", "", "", "", "", zips[n % len(zips)], "US", None, None,
             "", {}) for n in range(total)])
        people = list(Person.objects.order_by("pk").values_list("pk", flat=True))
        insert_rows(Membership, ["person", "group", "status", "member_number", "created_at"],
                    [(pk, group.pk, "prospect", "", now) for pk in people])
        workers, signed = [], []
        for n, pk in enumerate(people):
            unit = units[n // args.per_shop]
            seat = n % args.per_shop
            carded = seat % 3 == 0
            workers.append(Worker(
                unit=unit, person_id=pk, eligible=seat != args.per_shop - 1, on_committee=seat < 2,
                support=(seat % 5) + 1 if seat % 3 != 2 else None, assessed_at=now if seat % 3 != 2 else None))
            if carded:
                signed.append((workers[-1], now - timedelta(days=400 if seat == 3 else seat)))
        Worker.objects.bulk_create(workers, batch_size=2000)
        committee = {}
        for worker in Worker.objects.filter(on_committee=True).order_by("pk").values("pk", "unit_id"):
            committee.setdefault(worker["unit_id"], []).append(worker["pk"])
        for unit_id, members in committee.items():
            covered = Worker.objects.filter(unit_id=unit_id, on_committee=False).order_by("pk")[:10]
            Worker.objects.filter(pk__in=[w.pk for w in covered]).update(contact_id=members[0])
        cards = []
        for worker, at in signed:
            cards.append(Card(unit=worker.unit, kind="electronic", signed_name="Pat", signed_at=at, text="card",
                              employer_name="Coffee Co"))
            cards[-1].worker = worker
        Card.objects.bulk_create(cards, batch_size=2000)
        for unit in units:
            recount_unit(unit)
    print(f"{args.engine}: {args.shops} shops, {total:,} workers, {Card.objects.count():,} cards "
          f"built in {time.perf_counter() - started:.1f} s")
    if args.engine == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    client = Client()
    client.force_login(organizer)
    url = campaign.get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    rollup = selectors.rollup(campaign)
    html = first.content.decode()
    assert f'data-testid="rollup-cards">{rollup.cards:,}</a>' in html, "the page shows another card total"
    assert html.count('<tr><td><a href="/organizing/units/') == args.shops
    expected_workers = args.shops * (args.per_shop - 1)
    assert rollup.workers == expected_workers, rollup.workers
    assert rollup.shops == len(rollup.units) == args.shops
    print(f"  roll-up: {rollup.workers:,} eligible, {rollup.cards:,} valid cards ({rollup.percent}%), "
          f"{rollup.expired} too old, {rollup.low:,} assessed 1-2, committee {rollup.committee:,}, "
          f"covered {rollup.covered_percent}%")

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200

    results = {
        "dashboard (full page)": timed(page, args.runs),
        "roll-up queries alone": timed(lambda: selectors.rollup(campaign), args.runs),
        "unit page (25 workers)": timed(lambda: client.get(units[0].get_absolute_url()), args.runs),
        "drill-down (200 workers)": timed(
            lambda: client.get(f"/organizing/campaigns/{campaign.public_id}/workers/?show=uncarded"), args.runs),
    }
    size = len(client.get(url).content)
    for name, values in results.items():
        print(f"  {name:26s} median {statistics.median(values):7.1f} ms   worst {max(values):7.1f} ms"
              f"   ({args.runs} runs)")
    print(f"  dashboard HTML: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
