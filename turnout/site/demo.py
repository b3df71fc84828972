"""Demo data: a labor council with two locals and a worker center, about 300 people.

Generated from a fixed seed through the real import path, so the demo exercises the
same code a union's first CSV does.
"""

from __future__ import annotations

import random
import secrets
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import zipcodes
from django.conf import settings
from django.db import transaction

from turnout.accounts.models import Group, Role, StaffRole, User
from turnout.core import files
from turnout.core.exports import csv_writer
from turnout.people.importer import Importer

GIVEN = ["Maria", "James", "Guadalupe", "Aisha", "Wei", "Darnell", "Sofia", "Luis", "Fatima", "Kevin",
         "Ana", "Tyrone", "Mei", "José", "Keisha", "Ahmed", "Rosa", "Samuel", "Linh", "Carmen", "Dmitri",
         "Nia", "Jorge", "Grace", "Omar", "Yesenia", "Patrick", "Imani", "Hiroshi", "Lucía", "Marcus", "Esperanza"]
FAMILY = ["García", "Johnson", "Nguyen", "Williams", "Hernández", "Smith", "Martínez", "Brown", "López",
          "Washington", "Kim", "Jackson", "Rodríguez", "Patel", "Okafor", "Chen", "Davis", "Flores", "Ali",
          "Morales", "Thompson", "Reyes", "Wilson", "Tanaka", "Cruz", "Robinson", "Ramírez", "Murphy"]
STREETS = ["Maple Ave", "Oak St", "Pine St", "Cedar Ln", "Elm St", "Washington Blvd", "Lake Dr", "Hill Rd",
           "Park Ave", "Main St", "Union St", "Mission St", "Grand Ave", "Harbor Way", "Jefferson St"]
# Places across time zones, Arizona and Hawaii (no DST) included.
ZIPS = ["98101", "98122", "98118", "97205", "97217", "94110", "90011", "92101", "85004", "85281", "80205",
        "87102", "75215", "78702", "77003", "60608", "60623", "55406", "53204", "48209", "44102", "10027",
        "11220", "02119", "19104", "30310", "33125", "27701", "70119", "96817", "99501", "37208"]
TAGS = ["rapid-response", "shop-steward", "volunteer", "rally-2026", "bargaining-committee", "spanish-speaker"]
DEMO_LOGINS_FILE = "demo-logins.txt"


def _phone(rng: random.Random, zip_code: str) -> str:
    found = zipcodes.matching(zip_code)
    area = (found[0]["area_codes"] or ["206"])[0] if found else "206"
    return f"({area}) {rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(1, 9)}-{rng.randint(1000, 9999)}"


def _write_people_csv(path: Path, rng: random.Random, count: int, offset: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv_writer(out)
        writer.writerow(["First Name", "Last Name", "Email", "Mobile Phone", "SMS Opt In", "Address", "ZIP",
                         "Language", "Member Number", "Membership Status", "Tags", "Shift"])
        for i in range(count):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            zip_code = rng.choice(ZIPS)
            spanish = given in {"Guadalupe", "José", "Lucía", "Yesenia", "Esperanza", "Rosa", "Jorge"} or rng.random() < 0.15
            tags = rng.sample(TAGS[:-1], rng.randint(0, 2)) + (["spanish-speaker"] if spanish else [])
            plain = unicodedata.normalize("NFKD", f"{given}.{family}").encode("ascii", "ignore").decode().lower()
            email = f"{plain}{offset + i}@example.org"
            writer.writerow([
                given, family, email if rng.random() < 0.9 else "", _phone(rng, zip_code),
                "yes" if rng.random() < 0.6 else "", f"{rng.randint(100, 9999)} {rng.choice(STREETS)}", zip_code,
                "es" if spanish else "en", f"M{offset + i:06d}" if rng.random() < 0.8 else "",
                rng.choices(["member", "prospect", "former", "non-member"], [70, 15, 10, 5])[0],
                ";".join(tags), rng.choice(["days", "nights", "swing", ""]),
            ])


@transaction.atomic
def _groups() -> tuple[Group, list[Group]]:
    council = Group.objects.create(name="Metro Labor Council", slug="metro-council", kind=Group.Kind.COUNCIL,
                                   postal_address="100 Union Hall Way, Seattle, WA 98104")
    locals_ = [
        Group.objects.create(name="Transit Workers Local 587", slug="transit-587", kind=Group.Kind.LOCAL, parent=council),
        Group.objects.create(name="Hotel & Restaurant Workers Local 8", slug="hotel-8", kind=Group.Kind.LOCAL, parent=council),
        Group.objects.create(name="Eastside Worker Center", slug="eastside-workers", kind=Group.Kind.WORKER_CENTER, parent=council),
    ]
    return council, locals_


def _events(council: Group, local: Group, organizer: User) -> None:
    """A daily online meeting, a rally with a waitlist, and a 5 p.m.-local day of action in four cities."""
    from datetime import time, timedelta

    from django.utils import timezone

    from turnout.events import services
    from turnout.events.models import Event, EventCampaign

    today = timezone.localdate()
    daily = services.save_event(actor=None, event=Event(
        group=local, title="Daily info & action meeting", kind=Event.Kind.VIRTUAL, time_zone="America/Los_Angeles",
        join_url="https://meet.example.org/local-587-daily", created_by=organizer,
        description="What happened today at the table, and **what we do next**. The link comes with your RSVP.",
        starts_at=services.wall_clock(today + timedelta(days=1), time(12, 0), "America/Los_Angeles"),
        ends_at=services.wall_clock(today + timedelta(days=1), time(12, 45), "America/Los_Angeles")))
    services.repeat(actor=None, event=daily, rule="weekdays", until=today + timedelta(days=14))
    services.save_event(actor=None, event=Event(
        group=local, title="Rally for a fair contract", venue="Westlake Park", address="401 Pine St",
        postal_code="98101", capacity=200, created_by=organizer,
        starts_at=services.wall_clock(today + timedelta(days=3), time(18, 0), "America/Los_Angeles")))
    action_day = today + timedelta(days=10)
    campaign = EventCampaign.objects.create(
        group=council, title="Protect the Results", local_date=action_day, local_start=time(17, 0),
        local_end=time(19, 0), status="standby", standby_condition="the count is stopped before every vote is counted",
        description="If the count is stopped, we gather at **5 p.m. local time** the next day, everywhere.")
    for zip_code, venue in (("98104", "City Hall Park"), ("60602", "Daley Plaza"), ("80202", "Civic Center Park"),
                            ("10007", "Foley Square")):
        services.add_site(actor=None, campaign=campaign, event=Event(group=council, venue=venue, postal_code=zip_code))
    _mobilization(council, local, campaign)


def _mobilization(council: Group, local: Group, campaign: Any) -> None:
    """Local 587's rapid response network (its members with a ZIP), a pledge, and the standby plan."""
    from datetime import time

    from turnout.mobilization.models import Member, Network, Plan, Pledge
    from turnout.people.models import Person

    network = Network.objects.create(group=local, name="Local 587 Rapid Response Network",
                                     description="When something happens, we text you where and when.")
    members = Person.objects.in_group(local).exclude(postal_code="")[:80]
    Member.objects.bulk_create([Member(network=network, person=p, travel_miles=(5, 10, 25)[n % 3],
                                       skills=(",marshal,", ",medic,", "", "")[n % 4], source="staff")
                                for n, p in enumerate(members)])
    pledge = Pledge.objects.create(group=council, title="Protect the Results", goal=1000,
                                   text="We will refuse to accept results until all votes are counted. If we need "
                                        "to, we will shut down this country to protect the democratic process.")
    plan = Plan.objects.create(group=council, name="Protect the Results", subject="It is on",
                               condition="the count is stopped before every vote is counted",
                               body="It is on: we gather at 5 p.m. tomorrow at your site. Find it: /find/",
                               body_es="Está en marcha: nos reunimos mañana a las 5 p. m. en su lugar.",
                               start_days_after=1, start_local_time=time(17, 0))
    plan.campaigns.add(campaign)
    plan.pledges.add(pledge)
    plan.networks.add(network)
    _resource_center(council, local, campaign, pledge)


def _resource_center(council: Group, local: Group, campaign: Any, pledge: Any) -> None:
    """The council's Election Response resource center: events, a sign-up form, a petition, the pledge,
    a resolution with two approved endorsements, and a working group."""
    from datetime import date

    from turnout.actions.models import (
        Endorsement,
        Form,
        FormQuestion,
        Petition,
        Resolution,
        WorkingGroup,
    )
    from turnout.actions.services import endorse
    from turnout.hubs.models import Hub, HubItem

    form = Form.objects.create(group=council, title="Volunteer for election protection",
                               title_es="Voluntariado para proteger la elección", tags="election-volunteer",
                               thank_you="Thank you! A coordinator will call you.",
                               thank_you_es="¡Gracias! Un coordinador le llamará.")
    FormQuestion.objects.create(form=form, position=1, label="How can you help?", label_es="¿Cómo puede ayudar?",
                                kind="multiple", choices="Phone bank\nMarshal\nTranslate\nDrive")
    petition = Petition.objects.create(group=local, title="Count every vote", goal=500,
                                       targets="County elections board",
                                       petition_text="We call on the county to count every vote before any result.")
    resolution = Resolution.objects.create(
        group=council, title="Resolution to protect the results", passed_by="Metro Labor Council",
        passed_on=date(2026, 10, 14), vote="unanimous",
        text="**Resolved**, that the council and its affiliates will act together if the count is stopped.")
    for name, kind, members, zip_code in (("Teamsters Local 117", "local", 16000, "98108"),
                                          ("Casa Latina", "worker_center", 900, "98144")):
        endorsement = Endorsement(organization=name, kind=kind, members_represented=members, postal_code=zip_code,
                                  contact_name="Demo contact", contact_email="contact@example.org")
        endorse(resolution, endorsement)
        Endorsement.objects.filter(pk=endorsement.pk).update(status=Endorsement.Status.APPROVED)
    working_group = WorkingGroup.objects.create(group=council, name="Legal observers", name_es="Observadores legales")
    hub = Hub.objects.create(group=council, slug="election", title="Election Response Action & Resource Center",
                             title_es="Centro de acción y recursos para la elección", campaign=campaign,
                             is_published=True, intro="Everything you need if the count is stopped, in one place.",
                             intro_es="Todo lo que necesita si se detiene el conteo, en un solo lugar.")
    for position, (kind, extra) in enumerate((
            ("events", {"heading": "Actions near you", "heading_es": "Acciones cerca de usted"}),
            ("pledge", {"pledge": pledge}), ("form", {"form": form}), ("petition", {"petition": petition}),
            ("resolution", {"resolution": resolution}), ("working_group", {"working_group": working_group}),
            ("link", {"heading": "Know your rights at a protest", "url": "https://www.aclu.org/know-your-rights"}))):
        HubItem.objects.create(hub=hub, position=position, kind=kind, **extra)


def _organizing(local: Group, organizer: User, rng: random.Random) -> None:
    """A coffee chain drive across three Seattle shops, a volunteer organizer, and a worker's request
    waiting in the queue."""
    from datetime import timedelta

    from django.utils import timezone

    from turnout.organizing.models import (
        Campaign,
        Card,
        Employer,
        Request,
        Stage,
        Unit,
        Volunteer,
        Worker,
        Workplace,
    )
    from turnout.organizing.services import recount_unit
    from turnout.people.models import Membership, Person

    Volunteer.objects.create(group=local, user=organizer, kind=Volunteer.Kind.BOTH, industries=["food", "retail"],
                             languages=["en", "es"], postal_code="98101", latitude=47.61, longitude=-122.33)
    employer = Employer.objects.create(group=local, name="Rapid Roast Coffee", industry="food")
    campaign = Campaign.objects.create(group=local, name="Rapid Roast Workers United", employer=employer,
                                       union_name="Rapid Roast Workers United, Transit Workers Local 587")
    now = timezone.now()
    for name, zip_code, lat, lon, stage in (("Pike Place", "98101", 47.609, -122.342, Stage.MAJORITY),
                                            ("Capitol Hill", "98122", 47.615, -122.311, Stage.COMMITTEE),
                                            ("Columbia City", "98118", 47.559, -122.287, Stage.FIRST_CONTACT)):
        workplace = Workplace.objects.create(group=local, employer=employer, name=name, postal_code=zip_code,
                                             city="Seattle", state="WA", latitude=lat, longitude=lon,
                                             industry="food", unit_description="Baristas and shift supervisors")
        unit = Unit.objects.create(campaign=campaign, workplace=workplace, stage=stage)
        unit.volunteers.add(organizer)
        for i in range(12):
            person = Person(given_name=rng.choice(GIVEN), family_name=rng.choice(FAMILY))
            person.set_postal_code(zip_code)
            person.save()
            Membership.objects.create(person=person, group=local, status=Membership.Status.PROSPECT)
            worker = Worker.objects.create(unit=unit, person=person, on_committee=i < 2,
                                           support=rng.choice([1, 2, 2, 3, 3, 4, 5, None]))
            if worker.support and worker.support <= 2 and rng.random() < 0.8:
                signed = now - timedelta(days=rng.randint(1, 60))
                card = Card(unit=unit, kind=Card.Kind.ELECTRONIC, signed_name=person.display_name,
                            signed_at=signed, employer_name=employer.name,
                            text=f"{campaign.union_name}\n\n{campaign.card_text}", job_title="Barista")
                card.worker = worker
                card.save()
        recount_unit(unit)  # which cards count, and the unit's tally of scores
    asker = Person(given_name="Guadalupe", family_name="Reyes", language="es")
    asker.set_postal_code("98118")
    asker.save()
    Membership.objects.create(person=asker, group=local, status=Membership.Status.PROSPECT)
    Request.objects.create(group=local, person=asker, employer_name="Harbor Market", postal_code="98118",
                           latitude=47.559, longitude=-122.287, industry="retail", size="10-49", language="es",
                           story="Nos cambian los horarios sin aviso.", best_time="Después de las 6 pm")


def load_demo(var_dir: Path | None = None) -> str:
    """Create the demo once; every call answers the logins to print."""
    var = files.private_folder(var_dir or Path(settings.VAR_DIR))
    logins_file = var / DEMO_LOGINS_FILE
    if Group.objects.filter(slug="metro-council").exists() and logins_file.exists():
        return logins_file.read_text()
    council, locals_ = _groups()
    admin_password, organizer_password = secrets.token_urlsafe(9), secrets.token_urlsafe(9)
    admin = User.objects.create_user("admin@demo.turnout.local", admin_password, first_name="Alex", last_name="Admin")
    StaffRole.objects.create(user=admin, group=council, role=Role.ADMIN)
    organizer = User.objects.create_user("organizer@demo.turnout.local", organizer_password, first_name="Olivia",
                                         last_name="Organizer")
    StaffRole.objects.create(user=organizer, group=locals_[0], role=Role.ORGANIZER)
    rng = random.Random(587)
    with tempfile.TemporaryDirectory() as tmp:
        for index, (group, count) in enumerate(zip(locals_, [140, 100, 60], strict=True)):
            path = Path(tmp) / f"{group.slug}.csv"
            _write_people_csv(path, rng, count, offset=index * 1000)
            Importer(group=group, actor=None, source_name="demo data").run(path)
    _events(council, locals_[0], organizer)
    _organizing(locals_[0], organizer, rng)
    logins = (
        f"  Admin (council-wide; sets up two-factor at first login): {admin.email}  password: {admin_password}\n"
        f"  Organizer (Transit Workers Local 587 only):              {organizer.email}  password: {organizer_password}\n"
    )
    files.write_private(logins_file, logins)
    return logins
