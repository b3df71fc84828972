"""Events: making them, RSVPs with capacity and a waitlist, and what people are told.

Every write to an event's seats happens with the event's row locked, so two people taking
the last seat at once cannot both get it: one goes to the waitlist. An RSVP is one per
person per event; a second submission (a double click, a retry) returns the first.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, User
from turnout.core import audit, batching, bulk, geo, records
from turnout.core.dangerous import refuse_question, without_dangerous
from turnout.core.models import AuditEntry
from turnout.events.models import (
    Event,
    EventCampaign,
    Question,
    Rsvp,
    RsvpIntake,
    Shift,
    Status,
    Visibility,
    new_host_key,
)
from turnout.messaging import outbox, sending
from turnout.messaging.models import Delivery, Message
from turnout.people import intake as intake_machinery
from turnout.people.contact import InvalidContact, normalize_email, normalize_phone
from turnout.people.models import ConsentEvent, Membership, Person
from turnout.people.services import ContactChoice, UnknownZip, signup_person
from turnout.people.signup import PublicSignup, sign_up, sign_up_many
from turnout.sharing import services as sharing

logger = logging.getLogger(__name__)

# A repeated RSVP form resends the confirmation no more often than this.
RESEND_AFTER = timedelta(minutes=10)
# Reminders by default: a day before and an hour before (minutes).
DEFAULT_REMINDERS = [24 * 60, 60]


class EventError(ValueError):
    """A request the event cannot take, with a message for the person."""


def wall_clock(day: date, at: time, zone: str) -> datetime:
    """The instant a local wall-clock time names in `zone`, daylight saving included
    (Arizona and Hawaii keep standard time all year; their zones say so)."""
    local = datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    # A time that does not exist (skipped when clocks spring forward) is taken as the
    # moment an hour later; one that happens twice (fall back) as its first occurrence.
    utc = local.astimezone(ZoneInfo("UTC"))
    if utc.astimezone(ZoneInfo(zone)).replace(tzinfo=None) != local.replace(tzinfo=None):
        utc = (local + timedelta(hours=1)).astimezone(ZoneInfo("UTC"))
    return utc


def place_event(event: Event) -> None:
    """Coordinates and time zone from the event's ZIP (in person); raises EventError when unknown."""
    if event.kind == Event.Kind.VIRTUAL and not event.postal_code:
        event.latitude = event.longitude = None
        return
    place = geo.lookup_zip(event.postal_code)
    if place is None:
        raise EventError(_("We do not know the ZIP code “%(zip)s”.") % {"zip": event.postal_code})
    event.postal_code = place.zip_code
    event.latitude, event.longitude, event.time_zone = place.latitude, place.longitude, place.time_zone
    event.locality = event.locality or place.city
    event.region = event.region or place.state


def check_times(starts_at: datetime | None, ends_at: datetime | None) -> None:
    """EventError unless the end (when there is one) comes after the start."""
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise EventError(_("The event ends before it starts: give an end after the start."))


@transaction.atomic
def save_event(*, actor: User | None, event: Event, notify: bool = True) -> Event:
    """Create or change an event; people going hear when its time or place changes. EventError
    for an event that would end before it starts."""
    check_times(event.starts_at, event.ends_at)
    creating = event.pk is None
    before = None if creating else Event.objects.get(pk=event.pk)
    place_event(event)
    if creating and not event.reminders:
        event.reminders = list(DEFAULT_REMINDERS)
    event.save()
    summary = "Created the event" if creating else "Changed the event"
    audit.record(actor=actor, action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.CHANGE,
                 target=event, summary=summary, group=event.group)
    moved = before is not None and (before.starts_at != event.starts_at or before.place_line() != event.place_line()
                                    or before.join_url != event.join_url)
    if moved and notify:
        tell_going(event, topic="change", body=_change_text(event),
                   subject=_("Changed: %(title)s") % {"title": event.title})
    if creating or moved or (before is not None and before.status != event.status):
        transaction.on_commit(lambda: schedule_reminders(event))
    return event


@transaction.atomic
def cancel_event(*, actor: User | None, event: Event, note: str = "") -> int:
    """Cancel: everyone going or waiting is told. Returns how many were told."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status == Status.CANCELLED:
        return 0
    event.status = Status.CANCELLED
    event.save(update_fields=["status"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=event, summary="Cancelled the event",
                 group=event.group)
    body = _("%(title)s on %(when)s is cancelled.") % {"title": event.title, "when": when_text(event)}
    if note:
        body += " " + note
    return tell_going(event, topic="cancelled", body=body, waitlist_too=True,
                      subject=_("Cancelled: %(title)s") % {"title": event.title})


def cancel_reach(event: Event) -> dict[str, int]:
    """Who a cancellation would tell, counted without sending: people going, people waiting, and
    how many of them an email and a text message would reach (each once, with their consent)."""
    people = going(event, waitlist_too=True)
    tally = counts(event)
    return {"going": tally["going"], "waitlist": tally["waitlist"], "people": people.count(),
            "email": outbox.reach("email", people)[1], "sms": outbox.reach("sms", people)[1]}


def when_text(event: Event, start: datetime | None = None) -> str:
    """"Tue, Nov 24, 5:00 p.m. PST": the event's own local time and zone."""
    local = (start or event.starts_at).astimezone(event.zone)
    return f"{formats.date_format(local, 'D, M j, P')} {local.tzname()}"


def _change_text(event: Event) -> str:
    return _("Update: %(title)s is now %(when)s, %(where)s.") % {
        "title": event.title, "when": when_text(event), "where": event.place_line()}


@dataclass
class RsvpRequest(PublicSignup):
    """A public sign-up for one event: the person, their answers, and the shift they chose."""

    shift: Shift | None = None


def rsvp(event: Event, request: RsvpRequest) -> tuple[Rsvp, bool]:
    """Sign someone up: going, or on the waitlist when full. (rsvp, created); the same person again
    gets their first RSVP back (a cancelled one comes back to life). Two submissions of the same
    person at once (a double click) race to add them; the loser tries once more and finds them."""
    return _once_more_on_conflict(lambda: _rsvp(event, request))


def _once_more_on_conflict[T](write: Callable[[], T]) -> T:
    """Run `write` in a transaction; when it loses a race to add the same person (a unique
    constraint), once more: the second time finds them."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                return write()
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _rsvp(event: Event, request: RsvpRequest, key: str = "") -> tuple[Rsvp, bool]:
    event = Event.objects.get(pk=event.pk)
    _check_open(event, request.source)
    email, phone = contacts(request.email, request.phone)
    member = event.visibility != Visibility.MEMBERS or _already_member(event, email, phone)
    person = sign_up(event.group, request, email, phone, f"RSVP: {event.title}")
    shift = request.shift if request.shift is None or request.shift.event_id == event.pk else None
    return take_seat(event, person, shift=shift, answers=request.answers or {}, source=request.source,
                     notify=request.source != "host", waitlist=not member, key=key)


def takes_intake(event: Event, shifts: list[Shift]) -> bool:
    """Can this event's RSVP form be answered before the RSVP is made? Only when no seat has to
    be decided while the person waits: no limit on the event or its shifts, and not members-only
    (whose answer depends on who the person is)."""
    return (event.capacity is None and event.visibility != Visibility.MEMBERS
            and all(shift.capacity is None for shift in shifts))


def rsvp_later(event: Event, data: dict[str, Any]) -> str:
    """Keep an RSVP form exactly as sent, for a worker to make the person and the RSVP (see
    `settle`); the form's key, which its person's link carries. The event must take intake
    (`takes_intake`); closed or past events are refused here, while the person can still be told."""
    _check_open(event, data.get("source", "form"))
    key = new_host_key()
    # The one write a rally's crowd waits for: a plain INSERT, no model instance.
    try:
        bulk.insert_one(RsvpIntake, {"event": event.pk, "key": key, "data": data, "received_at": timezone.now(),
                                     "outcome": "", "reason": ""})
    except IntegrityError:  # the event was deleted a moment ago, while this process still had it in hand
        raise EventError(_("This event is not taking RSVPs.")) from None
    from turnout.events.tasks import settle_rsvps  # the tasks module imports this one

    batching.ask_on_commit(settle_rsvps, SETTLE_ASKED_KEY, stamped=True)
    return key


# A burst of RSVPs asks for one settling run, not one per form (see `core.batching`).
SETTLE_ASKED_KEY = "events:settle-rsvps"


def settle(intake_id: int) -> RsvpIntake | None:
    """Make the person and the RSVP a waiting form asked for, exactly once: a form already
    settled (by a worker, or by its own link being used) is left alone. The form's contents are
    dropped once settled; what remains is the outcome, for the person's own link."""
    return _once_more_on_conflict(lambda: _settle(intake_id))


def _settle(intake_id: int) -> RsvpIntake | None:
    intake = RsvpIntake.objects.select_for_update().filter(pk=intake_id, outcome="").first()
    if intake is None:
        return None
    _settle_alone(intake)
    intake.data = {}
    intake.save(update_fields=["outcome", "reason", "data"])
    return intake


def _intake_request(intake: RsvpIntake, shift: Shift | None) -> RsvpRequest:
    fields = {name: value for name, value in intake.data.items() if name not in ("shift_id", "ref")}
    return RsvpRequest(**fields, shift=shift)


def _settle_alone(intake: RsvpIntake) -> None:
    """One form through the one RSVP rule (`_rsvp`); sets the intake's outcome, not saved."""
    data = intake.data
    with translation.override(data.get("language") or "en"):
        shift = Shift.objects.filter(event_id=intake.event_id, pk=data["shift_id"]).first() \
            if data.get("shift_id") else None
        try:
            with transaction.atomic():
                answer, created = _rsvp(Event(pk=intake.event_id), _intake_request(intake, shift), key=intake.key)
        except UnknownZip:
            intake.outcome, intake.reason = RsvpIntake.Outcome.REFUSED, _("We do not know this ZIP code.")
        except EventError as exc:
            intake.outcome, intake.reason = RsvpIntake.Outcome.REFUSED, str(exc)[:200]
        else:
            intake.outcome = RsvpIntake.Outcome.GOING if created else RsvpIntake.Outcome.EXISTING
            if created:
                sharing.credit(code=data.get("ref", ""), person=answer.person, kind="event",
                               action_id=intake.event_id)


# Forms settled in one transaction by the worker: large enough that a commit and the batch's
# statements are shared by many forms, small enough that a retried batch costs little.
SETTLE_BATCH = 500


def settle_waiting(batch: int = SETTLE_BATCH) -> int:
    """Settle every waiting RSVP form, oldest first, a batch at a time; how many were settled.

    A batch is one transaction (`settle_batch`): people, RSVPs and audit entries written set-based,
    confirmations queued once it commits. A batch that fails as a whole is rolled back and its forms
    settled one by one, so a bad form holds up no other: it is logged and left waiting for the next
    run, until it has failed `INTAKE_MAX_ATTEMPTS` runs and is marked failed for staff
    (`people.intake.note_failure`). A worker that dies mid-batch leaves the batch waiting, whole,
    for the next run. (Settled forms are removed on the retention schedule: `events.retention`.)"""
    return _settle_waiting(batch, None)[0]


# How long the worker's settling task settles before it hands the worker over (`settle_for_a_while`).
SETTLE_SLICE = timedelta(seconds=2)


def settle_for_a_while(batch: int = SETTLE_BATCH, for_at_most: timedelta = SETTLE_SLICE) -> int:
    """What the worker's settling task does: `settle_waiting`, stopping after the batch that ends
    past `for_at_most`; forms still waiting then get another run. The confirmations the batches
    queued go first (`queue_confirmations`), so during a burst, when forms keep arriving, the worker
    writes confirmations as it goes instead of all after the burst, and each settling run takes
    what waited for it in a larger batch. How many were settled."""
    settled, cut_short = _settle_waiting(batch, monotonic() + for_at_most.total_seconds())
    if cut_short and RsvpIntake.objects.filter(outcome="").exists():
        from turnout.events.tasks import settle_rsvps  # the tasks module imports this one

        # After the batches' confirmations, which each batch queued as it committed.
        transaction.on_commit(lambda: settle_rsvps.enqueue())
    return settled


def _settle_waiting(batch: int, until: float | None) -> tuple[int, bool]:
    """`settle_waiting`, stopping after the batch that ends past `until` (a `monotonic` time):
    (how many were settled, whether it stopped there)."""
    settled, failed = 0, set[int]()
    waiting = RsvpIntake.objects.filter(outcome="").order_by("id")
    while ids := list(waiting.exclude(pk__in=failed).values_list("id", flat=True)[:batch]):
        try:
            settled += settle_batch(ids, failed=failed)
        except Exception:
            logger.exception("Settling a batch of %s RSVP forms failed; settling them one by one", len(ids))
            for pk in ids:
                try:
                    settled += settle(pk) is not None
                except Exception as exc:
                    logger.exception("Settling RSVP form %s failed; it is tried again on the next run", pk)
                    intake_machinery.note_failure(RsvpIntake, pk, exc)
                    failed.add(pk)
        if until is not None and monotonic() >= until:
            return settled, True
    return settled, False


@transaction.atomic
def settle_batch(ids: list[int], *, failed: set[int] | None = None) -> int:
    """Settle these waiting forms in one transaction, under the same rules as one RSVP (`rsvp`), and
    return how many were settled (a form settled meanwhile is left alone).

    For an event without a limit, the people nobody on file names are signed up together
    (`people.signup.sign_up_many`: the public sign-up's rules, in set-based statements) and their
    RSVPs written in one statement; a form naming someone on file, repeating a contact of an earlier
    form, or for an event that now has a limit, is members-only or closed goes through `_rsvp` in
    its own savepoint, after them. A form that fails there is rolled back alone, logged and left
    waiting (its id added to `failed`). Confirmations are queued once the batch commits, one task
    for the batch."""
    intakes = list(RsvpIntake.objects.select_for_update().filter(pk__in=ids, outcome="").order_by("id"))
    by_event: dict[int, list[RsvpIntake]] = {}
    for intake in intakes:
        by_event.setdefault(intake.event_id, []).append(intake)
    made: list[int] = []
    settled: list[RsvpIntake] = []
    for event_id, forms in by_event.items():
        event = Event.objects.select_related("group").filter(pk=event_id).first()
        if event is None:
            continue  # deleted: its forms went with it
        shifts = {shift.pk: shift for shift in event.shifts.all()}
        alone: list[RsvpIntake] = []
        plain: list[tuple[RsvpIntake, RsvpRequest, Shift | None]] = []
        open_now = event.status in (Status.SCHEDULED, Status.STANDBY) and event.starts_at >= timezone.now() - timedelta(hours=6)
        for intake in forms:
            data = intake.data
            shift = shifts.get(data.get("shift_id") or 0)
            if not open_now or not takes_intake(event, list(shifts.values())) or data.get("source", "form") != "form":
                alone.append(intake)
                continue
            try:
                request = _intake_request(intake, shift)
            except TypeError:  # a form this version cannot read: the one-by-one path logs it
                alone.append(intake)
                continue
            with translation.override(data.get("language") or "en"):
                try:
                    request.email, request.phone = contacts(request.email, request.phone)
                except EventError as exc:
                    intake.outcome, intake.reason = RsvpIntake.Outcome.REFUSED, str(exc)[:200]
                    settled.append(intake)
                    continue
            plain.append((intake, request, shift))
        people = sign_up_many(event.group, [(r, r.email, r.phone) for _i, r, _s in plain], f"RSVP: {event.title}") \
            if plain else {}
        rows = []
        ids_new = bulk.allocate_ids(Rsvp, len(people))
        now = timezone.now()
        for (index, person), pk in zip(sorted(people.items()), ids_new, strict=True):
            intake, request, shift = plain[index]
            rows.append((pk, uuid.uuid4(), now, now, event.pk, person.pk, shift.pk if shift else None,
                         Rsvp.Status.GOING, without_dangerous(request.answers or {}), request.source, now, "",
                         intake.key))
            intake.outcome = RsvpIntake.Outcome.GOING
            settled.append(intake)
            made.append(pk)
            if intake.data.get("ref"):
                sharing.credit(code=intake.data["ref"], person=person, kind="event", action_id=event.pk)
        bulk.insert_rows(Rsvp, ["id", "public_id", "created_at", "updated_at", "event", "person", "shift", "status",
                                "answers", "source", "confirmed_at", "client_ref", "key"], rows)
        alone += [intake for index, (intake, _r, _s) in enumerate(plain) if index not in people]
        for intake in sorted(alone, key=lambda i: i.pk):
            try:
                with transaction.atomic():
                    _settle_alone(intake)
            except Exception as exc:
                logger.exception("Settling RSVP form %s failed; it is tried again on the next run", intake.pk)
                intake_machinery.note_failure(RsvpIntake, intake.pk, exc)
                if failed is not None:
                    failed.add(intake.pk)
                continue
            settled.append(intake)
    for outcome in (RsvpIntake.Outcome.GOING, RsvpIntake.Outcome.EXISTING):
        RsvpIntake.objects.filter(pk__in=[i.pk for i in settled if i.outcome == outcome]).update(
            outcome=outcome, reason="", data={})
    for intake in settled:
        if intake.outcome == RsvpIntake.Outcome.REFUSED:
            intake.data = {}
            intake.save(update_fields=["outcome", "reason", "data"])
    if made:
        transaction.on_commit(lambda: queue_confirmations(made))
    return len(settled)


# A batch's confirmations go before settling runs queued earlier (`settle_for_a_while`): on the
# database queue by priority; on Redis, which has no priorities, in the order they were queued.
CONFIRM_PRIORITY = 10


def queue_confirmations(rsvp_ids: list[int]) -> None:
    """Queue the confirmations of a batch of RSVPs (`confirm_many`), ahead of settling runs."""
    from turnout.events.tasks import send_confirmations  # the tasks module imports this one

    confirming = send_confirmations
    if confirming.get_backend().supports_priority:
        confirming = confirming.using(priority=CONFIRM_PRIORITY)
    confirming.enqueue(rsvp_ids=rsvp_ids)


def contacts(email: str, phone: str) -> tuple[str, str]:
    """The email and mobile number as stored ("" for none); EventError with the reason when unusable."""
    try:
        return (normalize_email(email) if email else "", normalize_phone(phone)[0] if phone else "")
    except InvalidContact as exc:
        raise EventError(str(exc)) from None


def _already_member(event: Event, email: str, phone: str) -> bool:
    """For a members-only event: was the person (by email or phone) already a member of its group,
    or of one below it? A supporter (someone a public form brought) is not a member."""
    contact = Q(pk__in=[])
    if email:
        contact |= Q(person__emails__address=email)
    if phone:
        contact |= Q(person__phones__number=phone)
    return Membership.objects.filter(contact, group__path__startswith=event.group.path,
                                     status=Membership.Status.MEMBER).exists()


def take_seat(event: Event, person: Person, *, shift: Shift | None = None, answers: dict[str, Any] | None = None,
              source: str = "form", notify: bool = True, waitlist: bool = False, key: str = "") -> tuple[Rsvp, bool]:
    """Give someone already known a seat (or a waitlist place): (rsvp, created). Must run in a
    transaction; the event's row is locked while seats are counted. `waitlist` holds them for an
    organizer (someone not yet a member, for a members-only event)."""
    if event.capacity is not None or (shift is not None and shift.capacity is not None):
        # Seats are counted under the event's lock, so two people cannot take the last one. An
        # event without a limit needs no count, and its RSVPs do not wait for each other.
        event = Event.objects.select_for_update().get(pk=event.pk)
    if source in ("form", "campaign") and event.status not in (Status.SCHEDULED, Status.STANDBY):
        raise EventError(_("This event is not taking RSVPs."))
    existing = Rsvp.objects.filter(event=event, person=person).first()
    if existing is not None and existing.status != Rsvp.Status.CANCELLED:
        # The same form again: whoever sent it learns nothing here; the person's own inbox gets
        # their confirmation (and link) again, at most every few minutes.
        if notify and (existing.confirmed_at is None or existing.confirmed_at < timezone.now() - RESEND_AFTER):
            _confirm_later(existing)
        return existing, False
    seat = Rsvp.Status.GOING if not waitlist and _has_room(event, shift) else Rsvp.Status.WAITLIST
    answers = without_dangerous(answers or {})  # whichever door sent them (core.dangerous)
    if existing is not None:
        existing.status, existing.shift, existing.answers = seat, shift, answers or {}
        existing.save(update_fields=["status", "shift", "answers"])
        answer = existing
    else:
        answer = Rsvp.objects.create(event=event, person=person, shift=shift, status=seat,
                                     answers=answers or {}, source=source,
                                     confirmed_at=timezone.now() if notify else None, **({"key": key} if key else {}))
    if notify:
        _confirm_later(answer)
    return answer, existing is None


def seat_many(event: Event, people: list[Person], *, source: str) -> list[Rsvp]:
    """Seats at an event without a limit for people who have just been signed up (the API's record
    helper answering requests that came together): what `take_seat` gives each of them without a
    confirmation (notify=False), in one statement: going, since nobody new holds an RSVP and no
    seat is counted. In the caller's transaction; the RSVPs in `people`'s order."""
    if event.capacity is not None:
        raise EventError("An event with a limit seats people one by one.")
    now = timezone.now()
    answers = [Rsvp(pk=pk, public_id=uuid.uuid4(), created_at=now, updated_at=now, event=event, person=person,
                    status=Rsvp.Status.GOING, answers={}, source=source, key=new_host_key())
               for person, pk in zip(people, bulk.allocate_ids(Rsvp, len(people)), strict=True)]
    bulk.insert_rows(Rsvp, ["id", "public_id", "created_at", "updated_at", "event", "person", "status", "answers",
                            "source", "client_ref", "key"],
                     [(a.pk, a.public_id, now, now, event.pk, a.person.pk, a.status, {}, source, "", a.key)
                      for a in answers])
    return answers


def _check_open(event: Event, source: str) -> None:
    if event.status not in (Status.SCHEDULED, Status.STANDBY):
        raise EventError(_("This event is not taking RSVPs."))
    if event.starts_at < timezone.now() - timedelta(hours=6) and source != "host":
        raise EventError(_("This event is over."))


def _has_room(event: Event, shift: Shift | None) -> bool:
    going = Rsvp.objects.filter(event=event, status=Rsvp.Status.GOING)
    if event.capacity is not None and going.count() >= event.capacity:
        return False
    return shift is None or shift.capacity is None or going.filter(shift=shift).count() < shift.capacity


@transaction.atomic
def cancel_rsvp(answer: Rsvp) -> Rsvp | None:
    """The person is not coming; the first on the waitlist who now fits is promoted and told.
    Returns whoever was promoted."""
    event = Event.objects.select_for_update().get(pk=answer.event_id)
    answer = Rsvp.objects.select_for_update().get(pk=answer.pk)
    if answer.status == Rsvp.Status.CANCELLED:
        return None
    answer.status = Rsvp.Status.CANCELLED
    answer.save(update_fields=["status"])
    for waiting in Rsvp.objects.filter(event=event, status=Rsvp.Status.WAITLIST).select_related("shift"):
        if _has_room(event, waiting.shift):
            waiting.status = Rsvp.Status.GOING
            waiting.save(update_fields=["status"])
            _confirm_later(waiting, promoted=True)
            return waiting
    return None


def _confirm_later(answer: Rsvp, promoted: bool = False) -> None:
    """The confirmation is written by a worker once the RSVP is committed: the person's request
    returns as soon as their seat is saved."""
    from turnout.events.tasks import send_confirmation

    rsvp_id = answer.pk
    if answer.confirmed_at is None or answer.confirmed_at < timezone.now() - timedelta(seconds=1):
        Rsvp.objects.filter(pk=rsvp_id).update(confirmed_at=timezone.now())
    transaction.on_commit(lambda: send_confirmation.enqueue(rsvp_id=rsvp_id, promoted=promoted))


@transaction.atomic
def give_seat(*, actor: User, answer: Rsvp) -> Rsvp:
    """An organizer seats someone from the waitlist (a member they vouch for, or over capacity)."""
    answer = Rsvp.objects.select_for_update().select_related("event").get(pk=answer.pk)
    if answer.status != Rsvp.Status.GOING:
        answer.status = Rsvp.Status.GOING
        answer.save(update_fields=["status"])
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=answer.event, group=answer.event.group,
                     summary="Gave a seat to someone on the waitlist")
        _confirm_later(answer, promoted=True)
    return answer


def rsvp_link(answer: Rsvp) -> str:
    return settings.BASE_URL + reverse("public_rsvp", args=[answer.key])


# A key as `new_host_key` makes it: URL-safe characters, which `reverse` puts in a link as they are.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _link_maker() -> Callable[[str], str]:
    """`rsvp_link` for many keys: the link is worked out once, and each key put in its place
    (`reverse` on every key costs a confirmation more than the rest of its words); a key with any
    other character goes through `reverse`, so every link is the one `rsvp_link` gives."""
    placeholder = "0KEY0"
    head, tail = (settings.BASE_URL + reverse("public_rsvp", args=[placeholder])).rsplit(placeholder, 1)

    def link(key: str) -> str:
        if _PLAIN_KEY.fullmatch(key):
            return f"{head}{key}{tail}"
        return settings.BASE_URL + reverse("public_rsvp", args=[key])

    return link


def confirm(*, rsvp_id: int, promoted: bool = False) -> None:
    """Tell the person where they stand, by email and (with consent) by text, in their language."""
    answer = Rsvp.objects.select_related("event", "event__group", "person", "shift").filter(pk=rsvp_id).first()
    if answer is None or answer.status == Rsvp.Status.CANCELLED:
        return  # erased, or cancelled before the confirmation went out
    said = confirmation(answer, promoted=promoted)
    sending.answer_person(group=said.group, person=answer.person, subject=said.subject, body=said.body,
                          topic=said.topic, reason=said.reason)


# What the confirmations of one event share for each shift, place on the list and language: the
# lines before the person's own link, and the words around it.
Shared = dict[tuple[int, int | None, str, bool, str], tuple[list[str], str]]


def confirmation(answer: Rsvp, *, promoted: bool = False, shared: Shared | None = None) -> sending.Answer:
    """What the confirmation of this RSVP says, in the person's language, and to whom: the one
    decision `confirm` and `confirm_many` both send. `shared` keeps what a batch's confirmations
    have in common, worked out once (`confirm_many`: the date, the words in each language)."""
    return _confirmation(answer.event, answer.shift, status=answer.status, language=answer.person.language,
                         person_id=answer.person_id, link=rsvp_link(answer), promoted=promoted, shared=shared)


def _confirmation(event: Event, shift: Shift | None, *, status: str, language: str, person_id: int, link: str,
                  promoted: bool = False, shared: Shared | None = None) -> sending.Answer:
    """`confirmation` from the RSVP's parts (`confirm_many` reads them without making models)."""
    language = language or "en"
    key = (event.pk, shift.pk if shift else None, status, promoted, language)
    if shared is None or key not in shared:
        with translation.override(language):
            if status == Rsvp.Status.WAITLIST and event.visibility == Visibility.MEMBERS:
                head = _("%(title)s is for members. An organizer will confirm your place.")
            elif status == Rsvp.Status.WAITLIST:
                head = _("You are on the waitlist for %(title)s. We will tell you if a spot opens.")
            elif promoted:
                head = _("A spot opened: you are going to %(title)s!")
            else:
                head = _("You are going to %(title)s!")
            lines = [head % {"title": event.title}, when_text(event, shift.starts_at if shift else None)]
            if event.kind == Event.Kind.IN_PERSON:
                lines.append(event.place_line())
            elif status == Rsvp.Status.GOING and event.join_url:
                lines.append(_("Join: %(link)s") % {"link": event.join_url})
            if event.status == Status.STANDBY and event.standby_condition:
                lines.append(_("Happens only if: %(condition)s") % {"condition": event.standby_condition})
            own_link = _("Details, calendar, or cancel: %(link)s")
        if shared is not None:
            shared[key] = (lines, own_link)
    else:
        lines, own_link = shared[key]
    lines = [*lines, own_link % {"link": link}]
    return sending.Answer(group=event.group, person_id=person_id, subject=lines[0], body="\n".join(lines),
                          topic=f"event:{event.pk}:confirmation", reason="answer to the person's own RSVP")


@transaction.atomic
def confirm_many(rsvp_ids: list[int]) -> None:
    """Confirm a batch of new RSVPs at once: each says what `confirm` would (`confirmation`), and
    the batch's messages and outbox rows are written set-based (`sending.answer_people`), with one
    dispatch task for them all. Run again (a retried task), it confirms nobody twice: an RSVP whose
    person already has a confirmation from this event since the RSVP was made is left out. An RSVP
    whose confirmation cannot be written is logged and holds up no other.

    The RSVPs are read as plain rows, not models, in a fixed number of statements whatever the
    batch's size: what one confirmation costs is then its words and its two outbox rows."""
    # Locked (in id order, as every run takes them) so that a second run of the same batch waits
    # for the first to commit, then finds its confirmations and leaves those people out.
    rows = list(Rsvp.objects.select_for_update().filter(pk__in=batching.ids_in(rsvp_ids))
                .exclude(status=Rsvp.Status.CANCELLED)
                .order_by("pk").values_list("pk", "event_id", "person_id", "shift_id", "status", "key",
                                            "confirmed_at", "created_at"))
    if not rows:
        return
    languages = dict(Person.objects.filter(pk__in=batching.ids_in({row[2] for row in rows}))
                     .values_list("pk", "language"))
    events = Event.objects.select_related("group").in_bulk({row[1] for row in rows})
    shift_ids = {row[3] for row in rows if row[3] is not None}
    shifts = Shift.objects.in_bulk(shift_ids) if shift_ids else {}
    since = min(confirmed_at or created_at for *_r, confirmed_at, created_at in rows)
    told: dict[tuple[str, int], datetime] = {}
    for topic, person_id, at in Delivery.objects.filter(
            person_id__in=batching.ids_in(languages), created_at__gte=since,
            message__topic__in={f"event:{event_id}:confirmation" for event_id in events},
    ).values_list("message__topic", "person_id", "created_at"):
        told[topic, person_id] = max(at, told.get((topic, person_id), at))
    link = _link_maker()
    said: dict[int, sending.Answer] = {}
    shared: Shared = {}
    for pk, event_id, person_id, shift_id, status, key, confirmed_at, created_at in rows:
        event = events.get(event_id)
        last = told.get((f"event:{event_id}:confirmation", person_id))
        if event is None or person_id not in languages or (last is not None and last >= (confirmed_at or created_at)):
            continue
        try:
            said[pk] = _confirmation(event, shifts.get(shift_id) if shift_id else None, status=status,
                                     language=languages[person_id], person_id=person_id, link=link(key),
                                     shared=shared)
        except Exception:
            logger.exception("Confirming RSVP %s failed", pk)
    if not said:
        return
    try:
        with transaction.atomic():
            sending.answer_people(list(said.values()))
    except Exception:
        logger.exception("Confirming a batch of %s RSVPs failed; confirming them one by one", len(said))
        for rsvp_id in said:
            try:
                with transaction.atomic():
                    confirm(rsvp_id=rsvp_id)
            except Exception:
                logger.exception("Confirming RSVP %s failed", rsvp_id)


def going(event: Event, waitlist_too: bool = False) -> QuerySet[Person]:
    statuses = [Rsvp.Status.GOING, Rsvp.Status.WAITLIST] if waitlist_too else [Rsvp.Status.GOING]
    return Person.objects.filter(rsvps__event=event, rsvps__status__in=statuses)


def tell_going(event: Event, *, topic: str, body: str, waitlist_too: bool = False, urgent: bool = True,
               subject: str = "") -> int:
    """Text and email everyone going (and waiting): a change, a cancellation, a host's note."""
    people = going(event, waitlist_too)
    count = people.count()
    if count:
        reason = "a change to an event they are going to" if urgent else ""
        for channel in ("sms", "email"):
            sending.send_automatic(group=event.group, channel=channel, subject=subject or event.title,
                                   body=f"{body}\n{settings.BASE_URL}{event.public_url()}",
                                   topic=f"event:{event.pk}:{topic}", audience=people, urgent_reason=reason)
    return count


def schedule_reminders(event: Event) -> None:
    """Queue each reminder for its moment before the start; a reminder whose event moved or was
    cancelled by then does nothing (the move queued its own)."""
    from turnout.events.tasks import send_reminder

    now = timezone.now()
    for minutes in event.reminders or []:
        at = event.starts_at - timedelta(minutes=int(minutes))
        if at > now:
            send_reminder.using(run_after=at).enqueue(event_id=event.pk, minutes=int(minutes),
                                                      starts_at=event.starts_at.isoformat())


def send_reminder(*, event_id: int, minutes: int, starts_at: str) -> int:
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.status not in (Status.SCHEDULED, Status.STANDBY):
        return 0
    if event.starts_at.isoformat() != starts_at:
        return 0  # moved since: the move queued the right reminder
    if timezone.now() > event.starts_at - timedelta(minutes=minutes / 2):
        return 0  # far too late (workers were down): "tomorrow" an hour before would mislead
    lead = _("tomorrow") if minutes >= 12 * 60 else _("soon")
    body = _("Reminder: %(title)s starts %(lead)s, %(when)s. %(where)s") % {
        "title": event.title, "lead": lead, "when": when_text(event), "where": event.place_line()}
    if event.kind == Event.Kind.VIRTUAL and event.join_url:
        body += " " + _("Join: %(link)s") % {"link": event.join_url}
    # Once per reminder and start time, however often it was queued (a status change queues again).
    topic = f"reminder-{minutes}-{int(event.starts_at.timestamp())}"
    if Message.objects.filter(topic__startswith=f"event:{event.pk}:{topic}").exists():
        return 0
    return tell_going(event, topic=topic, body=body, urgent=False,
                      subject=_("Reminder: %(title)s") % {"title": event.title})


def counts(event: Event) -> dict[str, int]:
    return Rsvp.objects.filter(event=event).aggregate(
        going=Count("pk", filter=Q(status=Rsvp.Status.GOING)),
        waitlist=Count("pk", filter=Q(status=Rsvp.Status.WAITLIST)),
        cancelled=Count("pk", filter=Q(status=Rsvp.Status.CANCELLED)),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)))


# An event's shifts and questions, and its host's tools ---------------------------------------------


@transaction.atomic
def add_shift(*, actor: User, event: Event, label: str, start: time, end: time | None = None,
              capacity: int | None = None) -> Shift:
    """A shift on the event's day, its times read on the wall clock of the event's zone."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    day = event.local_start().date()
    shift = Shift.objects.create(event=event, label=label, starts_at=wall_clock(day, start, event.time_zone),
                                 ends_at=wall_clock(day, end, event.time_zone) if end else None, capacity=capacity)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=event, group=event.group,
                 summary=f"Added the shift “{label}”")
    return shift


@transaction.atomic
def add_question(*, actor: User, event: Event, label: str, kind: str, choices: list[str],
                 required: bool = False) -> Question:
    """A question on the event's RSVP form, after the others; never one that asks for what
    Turnout does not keep (DangerousQuestion; the staff form says so first)."""
    refuse_question(label, choices=choices)
    # Locked so that two questions added at once do not take the same place in the form.
    event = Event.objects.select_for_update().get(pk=event.pk)
    question = Question.objects.create(event=event, label=label, kind=kind, choices=choices, required=required,
                                       position=event.questions.count())
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=event, group=event.group,
                 summary=f"Added the question “{label}”")
    return question


@transaction.atomic
def check_in(*, event: Event, rsvp_key: str, at: datetime) -> bool:
    """A host marks someone arrived; the first check-in's time stands. False when the RSVP is not
    this event's."""
    answer = Rsvp.objects.select_for_update().filter(event=event, key=rsvp_key).select_related("person").first()
    if answer is None:
        return False
    if answer.checked_in_at is None:
        answer.checked_in_at = at
        if answer.status != Rsvp.Status.GOING:
            answer.status = Rsvp.Status.GOING  # they came: they are in
        answer.save(update_fields=["checked_in_at", "status"])
        audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=event, group=event.group,
                     subject=answer.person, summary=f"A host checked in {answer.person.display_name}")
    return True


@transaction.atomic
def record_walk_in(*, event: Event, ref: str, at: datetime, given_name: str, family_name: str = "",
                   email: str = "", phone: str = "", sms_consent_text: str = "") -> Rsvp:
    """Someone who came without an RSVP: they become a person (with their consent recorded as
    they gave it to the host) and are checked in. The phone's `ref` makes a repeat a no-op."""
    existing = Rsvp.objects.filter(event=event, client_ref=ref).first()
    if existing is not None:
        return existing
    if not given_name:
        raise EventError(_("A walk-in needs at least a first name."))
    answer, _created = rsvp(event, RsvpRequest(given_name=given_name, family_name=family_name, email=email,
                                               phone=phone, sms_consent_text=sms_consent_text, source="host"))
    answer.client_ref, answer.checked_in_at = ref, answer.checked_in_at or at
    answer.status = Rsvp.Status.GOING
    answer.save(update_fields=["client_ref", "checked_in_at", "status"])
    audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=event, group=event.group,
                 subject=answer.person, summary=f"A host added the walk-in {answer.person.display_name}")
    return answer


@transaction.atomic
def send_host_note(*, event: Event, body: str) -> int:
    """A host's note, by text and email, to everyone going; how many were told."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status not in (Status.SCHEDULED, Status.STANDBY):
        raise EventError(_("This event is not on."))
    told = tell_going(event, topic="host-note", body=f"{event.title}: {body}", urgent=False,
                      subject=_("A note from your host: %(title)s") % {"title": event.title})
    audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=event, group=event.group,
                 summary=f"A host texted the {told} people going")
    return told


# Recurring events ---------------------------------------------------------------------------------

REPEATS = {"daily": range(7), "weekdays": range(5)}
MAX_OCCURRENCES = 366


@transaction.atomic
@transaction.atomic
def save_with_repeats(*, actor: User | None, event: Event, rule: str = "", until: date | None = None) -> list[Event]:
    """Save an event from the staff form and, when a rule is given for a new series, its later
    dates, in one transaction: all of them or none. Returns the added dates."""
    save_event(actor=actor, event=event)
    if not rule or until is None or event.series is not None:
        return []
    return repeat(actor=actor, event=event, rule=rule, until=until)


def repeat(*, actor: User | None, event: Event, rule: str, until: date) -> list[Event]:
    """Copies of `event` on each later day the rule names, up to `until`, each at the same local
    wall-clock time in the event's zone (so 12:00 stays 12:00 across a daylight-saving switch).
    Rules: "daily", "weekdays" (Monday to Friday), "weekly". Returns the new occurrences."""
    local = event.local_start()
    length = event.ends_at - event.starts_at if event.ends_at else None
    series = event.series or uuid.uuid4()
    label = {"daily": "every day", "weekdays": "every weekday", "weekly": f"every {local:%A}"}[rule]
    event.series, event.repeat_rule = series, f"{label} until {until:%Y-%m-%d}"
    event.save(update_fields=["series", "repeat_rule"])
    made: list[Event] = []
    day = local.date()
    while len(made) < MAX_OCCURRENCES:
        day += timedelta(days=7 if rule == "weekly" else 1)
        if day > until:
            break
        if rule in REPEATS and day.weekday() not in REPEATS[rule]:
            continue
        copy = Event(group=event.group, campaign=event.campaign, title=event.title, description=event.description,
                     kind=event.kind, venue=event.venue, address=event.address, locality=event.locality,
                     region=event.region, postal_code=event.postal_code, latitude=event.latitude,
                     longitude=event.longitude, time_zone=event.time_zone, join_url=event.join_url,
                     capacity=event.capacity, visibility=event.visibility, status=event.status,
                     standby_condition=event.standby_condition, reminders=event.reminders, series=series,
                     repeat_rule=event.repeat_rule, created_by=event.created_by,
                     starts_at=wall_clock(day, local.time(), event.time_zone))
        copy.ends_at = copy.starts_at + length if length else None
        copy.save()
        made.append(copy)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=event, group=event.group,
                 summary=f"Repeated the event {event.repeat_rule}: {len(made)} more occurrences")
    for occurrence in made:
        transaction.on_commit(lambda occurrence=occurrence: schedule_reminders(occurrence))  # type: ignore[misc]
    return made


def occurrences(event: Event, limit: int = 8) -> QuerySet[Event]:
    """The series' other upcoming dates."""
    if event.series is None:
        return Event.objects.none()
    return (Event.objects.filter(series=event.series, starts_at__gte=timezone.now(),
                                 status__in=[Status.SCHEDULED, Status.STANDBY]).exclude(pk=event.pk)[:limit])


# Campaigns ---------------------------------------------------------------------------------------


def _check_campaign_times(start: time | None, end: time | None) -> None:
    if start is not None and end is not None and end <= start:
        raise EventError(_("The end time must come after the start time."))


@transaction.atomic
def create_campaign(*, actor: User, group: Group, fields: dict[str, Any]) -> EventCampaign:
    """Start a distributed action in `group`: its title, its one local time at every site, its status.
    EventError when its end time is not after its start time."""
    _check_campaign_times(fields.get("local_start"), fields.get("local_end"))
    return records.create(EventCampaign, actor=actor, fields=fields, summary="Created the campaign",
                          group=group, created_by=actor)


@transaction.atomic
def update_campaign(*, actor: User, campaign: EventCampaign, fields: dict[str, Any]) -> EventCampaign:
    """Change a distributed action: its title, its local time at every site, its status.
    EventError when its end time is not after its start time."""
    _check_campaign_times(fields.get("local_start", campaign.local_start), fields.get("local_end", campaign.local_end))
    return records.update(campaign, actor=actor, fields=fields, summary="Changed the campaign")


@transaction.atomic
def add_site(*, actor: User | None, campaign: EventCampaign, event: Event) -> Event:
    """A site of a distributed action: at the campaign's local time in the site's own zone, named
    after the campaign and its city unless it has a title. EventError for an unknown ZIP."""
    event.campaign, event.group = campaign, event.group if event.group_id else campaign.group
    if campaign.status == Status.STANDBY and event.status == Status.SCHEDULED:
        event.status, event.standby_condition = Status.STANDBY, campaign.standby_condition
    place_event(event)
    event.title = event.title or f"{campaign.title} — {event.locality}, {event.region}"
    event.description = event.description or campaign.description
    if campaign.local_date and campaign.local_start:
        event.starts_at = wall_clock(campaign.local_date, campaign.local_start, event.time_zone)
        event.ends_at = (wall_clock(campaign.local_date, campaign.local_end, event.time_zone)
                         if campaign.local_end else None)
    return save_event(actor=actor, event=event)


def open_sites(campaign: EventCampaign) -> QuerySet[Event]:
    """The campaign's sites people may find and join."""
    return campaign.events.filter(status__in=[Status.SCHEDULED, Status.STANDBY], awaiting_approval=False) \
        .exclude(visibility="members")


def campaign_rsvp(campaign: EventCampaign, request: RsvpRequest, miles: float = 100) -> tuple[Rsvp, bool]:
    """RSVP to the campaign: the nearest open site to the person's ZIP."""
    found = nearest(open_sites(campaign), request.postal_code, miles)
    if not found:
        raise EventError(_("There is no site within %(miles)s miles yet. Could you host one?") % {"miles": int(miles)})
    return rsvp(found[0][0], request)


@transaction.atomic
def propose_site(campaign: EventCampaign, request: RsvpRequest, *, venue: str, address: str, site_zip: str,
                 capacity: int | None) -> Event:
    """A volunteer offers to host: the site waits for an organizer's approval, unless the
    volunteer is one of the campaign's trusted hosts, whose sites go live at once."""
    if not (campaign.local_date and campaign.local_start):
        raise EventError(_("This campaign does not take offers to host yet."))
    email, phone = contacts(request.email, request.phone)
    person = sign_up(campaign.group, request, email, phone, f"Offered to host: {campaign.title}")
    trusted = campaign.trusted_hosts.filter(pk=person.pk).exists()
    event = add_site(actor=None, campaign=campaign, event=Event(
        group=campaign.group, venue=venue, address=address, postal_code=site_zip, capacity=capacity,
        status=Status.DRAFT, awaiting_approval=not trusted))
    event.hosts.add(person)
    if trusted:
        approve_site(actor=None, event=event)
    return event


@transaction.atomic
def approve_site(*, actor: User | None, event: Event, trust_hosts: bool = False) -> Event:
    """Publish a proposed site (on standby if its campaign is) and send its hosts their host link."""
    campaign = event.campaign
    event.awaiting_approval = False
    if event.status == Status.DRAFT:
        event.status = Status.STANDBY if campaign and campaign.status == Status.STANDBY else Status.SCHEDULED
        if campaign and campaign.status == Status.STANDBY:
            event.standby_condition = campaign.standby_condition
    save_event(actor=actor, event=event, notify=False)
    hosts = list(event.hosts.all())
    if trust_hosts and campaign is not None:
        campaign.trusted_hosts.add(*hosts)
    for host in hosts:
        _welcome_host(event, host)
    return event


@transaction.atomic
def add_host(*, actor: User, event: Event, given_name: str, email: str = "", phone: str = "") -> Person:
    """Make someone a host of the event (found or added by email or phone) and send them their link."""
    email, phone = contacts(email, phone)
    if not email and not phone:
        raise EventError(_("Give the host's email address or mobile number."))
    person, _created = signup_person(actor=actor, group=event.group, fields={"given_name": given_name},
                                     emails=[ContactChoice(email)] if email else [],
                                     phones=[ContactChoice(phone, kind="mobile")] if phone else [],
                                     source=ConsentEvent.Source.STAFF, source_detail=f"Host of {event.title}"[:200],
                                     membership=Membership.Status.SUPPORTER)
    event.hosts.add(person)
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=event, group=event.group,
                 subject=person, summary=f"Made {person.display_name} a host and sent them the host link")
    _welcome_host(event, person)
    return person


def _welcome_host(event: Event, host: Person) -> None:
    with translation.override(host.language or "en"):
        body = "\n".join([
            _("You are hosting %(title)s, %(when)s.") % {"title": event.title, "when": when_text(event)},
            _("Your roster and check-in page (keep it to yourself): %(link)s")
            % {"link": settings.BASE_URL + reverse("event_host", args=[event.host_key])},
            _("The public page to share: %(link)s") % {"link": settings.BASE_URL + event.public_url()}])
        subject = _("You are hosting %(title)s") % {"title": event.title}
    audience = Person.objects.filter(pk=host.pk)
    for channel in ("email", "sms"):
        sending.send_automatic(group=event.group, channel=channel, subject=subject, body=body,
                               topic=f"event:{event.pk}:host", audience=audience,
                               urgent_reason="answer to the host's own offer")


def nearest(events: QuerySet[Event], postal_code: str, miles: float | None = None) -> list[tuple[Event, float]]:
    """Events by distance from a ZIP (nearest first), within `miles` when given."""
    place = geo.lookup_zip(postal_code)
    if place is None:
        raise EventError(_("We do not know the ZIP code “%(zip)s”.") % {"zip": postal_code})
    located = events.filter(latitude__isnull=False, longitude__isnull=False)
    if miles:
        south, north, west, east = geo.bounding_box(place.latitude, place.longitude, miles)  # lat, lat, lon, lon
        located = located.filter(latitude__range=(south, north), longitude__range=(west, east))
    ranked = [(e, geo.distance_miles(place.latitude, place.longitude, e.latitude, e.longitude))  # type: ignore[arg-type]
              for e in located]
    return sorted(((e, d) for e, d in ranked if miles is None or d <= miles), key=lambda pair: pair[1])


def public_events(group: Group | None = None) -> QuerySet[Event]:
    """What anyone may find: public, upcoming, live or on standby."""
    found = Event.objects.filter(visibility="public", status__in=[Status.SCHEDULED, Status.STANDBY],
                                 awaiting_approval=False,
                                 starts_at__gte=timezone.now() - timedelta(hours=3))
    return found.filter(group=group) if group else found
