"""Writes for organizing: a worker's request and its triage, matching and follow-up; workplaces
and their map; rosters, assessments, conversations and the committee; cards signed online or on
paper; stages; locking a campaign; exports. Every staff write is on the audit log.

Staff are told of new requests, assignments and due follow-ups by email with a link only: what a
worker said stays behind the login. Audit summaries name no score, outcome, signer or employer a
worker asked about: the audit log is plaintext, and its target already says whom an entry is about.

Scores and card signers are sealed, so what the roll-up counts is kept beside them in plaintext:
each card's `counts` flag and each unit's tally of scores. Every write that can change them holds
the unit's row lock and ends with `recount_unit`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime, time, timedelta
from email.utils import formataddr, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, Role, User
from turnout.accounts.services import email_staff
from turnout.core import audit, records
from turnout.core.exports import as_typed, csv_writer
from turnout.core.geo import lookup_zip
from turnout.core.models import AuditEntry
from turnout.core.sealing import blind_index
from turnout.messaging.audience import Walk
from turnout.messaging.services import send_reply
from turnout.organizing.models import (
    DEFAULT_CARD_TEXT,
    DEFAULT_CARD_TEXT_ES,
    Area,
    Assessment,
    Campaign,
    Card,
    Conversation,
    Employer,
    FormerCard,
    Request,
    Stage,
    StageChange,
    Unit,
    Volunteer,
    Worker,
    Workplace,
)
from turnout.organizing.selectors import caseloads, with_cards
from turnout.people.contact import InvalidContact, normalize_email, normalize_phone
from turnout.people.models import ConsentEvent, Membership, Person
from turnout.people.services import ContactChoice, UnknownZip, merge_people, signup_person
from turnout.people.signup import PublicSignup, sign_up


class OrganizingError(ValueError):
    """A write that cannot be done, with the reason to show."""


class RosterConflict(OrganizingError):
    """The roster's state refuses the change (not the request's wording)."""


def _link(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def _organizers(group: Group) -> list[str]:
    return list(User.objects.filter(staff_roles__group__in=group.ancestors_and_self(),
                                    staff_roles__role__in=Role.at_least(Role.ORGANIZER), is_active=True)
                .values_list("email", flat=True))


def _place(obj: Any, postal_code: str) -> None:
    place = lookup_zip(postal_code)
    if place is None:
        raise UnknownZip(postal_code)
    obj.latitude, obj.longitude = place.latitude, place.longitude
    if hasattr(obj, "city"):
        obj.city, obj.state = place.city.title(), place.state


# --- requests ------------------------------------------------------------------------------------


@transaction.atomic
def submit_request(*, group: Group, worker: PublicSignup, employer_name: str, workplace_address: str,
                   postal_code: str, industry: str, size: str, story: str, reach_by: str, best_time: str) -> Request:
    """A worker asks for help organizing their workplace: they become a person of the group, the
    request waits in the triage queue, organizers hear of it, and a reminder is set for when
    nobody has called back in time."""
    from turnout.organizing.tasks import follow_up_request

    person = sign_up(group, worker, worker.email, worker.phone, "Organize your workplace")
    request = Request(group=group, person=person, employer_name=employer_name, workplace_address=workplace_address,
                      postal_code=postal_code, industry=industry, size=size, story=story, reach_by=reach_by,
                      best_time=best_time, language=worker.language)
    _place(request, postal_code)
    request.save()
    email_staff("a worker asked to organize their workplace",
                f"A new request to organize ({request.get_industry_display()}, {postal_code}) is waiting:\n"
                f"{_link(request.get_absolute_url())}\n", _organizers(group))
    due = request.created_at + timedelta(hours=settings.ORGANIZING_FOLLOW_UP_HOURS)
    pk = request.pk
    transaction.on_commit(lambda: follow_up_request.using(run_after=due).enqueue(request_id=pk))
    return request


class OverCapacity(OrganizingError):
    """A volunteer would carry more cases than they said they can: assigning needs an override."""


@transaction.atomic
def assign_request(*, actor: User, request: Request, organizer: Volunteer | None, mentor: Volunteer | None,
                   over_capacity: bool = False, http: HttpRequest | None = None) -> Request:
    """Match a request to a volunteer organizer and a mentor; both are told by email. A volunteer
    already carrying their capacity is refused unless `over_capacity` says so on purpose."""
    request = Request.objects.select_for_update().get(pk=request.pk)
    groups = set(request.group.ancestors_and_self().values_list("pk", flat=True))
    for volunteer in (organizer, mentor):
        if volunteer is not None and volunteer.group_id not in groups:
            raise OrganizingError("That volunteer does not organize with this group.")
    if organizer is not None and not organizer.organizes:
        raise OrganizingError(f"{organizer} is a mentor, not an organizer.")
    if mentor is not None and not mentor.mentors:
        raise OrganizingError(f"{mentor} is not a mentor.")
    newly = [v for v in (organizer, mentor) if v is not None and v.pk not in (request.organizer_id, request.mentor_id)]
    full = [(v, n) for v in newly if (n := caseloads([v])[v.pk]) >= v.capacity]
    if full and not over_capacity:
        raise OverCapacity(" ".join(
            f"{v} already carries {n} of {v.capacity} cases: this would make {n + 1} of {v.capacity}."
            for v, n in full) + " Choose someone with room, or confirm assigning beyond capacity.")
    request.organizer, request.mentor, request.assigned_at = organizer, mentor, timezone.now()
    request.save(update_fields=["organizer", "mentor", "assigned_at"])
    if request.unit_id and organizer is not None:
        request.unit.volunteers.add(organizer.user)  # type: ignore[union-attr]
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=request, request=http, group=request.group,
                 summary=f"Matched to {organizer or 'nobody'} (organizer) and {mentor or 'nobody'} (mentor)"
                         + (" beyond capacity" if full else ""))
    for volunteer in newly:
        role = "organize" if volunteer == organizer else "mentor"
        email_staff("a workplace request was assigned to you",
                    f"You were asked to {role} a workplace request ({request.get_industry_display()}, "
                    f"{request.postal_code}). Reach out soon:\n{_link(request.get_absolute_url())}\n",
                    [volunteer.user.email])
    return request


@transaction.atomic
def set_request_status(*, actor: User, request: Request, status: str, reason: str = "",
                       http: HttpRequest | None = None) -> Request:
    if status == Request.Status.CLOSED and not reason.strip():
        raise OrganizingError("Say why the request is closed.")
    request = Request.objects.select_for_update().get(pk=request.pk)
    before = request.get_status_display()
    request.status, request.status_changed_at = status, timezone.now()
    request.closed_reason = reason.strip() if status == Request.Status.CLOSED else ""
    request.save(update_fields=["status", "status_changed_at", "closed_reason"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=request, request=http, group=request.group,
                 summary=f"Status {before} → {request.get_status_display()}"
                         + (f" ({request.closed_reason})" if request.closed_reason else ""))
    return request


def follow_up_request(*, request_id: int) -> bool:
    """Remind staff of a request nobody has contacted yet; True when a reminder went. Safe to run twice."""
    with transaction.atomic():
        # Only the request's row is locked: its volunteer may be missing (an outer join).
        request = (Request.objects.select_for_update(of=("self",)).filter(pk=request_id)
                   .select_related("organizer__user").first())
        if request is None or request.status != Request.Status.NEW or request.reminded_at is not None:
            return False
        request.reminded_at = timezone.now()
        request.save(update_fields=["reminded_at"])
        to = [request.organizer.user.email] if request.organizer else _organizers(request.group)
        hours = settings.ORGANIZING_FOLLOW_UP_HOURS
        email_staff("a worker is still waiting to hear back",
                    f"A request to organize has waited more than {hours} hours without contact:\n"
                    f"{_link(request.get_absolute_url())}\n", to)
    return True


@transaction.atomic
def save_volunteer(*, actor: User, volunteer: Volunteer, http: HttpRequest | None = None) -> Volunteer:
    if volunteer.postal_code:
        _place(volunteer, volunteer.postal_code)
    else:
        volunteer.latitude = volunteer.longitude = None
    created = volunteer.pk is None
    volunteer.save()
    audit.record(actor=actor, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.CHANGE,
                 target=volunteer, request=http, group=volunteer.group,
                 summary=f"Volunteer profile for {volunteer.user.email} ({volunteer.get_kind_display()})")
    return volunteer


# --- workplaces and campaigns --------------------------------------------------------------------


@transaction.atomic
def save_workplace(*, actor: User, workplace: Workplace, employer_name: str = "",
                   http: HttpRequest | None = None) -> Workplace:
    """Save a workplace, placing it on the map from its ZIP code; a new employer name adds the employer."""
    if employer_name:
        workplace.employer, _created = Employer.objects.get_or_create(
            group=workplace.group, name=employer_name.strip(), defaults={"industry": workplace.industry})
    _place(workplace, workplace.postal_code)
    created = workplace.pk is None
    workplace.save()
    audit.record(actor=actor, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.CHANGE,
                 target=workplace, request=http, group=workplace.group, summary=f"Workplace {workplace}")
    return workplace


@transaction.atomic
def add_area(*, actor: User, workplace: Workplace, kind: str, name: str, http: HttpRequest | None = None) -> Area:
    """Add a department, shift or job title to a workplace's map (the same name twice is one)."""
    name = " ".join(name.split())
    if not name:
        raise OrganizingError("Give it a name.")
    area, created = Area.objects.get_or_create(workplace=workplace, kind=kind, name=name)
    if created:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=workplace, request=http,
                     group=workplace.group, summary=f"Added {area.get_kind_display().lower()} “{name}” to the map")
    return area


@transaction.atomic
def create_campaign(*, actor: User, group: Group, fields: dict[str, Any], workplaces: Iterable[Workplace] = (),
                    http: HttpRequest | None = None) -> Campaign:
    """Start an organizing campaign in `group`, with a unit for each of `workplaces`; a workplace it
    cannot take leaves nothing behind."""
    campaign = records.create(Campaign, actor=actor, fields=fields, request=http, group=group,
                              summary=f"Organizing campaign {fields.get('name', '')}")
    for workplace in workplaces:
        add_unit(actor=actor, campaign=campaign, workplace=workplace, http=http)
    return campaign


@transaction.atomic
def update_campaign(*, actor: User, campaign: Campaign, fields: dict[str, Any],
                    http: HttpRequest | None = None) -> Campaign:
    """Change a campaign's name, union, card text, card lifetime or supermajority line."""
    return records.update(campaign, actor=actor, fields=fields, request=http,
                          summary="Changed the campaign's settings or card text")


@transaction.atomic
def add_unit(*, actor: User, campaign: Campaign, workplace: Workplace, http: HttpRequest | None = None) -> Unit:
    if workplace.group.path[: len(campaign.group.path)] != campaign.group.path:
        raise OrganizingError("That workplace belongs to another group.")
    unit, created = Unit.objects.get_or_create(campaign=campaign, workplace=workplace)
    if created:
        StageChange.objects.create(unit=unit, stage=unit.stage, by=actor, note="Added to the campaign")
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=unit, request=http, group=campaign.group,
                     summary=f"{workplace} joined the campaign {campaign}")
    return unit


@transaction.atomic
def start_campaign(*, actor: User, request: Request, http: HttpRequest | None = None) -> Unit:
    """Turn a request into a campaign: the employer, the workplace (from what the worker told us),
    a campaign with one unit, the worker first on its roster and on the committee, the request's
    organizer assigned to the unit."""
    request = Request.objects.select_for_update().get(pk=request.pk)
    if request.unit_id:
        return request.unit  # type: ignore[return-value]
    employer, _created = Employer.objects.get_or_create(group=request.group, name=request.employer_name,
                                                        defaults={"industry": request.industry})
    place = lookup_zip(request.postal_code)
    workplace = save_workplace(actor=actor, http=http, workplace=Workplace(
        group=request.group, employer=employer,
        name=request.workplace_address or (place.city.title() if place else request.postal_code),
        address=request.workplace_address, postal_code=request.postal_code, industry=request.industry))
    campaign = create_campaign(actor=actor, group=request.group, http=http, workplaces=[workplace], fields={
        "name": f"{employer.name} workers", "employer": employer, "union_name": request.group.name})
    unit = campaign.units.get(workplace=workplace)
    worker = add_worker(actor=actor, unit=unit, person=request.person)
    worker.on_committee = True
    worker.save(update_fields=["on_committee"])
    if request.organizer is not None:
        unit.volunteers.add(request.organizer.user)
    request.unit, request.status, request.status_changed_at = unit, Request.Status.CAMPAIGN, timezone.now()
    request.save(update_fields=["unit", "status", "status_changed_at"])
    return unit


@transaction.atomic
def set_stage(*, actor: User, unit: Unit, stage: str, note: str = "", http: HttpRequest | None = None) -> Unit:
    """Move a unit to a stage. Starting over after a loss or a pause begins a new attempt; the
    earlier attempts stay in the history."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if stage == unit.stage:
        return unit
    if unit.stage in (Stage.LOST, Stage.PAUSED) and stage not in (Stage.LOST, Stage.PAUSED):
        unit.attempt += 1
    unit.stage = stage
    unit.save(update_fields=["stage", "attempt"])
    StageChange.objects.create(unit=unit, stage=stage, attempt=unit.attempt, by=actor, note=note[:300])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=unit, request=http,
                 group=unit.campaign.group, summary=f"Stage: {unit.get_stage_display()} (attempt {unit.attempt})")
    return unit


@transaction.atomic
def lock_campaign(*, actor: User, campaign: Campaign, lock: bool, http: HttpRequest | None = None) -> Campaign:
    """Restrict a campaign to the group's admins at once (a lost phone), or open it again."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    campaign.locked_at, campaign.locked_by = (timezone.now(), actor) if lock else (None, None)
    campaign.save(update_fields=["locked_at", "locked_by"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, request=http, group=campaign.group,
                 summary=("Locked the campaign to admins" if lock else "Unlocked the campaign"))
    return campaign


# --- rosters -------------------------------------------------------------------------------------


def add_worker(*, actor: User | None, unit: Unit, person: Person, **placement: Any) -> Worker:
    """Put a person on a unit's roster (once), with department, shift and job where given."""
    worker, created = Worker.objects.get_or_create(unit=unit, person=person, defaults=placement)
    if not created and placement:
        for name, value in placement.items():
            setattr(worker, name, value)
        worker.save(update_fields=list(placement))
    return worker


@transaction.atomic
def add_worker_by_hand(*, actor: User, unit: Unit, given_name: str, family_name: str = "", email: str = "",
                       phone: str = "", placement: dict[str, Any] | None = None,
                       http: HttpRequest | None = None) -> tuple[Worker, bool]:
    """A coworker the committee knows: added as a person of the campaign's group and to the roster.
    (worker, created); someone already on the roster keeps their row, placed anew."""
    person, _created = signup_person(
        actor=actor, group=unit.campaign.group, fields={"given_name": given_name, "family_name": family_name},
        emails=[ContactChoice(email)] if email else [], phones=[ContactChoice(phone, kind="mobile")] if phone else [],
        source=ConsentEvent.Source.STAFF, source_detail=f"Roster of {unit}"[:200],
        # A coworker in a shop being organized is not yet a member of the union.
        membership=Membership.Status.PROSPECT)
    return put_on_roster(actor=actor, unit=unit, person=person, placement=placement, http=http)


@transaction.atomic
def put_on_roster(*, actor: User, unit: Unit, person: Person, placement: dict[str, Any] | None = None,
                  http: HttpRequest | None = None) -> tuple[Worker, bool]:
    """Put someone already known on a unit's roster, once; again, their placement changes. (worker, created)"""
    unit = Unit.objects.select_for_update(of=("self",)).select_related("campaign__group").get(pk=unit.pk)
    created = not Worker.objects.filter(unit=unit, person=person).exists()
    worker = add_worker(actor=actor, unit=unit, person=person, **(placement or {}))
    if not created and placement and "eligible" in placement:
        recount_unit(unit)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=unit, request=http, group=unit.campaign.group,
                 subject=person, summary=(f"Added {person.display_name} to the roster" if created
                          else f"Placement at {unit} changed for {person.display_name}"))
    return worker, created


def areas_named(*, actor: User, workplace: Workplace, names: dict[str, str],
                http: HttpRequest | None = None) -> dict[str, Area | None]:
    """The department, shift and job a placement names (by kind), each found on the workplace's map
    or added to it; an empty name is none."""
    return {kind: add_area(actor=actor, workplace=workplace, kind=kind, name=name, http=http) if name.strip()
            else None for kind, name in names.items()}


@transaction.atomic
def place_worker(*, actor: User, worker: Worker, names: dict[str, str], eligible: bool | None = None,
                 http: HttpRequest | None = None) -> Worker:
    """Place a worker by the names of their department, shift and job (kinds left out stay; a name
    new to the workplace joins its map), in the unit or out of it."""
    chosen: dict[str, Any] = {kind: getattr(worker, kind) for kind in Area.Kind.values}
    chosen.update(areas_named(actor=actor, workplace=worker.unit.workplace, names=names, http=http))
    return set_placement(actor=actor, worker=worker, eligible=worker.eligible if eligible is None else eligible,
                         http=http, **chosen)


@transaction.atomic
def remove_from_roster(*, actor: User, worker: Worker, http: HttpRequest | None = None) -> None:
    """Take a worker off a roster (their assessments and one-on-ones go with the row). A signed card
    is evidence the union may file, so a worker who signed one stays: out of the unit instead."""
    unit = _lock_unit(worker.unit_id)
    worker = (Worker.objects.select_for_update(of=("self",)).select_related("person", "unit__campaign__group")
              .get(pk=worker.pk))
    if Card.objects.of_worker(worker).exists():
        raise RosterConflict("This worker signed a card, which is kept: mark them out of the unit instead.")
    audit.record(actor=actor, action=AuditEntry.Action.DELETE, target=worker.unit, request=http,
                 subject=worker.person, group=worker.unit.campaign.group, summary=f"Took {worker.person.display_name} off the roster")
    worker.delete()
    recount_unit(unit)


@transaction.atomic
def set_unit_volunteers(*, actor: User, unit: Unit, volunteers: Iterable[User], http: HttpRequest | None = None) -> Unit:
    """Give a unit exactly these volunteers: they see its roster, and nobody else assigned before does."""
    unit = Unit.objects.select_for_update(of=("self",)).select_related("campaign__group").get(pk=unit.pk)
    chosen = list(volunteers)
    unit.volunteers.set(chosen)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=unit, request=http, group=unit.campaign.group,
                 summary="Assigned volunteers: " + ", ".join(user.email for user in chosen))
    return unit


@transaction.atomic
def set_placement(*, actor: User, worker: Worker, department: Area | None, shift: Area | None, job: Area | None,
                  eligible: bool, http: HttpRequest | None = None) -> Worker:
    """Place a worker on the map of their unit's workplace, in the unit or out of it (which decides
    whether their score is tallied and their card counts)."""
    unit = _lock_unit(worker.unit_id)
    worker = Worker.objects.select_for_update(of=("self",)).select_related("unit__campaign__group").get(pk=worker.pk)
    for kind, area in ((Area.Kind.DEPARTMENT, department), (Area.Kind.SHIFT, shift), (Area.Kind.JOB, job)):
        if area is not None and (area.workplace_id != worker.unit.workplace_id or area.kind != kind):
            raise OrganizingError(f"“{area}” is not a {kind.label.lower()} on this workplace's map.")
    changed = worker.eligible != eligible
    worker.department, worker.shift, worker.job, worker.eligible = department, shift, job, eligible
    worker.save(update_fields=["department", "shift", "job", "eligible"])
    if changed:
        recount_unit(unit)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=worker.person, request=http,
                 group=worker.unit.campaign.group, summary=f"Placement at {worker.unit} changed")
    return worker


ROSTER_COLUMNS = ("first_name", "last_name", "email", "phone", "department", "shift", "job", "in_unit")


def import_roster(*, actor: User, unit: Unit, text: str, http: HttpRequest | None = None) -> tuple[int, list[str]]:
    """Add a list of coworkers (CSV with a header: first_name, last_name, email, phone, department,
    shift, job, in_unit). Good rows are added; each bad row is reported by its line number and
    reason. Departments, shifts and jobs new to the workplace are added to its map."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if "first_name" not in header:
        raise OrganizingError("The first line must name the columns, with at least first_name.")
    reader.fieldnames = header
    added, errors = 0, []
    for line, row in enumerate(reader, start=2):
        row = {k: as_typed(v or "").strip() for k, v in row.items() if k}
        if not row.get("first_name"):
            errors.append(f"Line {line}: no first name.")
            continue
        try:
            email = normalize_email(row["email"]) if row.get("email") else ""
            phone = normalize_phone(row["phone"])[0] if row.get("phone") else ""
        except InvalidContact as exc:
            errors.append(f"Line {line}: {exc}")
            continue
        placement: dict[str, Any] = {
            kind: add_area(actor=actor, workplace=unit.workplace, kind=kind, name=row[column])
            for kind, column in (("department", "department"), ("shift", "shift"), ("job", "job"))
            if row.get(column)}
        if row.get("in_unit"):
            placement["eligible"] = row["in_unit"].lower() not in ("no", "n", "false", "0")
        try:
            with transaction.atomic():
                add_worker_by_hand(actor=actor, unit=unit, given_name=row["first_name"],
                                   family_name=row.get("last_name", ""), email=email, phone=phone,
                                   placement=placement)
            added += 1
        except (IntegrityError, ValueError) as exc:
            errors.append(f"Line {line}: {exc}")
    audit.record(actor=actor, action=AuditEntry.Action.IMPORT, target=unit, request=http, group=unit.campaign.group,
                 summary=f"Imported {added} workers to the roster; {len(errors)} rows refused")
    return added, errors


@transaction.atomic
def assess(*, actor: User, worker: Worker, score: int, notes: str = "", http: HttpRequest | None = None) -> Assessment:
    """Record where a worker stands (1 to 5); the history is kept and the roster shows the latest."""
    if score not in range(1, 6):
        raise OrganizingError("Support is a number from 1 to 5.")
    unit = _lock_unit(worker.unit_id)
    worker = Worker.objects.select_for_update(of=("self",)).select_related("unit__campaign__group").get(pk=worker.pk)
    assessment = Assessment.objects.create(worker=worker, score=score, assessor=actor, assessor_label=str(actor),
                                           notes=notes.strip())
    worker.support, worker.assessed_at = score, assessment.at
    worker.save(update_fields=["support", "assessed_at"])
    recount_unit(unit)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=worker.person, request=http,
                 group=worker.unit.campaign.group, summary=f"Assessed support at {worker.unit}")
    return assessment


@transaction.atomic
def log_conversation(*, actor: User, worker: Worker, outcome: str, next_step: str = "", notes: str = "",
                     follow_up_on: Any = None, http: HttpRequest | None = None) -> Conversation:
    """A one-on-one: how it went, what comes next, and a reminder on the follow-up day."""
    from turnout.organizing.tasks import remind_follow_up

    conversation = Conversation.objects.create(worker=worker, by=actor, outcome=outcome, next_step=next_step.strip(),
                                               follow_up_on=follow_up_on, notes=notes.strip())
    if outcome == Conversation.Outcome.JOINED_COMMITTEE and not worker.on_committee:
        worker.on_committee = True
        worker.save(update_fields=["on_committee"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=worker.person, request=http,
                 group=worker.unit.campaign.group, summary=f"Logged a one-on-one at {worker.unit}")
    if follow_up_on:
        zone = ZoneInfo(settings.TIME_ZONE)
        when = max(timezone.now(), datetime.combine(follow_up_on, time(9), tzinfo=zone))
        pk = conversation.pk
        transaction.on_commit(lambda: remind_follow_up.using(run_after=when).enqueue(conversation_id=pk))
    return conversation


# Door knocking that walked a campaign's roster (`messaging.audience.Source.walked`): the result
# at each worker's place becomes a one-on-one, and the canvasser's 1 to 5 an assessment.
def _walk_outcome(walk: Walk) -> str:
    if walk.score is not None:
        return (Conversation.Outcome.SUPPORTIVE if walk.score <= 2 else Conversation.Outcome.UNDECIDED
                if walk.score == 3 else Conversation.Outcome.OPPOSED)
    return Conversation.Outcome.TALKED if walk.talked else Conversation.Outcome.NOT_REACHED


@transaction.atomic
def record_walks(*, campaign_id: str, walks: list[Walk]) -> int:
    """Write a walk's doors as the campaign's conversations and assessments, one per door visited
    and per unit the worker is on (eligible workers only, as the walk gathered them). The newest
    assessment is the worker's support, as `assess` keeps it; units are recounted. How many
    conversations were written."""
    people = {walk.person_id for walk in walks}
    units = (Worker.objects.filter(unit__campaign__public_id=campaign_id, eligible=True, person_id__in=people)
             .values_list("unit_id", flat=True).distinct())
    locked = [_lock_unit(pk) for pk in sorted(set(units))]
    workers: dict[int, list[Worker]] = {}
    for worker in (Worker.objects.select_for_update(of=("self",)).select_related("unit__campaign__group", "person")
                   .filter(unit__in=locked, eligible=True, person_id__in=people).order_by("pk")):
        workers.setdefault(worker.person_id, []).append(worker)
    conversations: list[Conversation] = []
    assessments: list[Assessment] = []
    for walk in sorted(walks, key=lambda w: w.at):
        by = _("%(name)s (door knocking: %(campaign)s)") % {"name": walk.by, "campaign": walk.campaign}
        notes = "\n".join([_("Door knocking: %(result)s") % {"result": walk.result}, *walk.answers])
        for worker in workers.get(walk.person_id, []):
            conversations.append(Conversation(worker=worker, at=walk.at, by_label=by[:254], outcome=_walk_outcome(walk),
                                              next_step=walk.next_step.strip()[:300], notes=notes))
            if walk.score is None:
                continue
            assessments.append(Assessment(worker=worker, score=walk.score, at=walk.at, assessor_label=by[:254]))
            if worker.assessed_at is None or worker.assessed_at <= walk.at:
                worker.support, worker.assessed_at = walk.score, walk.at
    Conversation.objects.bulk_create(conversations)
    Assessment.objects.bulk_create(assessments)
    Worker.objects.bulk_update([w for ws in workers.values() for w in ws], ["support", "assessed_at"])
    for unit in locked:
        recount_unit(unit)
    audit.record_many({"actor": None, "action": AuditEntry.Action.CHANGE, "target": c.worker.person,
                       "group": c.worker.unit.campaign.group,
                       "summary": f"Door knocking logged a one-on-one at {c.worker.unit}"} for c in conversations)
    return len(conversations)


def send_follow_up_reminder(*, conversation_id: int) -> bool:
    """Remind whoever had a one-on-one that its follow-up is due. Safe to run twice."""
    with transaction.atomic():
        conversation = (Conversation.objects.select_for_update(of=("self",)).filter(pk=conversation_id)
                        .select_related("by", "worker__unit").first())
        if conversation is None or conversation.followed_up or conversation.reminded_at or conversation.by is None:
            return False
        conversation.reminded_at = timezone.now()
        conversation.save(update_fields=["reminded_at"])
        email_staff("a follow-up is due today",
                    f"You planned to follow up with a coworker at {conversation.worker.unit} today"
                    f" ({conversation.next_step or 'no next step written'}):\n"
                    f"{_link(reverse('organizing:worker', args=[conversation.worker.public_id]))}\n",
                    [conversation.by.email])
    return True


@transaction.atomic
def set_structure(*, actor: User, worker: Worker, on_committee: bool, contact: Worker | None,
                  http: HttpRequest | None = None) -> Worker:
    """Put a worker on (or off) the committee, and name the committee member who talks to them."""
    if contact is not None and (contact.unit_id != worker.unit_id or not contact.on_committee):
        raise OrganizingError("Choose a committee member of the same unit.")
    if contact is not None and contact.pk == worker.pk:
        contact = None
    worker.on_committee, worker.contact = on_committee, contact
    worker.save(update_fields=["on_committee", "contact"])
    if not on_committee:
        worker.responsible_for.update(contact=None)  # their people are a coverage gap again
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=worker.person, request=http,
                 group=worker.unit.campaign.group,
                 summary=f"Committee at {worker.unit}: {'member' if on_committee else 'not a member'}"
                         + (f", talks with {contact}" if contact else ""))
    return worker


# --- cards ---------------------------------------------------------------------------------------


def card_text(campaign: Campaign, language: str) -> str:
    """The words a worker signs in `language`: the campaign's Spanish text where it is a
    translation of its English one. A Spanish text left at the default under English words
    changed since would say something else, so then the Spanish signer reads the English."""
    spanish = campaign.card_text_es.strip()
    if language == "es" and not spanish and campaign.card_text == DEFAULT_CARD_TEXT:
        spanish = DEFAULT_CARD_TEXT_ES
    if spanish == DEFAULT_CARD_TEXT_ES and campaign.card_text != DEFAULT_CARD_TEXT:
        spanish = ""
    body = spanish if language == "es" and spanish else campaign.card_text
    return f"{campaign.union_name}\n\n{body}"


def _zone(person: Person | None, postal_code: str, unit: Unit) -> str:
    """The signer's zone: their own record's, else their ZIP's, else the workplace's."""
    if person is not None and person.time_zone:
        return person.time_zone
    for code in (postal_code, unit.workplace.postal_code):
        place = lookup_zip(code) if code else None
        if place is not None and place.time_zone:
            return place.time_zone
    return settings.TIME_ZONE


def card_zone(postal_code: str, unit: Unit) -> str:
    """The zone a card about to be signed is dated in, before the signer is known."""
    return _zone(None, postal_code, unit)


def _same_name(person: Person, given_name: str, family_name: str) -> bool:
    def norm(value: str) -> str:
        return " ".join(value.split()).casefold()
    return (norm(person.given_name), norm(person.family_name)) == (norm(given_name), norm(family_name))


def _fill(card: Card, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(card, name, value)


@transaction.atomic
def sign_card(*, campaign: Campaign, unit: Unit, worker: PublicSignup, signature: str, job_title: str,
              employer_name: str, text: str, ip: str | None, user_agent: str) -> Card:
    """A worker e-signs a card, which keeps the exact text they saw, their typed name, the time
    (on their clock) and their address; they are sent a copy.

    The card belongs to a roster row only when the roster holds the signer by their email or
    phone under the name they typed: then it counts at once. Anyone else's card waits for an organizer (`confirm_card`):
    one whose name matches a roster row asks "is this them?", and the roster does not grow on
    its own. A worker who signs again updates their card: one card per worker, counted once."""
    if unit.campaign_id != campaign.pk:
        raise OrganizingError("Choose your workplace.")
    if text != card_text(campaign, "es") and text != card_text(campaign, "en"):
        raise OrganizingError("The card's text changed while you were signing. Please read it again and sign.")
    if " ".join(signature.split()).casefold() != f"{worker.given_name} {worker.family_name}".strip().casefold():
        raise OrganizingError("Type your full name exactly as above to sign.")
    # The consent ledger is plaintext: it says a public page, not that this person signed a card.
    person = sign_up(campaign.group, worker, worker.email, worker.phone, "Organizing page")
    unit = _lock_unit(unit.pk)
    member = Worker.objects.select_for_update().select_related("person").filter(unit=unit, person=person).first()
    impostor = member is not None and not _same_name(member.person, worker.given_name, worker.family_name)
    if impostor:
        # Whoever has the link may know a coworker's email or number: a card under another name
        # does not count for the roster worker on that contact until an organizer says it is theirs.
        member = None
    fields = {"kind": Card.Kind.ELECTRONIC, "signed_name": " ".join(signature.split()), "signed_at": timezone.now(),
              "text": text, "employer_name": employer_name, "job_title": job_title, "email": worker.email,
              "phone": worker.phone, "ip_address": ip, "user_agent": user_agent[:300], "recorded_by": None, "time_zone": _zone(person, worker.postal_code, unit),
              "language": "es" if text == card_text(campaign, "es") and text != card_text(campaign, "en")
              else worker.language or "en"}
    if member is not None:
        card = Card.objects.of_worker(member).filter(unit=unit).order_by("-signed_at").first() or Card(unit=unit)
        if card.scan:  # their paper card, now signed again online: the new card is the record
            card.scan.delete(save=False)
        _fill(card, **fields)
        card.worker = member
    else:
        card = Card.objects.of_signer(person).filter(unit=unit, pending=True).first() or Card(unit=unit)
        _fill(card, pending=True, worker_ref="", worker_index="", signer_ref=str(person.public_id),
              signer_index=blind_index(str(person.public_id)), **fields)
        alike = [w for w in unit.workers.select_related("person") if _same_name(w.person, worker.given_name,
                                                                                  worker.family_name)]
        card.candidate_ref = str(alike[0].public_id) if len(alike) == 1 else ""
    card.save()
    recount_unit(unit)
    if card.pending:
        email_staff("a union card waits for review",
                    f"A card signed at {unit.workplace} waits for an organizer to match it to the roster:\n"
                    f"{_link(reverse('organizing:review', args=[campaign.public_id]))}\n", _organizers(campaign.group))
    from turnout.organizing.tasks import send_card_copy

    pk = card.pk
    transaction.on_commit(lambda: send_card_copy.enqueue(card_id=pk))
    return card


@transaction.atomic
def confirm_card(*, actor: User, card: Card, worker: Worker | None = None,
                 http: HttpRequest | None = None) -> Card:
    """An organizer matches a waiting card: to `worker`, a row of the card's unit ("this is
    them"), or, with none, to its signer, put on the roster now. From then it counts; where
    the worker already had a card, that card is updated and this one goes."""
    unit = _lock_unit(card.unit_id)
    card = Card.objects.select_for_update().select_related("unit__campaign__group").get(pk=card.pk)
    if not card.pending:
        raise OrganizingError("This card was already matched.")
    signer = card.signer
    if worker is None:
        if signer is None:
            raise OrganizingError("Whoever signed this card is no longer on file: match it to a roster row.")
        worker, _created = put_on_roster(actor=actor, unit=unit, person=signer, http=http)
    elif worker.unit_id != unit.pk:
        raise OrganizingError("Choose a worker of the card's own workplace.")
    earlier = Card.objects.of_worker(worker).filter(unit=unit).exclude(pk=card.pk).first()
    if earlier is not None:
        _fill(earlier, **{name: getattr(card, name) for name in (
            "kind", "signed_name", "signed_at", "text", "employer_name", "job_title", "email", "phone",
            "ip_address", "user_agent", "time_zone", "language")})
        earlier.save()
        # The copy link the signer was just sent names this card: it opens the card it becomes.
        FormerCard.objects.filter(card=card).update(card=earlier)
        FormerCard.objects.create(public_id=card.public_id, card=earlier)
        card.delete()
        card = earlier
    else:
        card.pending, card.signer_ref, card.signer_index, card.candidate_ref = False, "", "", ""
        card.worker = worker
        card.save()
    recount_unit(unit)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=card, request=http,
                 group=unit.campaign.group, summary=f"Confirmed a signed card at {unit.workplace.name}")
    if (signer is not None and signer.pk != worker.person_id and not signer.worker_roles.exists()
            and _same_name(signer, worker.person.given_name, worker.person.family_name)):
        # The signer's record was made by the card page for someone already on file: one person.
        # Only under the same name: the card page finds a record by whatever email or phone was
        # typed, so a card typed with someone else's address must not fold their record in.
        with suppress(ValueError), transaction.atomic():
            merge_people(actor=actor, keep=worker.person, other=signer, request=http)
    return card


@transaction.atomic
def discard_card(*, actor: User, card: Card, http: HttpRequest | None = None) -> None:
    """An organizer throws out a waiting card nobody in the unit signed (a stranger, a prank)."""
    card = Card.objects.select_for_update().select_related("unit__campaign__group", "unit__workplace").get(pk=card.pk)
    if not card.pending:
        raise OrganizingError("A matched card is evidence and is kept: mark its worker out of the unit instead.")
    audit.record(actor=actor, action=AuditEntry.Action.DELETE, target=card.unit, request=http,
                 group=card.unit.campaign.group, summary=f"Discarded a card waiting for review at {card.unit.workplace.name}")
    card.delete()


COPY_SALT = "turnout.organizing.card-copy"


def copy_token(card: Card) -> str:
    """The unguessable key to a worker's own copy of their card (signed, not stored)."""
    return signing.dumps(str(card.public_id), salt=COPY_SALT)


def card_from_copy_token(token: str) -> Card | None:
    """The card a copy link names, while the link is younger than CARD_COPY_DAYS; else None."""
    try:
        # 0 keeps the link working for ever, like the retention settings.
        public_id = signing.loads(token, salt=COPY_SALT,
                                  max_age=timedelta(days=settings.CARD_COPY_DAYS) if settings.CARD_COPY_DAYS else None)
    except signing.BadSignature:  # SignatureExpired too
        return None
    cards = Card.objects.select_related("unit__campaign__group", "unit__workplace")
    return cards.filter(public_id=public_id).first() or cards.filter(former__public_id=public_id).first()


def copy_url(card: Card) -> str:
    return _link(reverse("public_card_copy", args=[copy_token(card)]))


def send_card_copy(*, card_id: int) -> str:
    """Send the signer their copy, in the language they signed in, from their union: by email
    with the whole card, else by text with the link to their private copy. Sent straight to the
    worker and kept nowhere (no message row says who got a card). Returns "email", "sms" or ""."""
    card = Card.objects.select_related("unit__campaign__group", "unit__workplace").filter(pk=card_id).first()
    if card is None or card.kind != Card.Kind.ELECTRONIC or not (card.email or card.phone):
        return ""
    union = card.unit.campaign.group.name
    with translation.override(card.language or "en"):
        local = card.local_signed_at
        when = f"{date_format(local, 'DATE_FORMAT')}, {date_format(local, 'TIME_FORMAT')} {local.tzname()}"
        link = copy_url(card)
        if card.email:
            subject = _("%(union)s: your signed union card") % {"union": union}
            body = "\n\n".join([
                _("Here is a copy of the union card you signed. Keep it somewhere private."), card.text,
                _("Signed by: %(name)s") % {"name": card.signed_name}, _("Signed: %(when)s") % {"when": when},
                _("Your copy online, with a PDF: %(link)s") % {"link": link},
                _("Your employer is not told who signed. — %(union)s") % {"union": union}])
            _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
            send_mail(subject, body, formataddr((union, address)), [card.email])
            return "email"
        body = _("%(union)s: your union card is signed (%(when)s). Your private copy: %(link)s") % {
            "union": union, "when": when, "link": link}
    return "sms" if send_reply(to=card.phone, body=body) else ""


@transaction.atomic
def record_paper_card(*, actor: User, worker: Worker, signed_on: Any, scan: UploadedFile | None,
                      http: HttpRequest | None = None) -> Card:
    """A paper card collected by hand: the date on it (noon in the worker's zone) and a scan. Its
    age counts from that date. A worker who already has a card gets it updated, not a second."""
    if signed_on.year < 1935:  # before the National Labor Relations Act: a typo, not a card
        raise OrganizingError("Check the date on the card: it is before 1935.")
    unit = _lock_unit(worker.unit_id)
    worker = Worker.objects.select_for_update(of=("self",)).select_related(
        "person", "job", "unit__campaign__group", "unit__workplace__employer").get(pk=worker.pk)
    zone = _zone(worker.person, "", worker.unit)
    signed_at = datetime.combine(signed_on, time(12), tzinfo=ZoneInfo(zone))
    if signed_at > timezone.now() + timedelta(days=1):
        raise OrganizingError("The date on the card cannot be in the future.")
    language = worker.person.language or "en"
    card = Card.objects.of_worker(worker).filter(unit=unit).order_by("-signed_at").first() or Card(unit=worker.unit)
    created = card.pk is None
    if not created and card.signed_at > signed_at:
        raise RosterConflict(f"Their card on file is newer (signed {card.local_signed_at:%B %-d, %Y}): it stays.")
    _fill(card, kind=Card.Kind.PAPER, signed_name=worker.person.display_name, signed_at=signed_at,
          text=card_text(worker.unit.campaign, language), employer_name=worker.unit.workplace.employer.name,
          recorded_by=actor, job_title=worker.job.name if worker.job else "", ip_address=None, user_agent="",
          time_zone=zone, language=language)
    card.worker = worker
    if scan is not None:
        if card.scan:
            card.scan.delete(save=False)
        card.scan.save(scan.name or "card", scan, save=False)
    card.save()
    recount_unit(unit)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.CHANGE,
                 target=card, request=http, group=worker.unit.campaign.group,
                 summary=f"Recorded a paper card at {worker.unit}" + ("" if created else " (it updates their card)"))
    return card


def export_roster(*, actor: User, unit: Unit, out: Any, http: HttpRequest | None = None) -> int:
    """Write a unit's roster as CSV (audited): who, where they work, support, committee, card date."""
    writer = csv_writer(out)
    writer.writerow(["first_name", "last_name", "email", "phone", "department", "shift", "job", "in_unit",
                     "support", "committee", "talks_with", "card_signed"])
    rows = 0
    workers = list(unit.workers.select_related("person", "department", "shift", "job", "contact__person")
                   .prefetch_related("person__emails", "person__phones"))
    with_cards(workers)
    for worker in workers:
        person = worker.person
        email = next((e.address for e in person.emails.all()), "")
        phone = next((p.number for p in person.phones.all()), "")
        cells = [person.given_name, person.family_name, email, phone,
                 worker.department.name if worker.department else "", worker.shift.name if worker.shift else "",
                 worker.job.name if worker.job else "", "yes" if worker.eligible else "no", worker.support or "",
                 "yes" if worker.on_committee else "", str(worker.contact) if worker.contact else "",
                 worker.card_signed_at.date().isoformat() if worker.card_signed_at else ""]
        writer.writerow(cells)
        rows += 1
    audit.record(actor=actor, action=AuditEntry.Action.EXPORT, target=unit, request=http, group=unit.campaign.group,
                 summary=f"Exported the roster of {unit} ({rows} workers)")
    return rows


# --- what the counts read ------------------------------------------------------------------------


def _lock_unit(unit_id: int) -> Unit:
    """Lock a unit's row before its roster, cards or scores change: `recount_unit` reads the whole
    unit, so two writes in one unit must not each count without the other's row."""
    return Unit.objects.select_for_update().get(pk=unit_id)


def recount_unit(unit: Unit) -> Unit:
    """Recount, from the unit's sealed rows, what the roll-up reads in plaintext: which card of each
    worker counts (their newest, while they are in the unit; none once they are off the roster)
    and the tally of eligible workers' latest scores. The caller holds the unit's lock."""
    workers = {str(public_id): (eligible, support) for public_id, eligible, support
               in Worker.objects.filter(unit=unit).values_list("public_id", "eligible", "support")}
    tally = [0] * 5
    for eligible, support in workers.values():
        if eligible and support:
            tally[support - 1] += 1
    cards = list(Card.objects.filter(unit=unit).values_list("pk", "worker_ref", "signed_at", "counts"))
    newest: dict[str, tuple[Any, int]] = {}
    for pk, ref, signed_at, _counts in cards:
        if ref in workers and workers[ref][0] and (ref not in newest or (signed_at, pk) > newest[ref]):
            newest[ref] = (signed_at, pk)
    counting = {pk for _signed_at, pk in newest.values()}
    for value in (True, False):
        flips = [pk for pk, _ref, _signed_at, counts in cards if (pk in counting) == value and counts != value]
        if flips:
            Card.objects.filter(pk__in=flips).update(counts=value)
    if unit.support_counts != tally:
        unit.support_counts = tally
        unit.save(update_fields=["support_counts"])
    return unit


# --- erasure -------------------------------------------------------------------------------------


@transaction.atomic
def move_roster(*, keep: Person, other: Person) -> None:
    """A merge: `other`'s roster rows become `keep`'s, with their cards; units are recounted."""
    for worker in Worker.objects.filter(person=other).order_by("unit_id"):
        unit = _lock_unit(worker.unit_id)
        kept = Worker.objects.filter(unit=unit, person=keep).first()
        if kept is None:
            Worker.objects.filter(pk=worker.pk).update(person=keep)
        else:
            for card in Card.objects.of_worker(worker):
                card.worker = kept
                card.save(update_fields=["worker_ref", "worker_index"])
        recount_unit(unit)
    for card in Card.objects.of_signer(other):  # cards still waiting for review follow their signer
        card.signer_ref, card.signer_index = str(keep.public_id), blind_index(str(keep.public_id))
        card.save(update_fields=["signer_ref", "signer_index"])


def forget_person(*, person: Person) -> None:
    """Delete what organizing holds about a person that no cascade reaches: the cards they signed
    (found by the blind index; their scans go when the deletion commits), then their roster rows,
    and recount the units they were on; and any card of theirs still waiting for review."""
    for worker in Worker.objects.filter(person=person).order_by("unit_id"):
        unit = _lock_unit(worker.unit_id)
        Card.objects.of_worker(worker).delete()  # each card's scan goes too (receivers.remove_scan)
        worker.delete()
        recount_unit(unit)
    Card.objects.of_signer(person).delete()  # waiting cards count for nobody: no recount
