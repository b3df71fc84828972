"""Pulling a standby plan's trigger at full scale: 300 sites in 6 time zones, 50,000 people.

    python benchmarks/bench_trigger.py --engine postgres
    python benchmarks/bench_trigger.py --engine sqlite

300 standby events (50 per zone: New York, Chicago, Denver, Phoenix, Los Angeles, Honolulu)
in one campaign; 50,000 people spread over the same zones, every one a pledge signer, a third
also RSVP'd to a site and a fifth also in the network (so many are covered three ways), two
thirds with text consent; sites and people are placed at their ZIP's point, so each person
not signed up for a site is told the nearest. The plan starts every site at 17:00 local the
day after the trigger and tells people at 09:00 their time that day. The script times the
confirmation's summary and `pull_trigger`, then checks: every site live at 17:00 in its own
zone, one delivery per person (a text if they can be texted, else an email), as many texts and
emails as the summary said, each held until 09:00 in that person's zone, and that pulling
again adds nothing.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from common import database_url, setup_django

ZONES = {"10001": "America/New_York", "60601": "America/Chicago", "80202": "America/Denver",
         "85004": "America/Phoenix", "90012": "America/Los_Angeles", "96813": "Pacific/Honolulu"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--sites", type=int, default=300)
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    import time_machine
    from django.db import transaction

    from turnout.accounts.models import Group, Role, StaffRole, User
    from turnout.core import geo
    from turnout.core.bulk import insert_rows
    from turnout.events.models import Event, EventCampaign, Rsvp, Status
    from turnout.events.services import wall_clock
    from turnout.messaging.models import Delivery
    from turnout.mobilization import services
    from turnout.mobilization.models import Member, Network, Plan, Pledge, Signature
    from turnout.people.importer import PERSON_COLUMNS
    from turnout.people.models import EmailAddress, Membership, Person, PhoneNumber

    coalition = Group.objects.create(name="Election Coalition", slug="coalition")
    admin = User.objects.create_user("admin@example.org", "x")
    StaffRole.objects.create(user=admin, group=coalition, role=Role.ADMIN)
    trigger_at = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)  # 10:00 in New York, 05:00 in Honolulu
    with time_machine.travel(trigger_at, tick=False):
        campaign = EventCampaign.objects.create(group=coalition, title="Count every vote", status=Status.STANDBY,
                                                standby_condition="the results are not respected")
        zips = list(ZONES)
        points = {z: geo.lookup_zip(z) for z in zips}
        now = trigger_at
        with transaction.atomic():
            Event.objects.bulk_create([Event(
                group=coalition, campaign=campaign, title=f"Site {n}", postal_code=zips[n % 6],
                latitude=points[zips[n % 6]].latitude, longitude=points[zips[n % 6]].longitude,  # type: ignore[union-attr]
                time_zone=ZONES[zips[n % 6]], starts_at=now + timedelta(days=30), status=Status.STANDBY,
                standby_condition="the results are not respected") for n in range(args.sites)])
            rows = []
            for n in range(args.people):
                zip_code = zips[n % 6]
                place = points[zip_code]
                rows.append((uuid.uuid4(), now, now, "Pat", f"W{n}", "", "en", "", "", "", "", zip_code, "US",
                             place.latitude, place.longitude, ZONES[zip_code], {}))  # type: ignore[union-attr]
            insert_rows(Person, PERSON_COLUMNS, rows)
        ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
        sites = list(Event.objects.order_by("pk").values_list("pk", flat=True))
        pledge = Pledge.objects.create(group=coalition, title="Protect the results", text="We will.")
        network = Network.objects.create(group=coalition, name="Rapid Response")
        with transaction.atomic():
            insert_rows(Membership, ["person", "group", "status", "member_number", "created_at"],
                        [(pk, coalition.pk, "member", "", now) for pk in ids])
            insert_rows(EmailAddress, ["person", "address", "is_primary", "status", "created_at"],
                        [(pk, f"p{pk}@example.org", True, "subscribed", now) for pk in ids])
            insert_rows(PhoneNumber, ["person", "number", "kind", "is_primary", "sms_status", "created_at"],
                        [(pk, f"+1206{2000000 + n:07d}", "mobile", True, "subscribed", now)
                         for n, pk in enumerate(ids) if n % 3])
            insert_rows(Signature, ["pledge", "person", "signed_at"], [(pledge.pk, pk, now) for pk in ids])
            Rsvp.objects.bulk_create([Rsvp(event_id=sites[n % len(sites)], person_id=pk)
                                      for n, pk in enumerate(ids) if n % 3 == 0], batch_size=2000)
            insert_rows(Member, ["network", "person", "travel_miles", "availability", "skills", "languages",
                                 "source", "joined_at"],
                        [(network.pk, pk, 10, "", "", "", "import", now) for n, pk in enumerate(ids) if n % 5 == 0])
        plan = Plan.objects.create(group=coalition, name="Count every vote", condition="the results are not respected",
                                   subject="It is on", body="It is on: 5 p.m. tomorrow at your site.",
                                   start_days_after=1, start_local_time=clock(17, 0),
                                   notify_local_time=clock(9, 0), notify_days_after=1)
        plan.campaigns.add(campaign)
        plan.pledges.add(pledge)
        plan.networks.add(network)
        t0 = time.perf_counter()
        summary = services.summarize(plan)
        summarized = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = services.pull_trigger(actor=admin, plan=plan)
        elapsed = time.perf_counter() - t0
        again = services.pull_trigger(actor=admin, plan=plan)

    wrong_sites = 0
    for event in Event.objects.filter(campaign=campaign):
        want = wall_clock(date(2026, 11, 5), clock(17, 0), event.time_zone)
        wrong_sites += event.status != Status.SCHEDULED or event.starts_at != want
    deliveries = Delivery.objects.filter(message__plans=plan)
    told = deliveries.count()
    people_told = deliveries.values("person").distinct().count()
    wrong_time = 0
    for zone in ZONES.values():
        want = wall_clock(date(2026, 11, 5), clock(9, 0), zone)
        wrong_time += deliveries.filter(person__time_zone=zone).exclude(not_before=want).count()
    queued = deliveries.filter(status="queued")
    print(f"{args.engine}: trigger {args.sites} sites in 6 zones, {args.people} people: {elapsed:.2f} s "
          f"({result.texted} texted, {result.emailed} emailed); again: {again.state}")
    print(f"  summary {summarized:.2f} s: {summary.texted} texted, {summary.emailed} emailed, in "
          f"{len(summary.zones)} zone rows; queued: {queued.filter(channel='sms').count()} texts, "
          f"{queued.filter(channel='email').count()} emails; messages: {plan.messages.count()}")
    print(f"  sites live at 17:00 local: {args.sites - wrong_sites}/{args.sites}; deliveries {told} for "
          f"{people_told} people of {args.people}; held to 09:00 in the wrong zone: {wrong_time}")


if __name__ == "__main__":
    main()
