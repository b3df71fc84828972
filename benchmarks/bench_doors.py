"""Door knocking at scale: cutting 100,000 households into turfs, and syncing 500 offline results.

    python benchmarks/bench_doors.py --engine postgres --households 100000
    python benchmarks/bench_doors.py --engine sqlite --households 20000 --rounds 3   # a quick look

A local's members live on a grid of streets around Seattle, each household with its own
coordinates (as a voter-file export carries them), one person each. A door-knocking campaign is
launched over all of them (timed), then its households are cut into turfs of about 60 doors
(`doors.cut`, timed): each round a campaign just launched, as an organizer does it; the rounds
along the map (coordinates), then street by street (the same households without them).

Then a canvasser holding ten turfs syncs 500 results recorded offline, each with a survey answer,
in one request through the canvasser's sync URL (Django's test client: the view, its JSON, the
database; no network); each round syncs 500 other doors. Then the last round's 500 are sent again
(a sync retried after the answer was lost) and a fresh 500 are sent as a cut-off sync would leave
them (250, then all 500): every result must be stored exactly once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from pathlib import Path

from common import OUT, database_url, setup_django


def populate(households: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from turnout.accounts.models import Group, Role, StaffRole, User
    from turnout.core.bulk import insert_rows
    from turnout.people.importer import PERSON_COLUMNS
    from turnout.people.models import Membership, Person

    local = Group.objects.create(name="Local 8", slug="local-8")
    user = User.objects.create_user("organizer@example.org", "x")
    StaffRole.objects.create(user=user, group=local, role=Role.ORGANIZER)
    now = timezone.now()
    side = int(households ** 0.5) + 1
    for start in range(0, households, 50_000):
        rows = []
        for n in range(start, min(households, start + 50_000)):
            street, house = divmod(n, side)
            rows.append((uuid.uuid4(), now, now, "Pat", f"W{n}", "", "en", f"{100 + house} Street {street}", "",
                         "Seattle", "WA", "98101", "US", 47.50 + street * 0.2 / side, -122.45 + house * 0.2 / side,
                         "America/Los_Angeles", {}))
        with transaction.atomic():
            insert_rows(Person, PERSON_COLUMNS, rows)
    with transaction.atomic():
        insert_rows(Membership, ["person", "group", "status", "member_number", "created_at"],
                    [(pk, local.pk, "member", "", now) for pk in Person.objects.values_list("pk", flat=True)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from django.db import connection
    from django.test import Client

    from turnout.accounts.models import Group, User
    from turnout.messaging import audience
    from turnout.messaging import results as contact_results
    from turnout.people.models import ContactResult, Person
    from turnout.texting import doors, services
    from turnout.texting.models import Conversation, DoorResult, Turf

    populate(args.households)
    organizer, local = User.objects.get(), Group.objects.get()

    def launched() -> object:
        campaign = services.create_campaign(actor=organizer, group=local, fields={
            "title": "Strike vote doors", "channel": "door",
            "script": "Hi {first_name}, I'm {texter_first_name} from Local 8. The strike vote is Tuesday."})
        started = time.perf_counter()
        services.launch(actor=organizer, campaign=campaign, audience=audience.people_for(organizer, {}))
        launches.append(time.perf_counter() - started)
        return campaign

    launches: list[float] = []
    print(f"{connection.vendor}, {args.households:,} households, one person each")
    for label in ("along the map (own coordinates)", "street by street (no coordinates)"):
        if label.startswith("street"):
            Person.objects.update(latitude=None, longitude=None)
        times = []
        for _round in range(args.rounds):
            campaign = launched()  # each cut on a campaign just launched, as an organizer does it
            started = time.perf_counter()
            made = doors.cut(actor=organizer, campaign=campaign, doors=60)
            times.append(time.perf_counter() - started)
        sizes = list(Turf.objects.filter(campaign=campaign).values_list("doors", flat=True))
        print(f"  cut into turfs of about 60, {label}: median {statistics.median(times):.2f} s "
              f"(rounds: {', '.join(f'{t:.2f}' for t in times)}); {made:,} turfs of {min(sizes)}-{max(sizes)} doors")
    print(f"  launch (the households read into the campaign): median {statistics.median(launches):.2f} s "
          f"of {len(launches)}")
    question = services.add_question(actor=organizer, campaign=campaign, prompt="Vote yes?", choices="Yes\nNo")
    canvasser, key = services.join(key=services.invite(actor=organizer, campaign=campaign)[1], name="Ann")
    turfs = list(Turf.objects.filter(campaign=campaign).order_by("pk")[:10 * (args.rounds + 2)])
    codes = [c.pk for c in contact_results.built_in() if c.key in ("talked", "not_home", "refused")]
    choices = list(question.choices.values_list("pk", flat=True))
    client = Client(HTTP_HOST="127.0.0.1")

    def batch(chunk: list[Turf]) -> list[dict[str, object]]:
        for turf in chunk:
            doors.assign(actor=organizer, turf=turf, canvassers=[canvasser])
        contacts = Conversation.objects.filter(turf__in=chunk).order_by("turf_id", "walk_order")[:500]
        revisions = {t.pk: t.revision for t in Turf.objects.filter(pk__in=[t.pk for t in chunk])}
        return [{"client_id": str(uuid.uuid4()), "contact": c.pk, "result": codes[n % len(codes)],
                 "choices": [choices[n % 2]], "recorded_at": None, "revision": revisions[c.turf_id]}
                for n, c in enumerate(contacts)]

    def send(results: list[dict[str, object]]) -> tuple[float, dict[str, list[object]]]:
        started = time.perf_counter()
        response = client.post(f"/t/{key}/sync/", json.dumps({"results": results}), content_type="application/json")
        seconds = time.perf_counter() - started
        assert response.status_code == 200, response.content[:300]
        return seconds, response.json()

    times = []
    for n in range(args.rounds):
        results = batch(turfs[10 * n:10 * n + 10])
        assert len(results) == 500, len(results)
        seconds, answer = send(results)
        assert len(answer["accepted"]) == 500 and not answer["refused"], answer["refused"][:3]
        times.append(seconds)
    print(f"  sync of 500 results in one request: median {statistics.median(times):.2f} s "
          f"(rounds: {', '.join(f'{t:.2f}' for t in times)})")
    seconds, answer = send(results)  # the last round again: its answer was lost
    print(f"  the same 500 sent again: {seconds:.2f} s; {len(answer['accepted'])} acknowledged, "
          f"stored: {DoorResult.objects.filter(client_id__in=[r['client_id'] for r in results]).count()}")
    fresh = batch(turfs[10 * args.rounds:10 * args.rounds + 10])
    send(fresh[:250])  # cut off after the first half reached the server
    seconds, answer = send(fresh)
    stored = DoorResult.objects.filter(client_id__in=[r["client_id"] for r in fresh]).count()
    records = ContactResult.objects.filter(channel="door").count()
    print(f"  a cut-off sync (250, then all 500): {seconds:.2f} s for the retry; {stored} stored of 500; "
          f"{DoorResult.objects.count():,} door results and {records:,} results on records in all "
          f"(expected {500 * (args.rounds + 1):,} each)")


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
