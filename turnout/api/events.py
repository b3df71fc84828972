"""Events, attendances and event campaigns, as Action Network's v2 API shapes them.

A `start_date` with an offset or Z is an instant; without one it is the wall-clock time at
the event's location (its ZIP's zone, or `turnout:timezone`). Responses give UTC with Z and
the event's zone as `turnout:timezone`. Attendances are one per person per event; the record
attendance helper (POST …/attendances) takes a person reference or a `person` to sign up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse

from turnout.accounts.models import Role
from turnout.accounts.permissions import has_role
from turnout.api import dates, helpers, inputs, odata
from turnout.api.hal import (
    ApiError,
    Call,
    collection,
    curies,
    get_by_public_id,
    identifiers,
    json_response,
    link,
    stamp,
)
from turnout.api.lookup import visible_people, visible_person
from turnout.api.signers import named_person
from turnout.api.views import signup_arguments
from turnout.events import services
from turnout.events.models import Event, EventCampaign, Rsvp, Status, Visibility

MAX_CAPACITY = 1_000_000  # the document's maximum; a stadium, and well inside PostgreSQL's integer
FILTERS = {"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at"),
           "start_date": odata.when("starts_at")}
OSDI_STATUS: dict[str, str] = {Status.SCHEDULED: "confirmed", Status.STANDBY: "tentative", Status.DRAFT: "tentative",
               Status.CANCELLED: "cancelled", Status.COMPLETED: "confirmed"}
ATTENDANCE_STATUS: dict[str, str] = {Rsvp.Status.GOING: "accepted", Rsvp.Status.WAITLIST: "tentative",
                     Rsvp.Status.CANCELLED: "declined"}


def _events(call: Call) -> QuerySet[Event]:
    return (Event.objects.visible_to(call.user).select_related("group", "campaign")
            .annotate(accepted=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.GOING))))


def serialize_event(event: Event, base: str) -> dict[str, Any]:
    href = f"{base}events/{event.public_id}"
    accepted = getattr(event, "accepted", None)
    return {
        "identifiers": identifiers(event),
        "origin_system": "Turnout",
        "created_date": stamp(event.created_at),
        "modified_date": stamp(event.updated_at),
        "title": event.title,
        "name": event.title,
        "description": event.description,
        "instructions": "",
        "browser_url": f"{base.split('/api/v2/')[0]}{event.public_url()}",
        "featured_image_url": "",
        "start_date": stamp(event.starts_at),
        "end_date": stamp(event.ends_at),
        "turnout:timezone": event.time_zone,
        "status": OSDI_STATUS.get(event.status, "confirmed"),
        "turnout:status": event.status,
        "turnout:standby_condition": event.standby_condition,
        "visibility": "public" if event.visibility == Visibility.PUBLIC else "private",
        "capacity": event.capacity or 0,
        "guests_can_invite_others": True,
        "reminders": [{"method": "email", "minutes": minutes} for minutes in event.reminders or []],
        "total_accepted": accepted if accepted is not None else services.counts(event)["going"],
        "location": {
            "venue": event.venue,
            "address_lines": [event.address] if event.address else [],
            "locality": event.locality, "region": event.region, "postal_code": event.postal_code, "country": "US",
            "location": {"latitude": event.latitude, "longitude": event.longitude,
                         "accuracy": "Approximate" if event.latitude is not None else None},
        },
        "_links": {
            "self": link(href),
            "osdi:attendances": link(f"{href}/attendances"),
            "osdi:record_attendance_helper": link(f"{href}/attendances"),
            **({"action_network:event_campaign": link(f"{base}event_campaigns/{event.campaign.public_id}")}
               if event.campaign_id and event.campaign else {}),
            "curies": curies(base),
        },
    }


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(400, f"turnout:timezone “{name[:60]}” is not a time zone name such as America/Chicago.") \
            from None
    return name


def _moment(value: Any, key: str, zone: str) -> datetime | None:
    """An instant from `value`: with an offset as given; without, the wall-clock time in `zone`."""
    if value in (None, ""):
        return None
    try:
        moment = dates.read(value, key, dates.Kind.DATETIME)[0]
    except dates.DateError as exc:
        raise ApiError(400, str(exc)) from None
    if moment.tzinfo is None:
        return services.wall_clock(moment.date(), moment.time(), zone)
    return moment


TEXTS = (("title", "title", 200), ("description", "description", 20000),
         ("standby_condition", "turnout:standby_condition", 300))


def _set_texts(record: Event | EventCampaign, data: dict[str, Any]) -> None:
    for field, key, limit in TEXTS:
        if key in data:
            setattr(record, field, inputs.text(data[key], key, limit))


def _apply(event: Event, data: dict[str, Any], need_start: bool = True) -> None:
    _set_texts(event, data)
    if not event.title and "name" in data:
        event.title = inputs.text(data["name"], "name", 200)
    location = data.get("location")
    if isinstance(location, dict):
        event.venue = inputs.text(location.get("venue", event.venue), "location.venue", 200)
        lines = location.get("address_lines")
        if isinstance(lines, list) and lines:
            event.address = inputs.text(lines[0], "location.address_lines", 200)
        event.locality = inputs.text(location.get("locality", event.locality), "location.locality", 100)
        event.region = inputs.text(location.get("region", event.region), "location.region", 50)
        event.postal_code = inputs.text(location.get("postal_code", event.postal_code), "location.postal_code", 20)
    if "turnout:timezone" in data:
        event.time_zone = _zone(inputs.text(data["turnout:timezone"], "turnout:timezone", 64))
    if "capacity" in data:
        try:
            capacity = int(data["capacity"] or 0)
        except (TypeError, ValueError):
            raise ApiError(400, "capacity must be a whole number (0 for no limit).") from None
        if capacity > MAX_CAPACITY:
            raise ApiError(400, f"capacity must be at most {MAX_CAPACITY} (0 for no limit).")
        event.capacity = capacity if capacity > 0 else None
    if "visibility" in data:
        event.visibility = Visibility.PUBLIC if data["visibility"] == "public" else Visibility.UNLISTED
    if "turnout:status" in data and data["turnout:status"] in Status.values:
        event.status = data["turnout:status"]
    elif data.get("status") == "cancelled":
        event.status = Status.CANCELLED
    if event.postal_code:
        try:
            services.place_event(event)
        except services.EventError as exc:
            raise ApiError(400, str(exc)) from None
    else:
        event.kind = Event.Kind.VIRTUAL
    if not event.title:
        raise ApiError(400, "An event needs a title.")
    if not event.time_zone:
        raise ApiError(400, "Give the event a location with a postal_code, or turnout:timezone.")
    if event.kind == Event.Kind.VIRTUAL and "join_url" in data:
        event.join_url = inputs.text(data["join_url"], "join_url", 500)
    starts = _moment(data.get("start_date"), "start_date", event.time_zone)
    if starts is not None:
        event.starts_at = starts
    if "end_date" in data:
        event.ends_at = _moment(data.get("end_date"), "end_date", event.time_zone)
    if event.starts_at is None and need_start:
        raise ApiError(400, "An event needs a start_date.")
    if event.ends_at is not None and event.starts_at is not None and event.ends_at <= event.starts_at:
        raise ApiError(400, "end_date must be after start_date.")


def _writable(call: Call, record: Event | EventCampaign, what: str) -> None:
    call.require_write()
    if not call.may(record.group, Role.ORGANIZER):
        raise ApiError(403, f"This token's user may read this {what} but not change it.")


def _event(call: Call, event_id: str, write: bool = False) -> Event:
    # A write answers with a fresh read (or no event at all): no RSVP count to make here.
    events = Event.objects.visible_to(call.user).select_related("group", "campaign") if write else _events(call)
    event: Event = get_by_public_id(events, event_id, "event")
    if write:
        _writable(call, event, "event")
    return event


def events_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_events(call), key="osdi:events", path="events",
                      serialize=lambda e: serialize_event(e, call.base), filters=FILTERS)


def _create(call: Call, campaign: EventCampaign | None = None) -> HttpResponse:
    call.require_write()
    group = campaign.group if campaign else call.group
    if not has_role(call.user, group, Role.ORGANIZER):
        raise ApiError(403, "This token's user may not add events to this group.")
    event = Event(group=group, created_by=call.user, time_zone="")
    if campaign is not None and campaign.local_date and campaign.local_start and "start_date" not in call.body:
        _apply(event, call.body, need_start=False)  # the campaign's local time, in this site's zone
        services.add_site(actor=call.user, campaign=campaign, event=event)
    else:
        _apply(event, call.body)
        event.campaign = campaign
        _save(call, event)
    return json_response(serialize_event(_events(call).get(pk=event.pk), call.base), status=201)


def event_create(call: Call) -> HttpResponse:
    return _create(call)


def event_detail(call: Call, event_id: str) -> dict[str, Any]:
    return serialize_event(_event(call, event_id), call.base)


def _save(call: Call, event: Event) -> None:
    try:
        services.save_event(actor=call.user, event=event)
    except services.EventError as exc:
        raise ApiError(400, str(exc)) from None


def event_update(call: Call, event_id: str) -> dict[str, Any]:
    event = _event(call, event_id, write=True)
    was = event.status
    _apply(event, call.body)
    cancelling = event.status == Status.CANCELLED and was != Status.CANCELLED
    if cancelling:
        event.status = was  # the cancellation itself goes through cancel_event, which tells everyone
    _save(call, event)
    if cancelling:
        services.cancel_event(actor=call.user, event=event)
    return serialize_event(_events(call).get(pk=event.pk), call.base)


# Attendances ------------------------------------------------------------------------------------


def serialize_attendance(answer: Rsvp, base: str) -> dict[str, Any]:
    event_href = f"{base}events/{answer.event.public_id}"
    person_href = f"{base}people/{answer.person.public_id}"
    return {
        "identifiers": identifiers(answer),
        "origin_system": "Turnout",
        "created_date": stamp(answer.created_at),
        "modified_date": stamp(answer.updated_at),
        "status": ATTENDANCE_STATUS.get(answer.status, "accepted"),
        "turnout:checked_in_date": stamp(answer.checked_in_at),
        "action_network:person_id": str(answer.person.public_id),
        "action_network:event_id": str(answer.event.public_id),
        "action_network:referrer_data": {"source": answer.source, "referrer": "", "website": ""},
        "_links": {
            "self": link(f"{event_href}/attendances/{answer.public_id}"),
            "osdi:event": link(event_href),
            "osdi:person": link(person_href),
            "curies": curies(base),
        },
    }


def _attendances(call: Call, event: Event) -> QuerySet[Rsvp]:
    return Rsvp.objects.filter(event=event, person__in=visible_people(call)).select_related("event", "person")


def attendances_list(call: Call, event_id: str) -> dict[str, Any]:
    event = _event(call, event_id)
    return collection(call, queryset=_attendances(call, event), key="osdi:attendances",
                      path=f"events/{event.public_id}/attendances",
                      serialize=lambda a: serialize_attendance(a, call.base),
                      filters={"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")})


def attendance_create(call: Call, event_id: str) -> HttpResponse:
    """The record attendance helper: one attendance per person per event (a repeat returns it)."""
    event = helpers.page(call, Event, event_id, "event")
    _writable(call, event, "event")
    arguments = signup_arguments(call) if isinstance(call.body.get("person"), dict) else None
    declined = call.body.get("status") == "declined"
    arrival = helpers.arrival(call, helpers.ATTENDANCE, event, arguments) if not declined else None
    if arrival is not None:
        taken = helpers.take(arrival)
        if isinstance(taken, Rsvp):
            return json_response(serialize_attendance(taken, call.base), status=201)
    event = _event(call, event_id, write=True)  # the one-by-one way reads the event afresh
    person = named_person(call, arguments)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                answer, created = services.take_seat(event, person, source="api", notify=False)
            break
        except IntegrityError:
            if attempt == 2:
                raise ApiError(409, "This attendance was recorded by another request at the same moment.") from None
        except services.EventError as exc:
            raise ApiError(400, str(exc)) from None
    if declined:
        services.cancel_rsvp(answer)
        answer.refresh_from_db()
    answer = Rsvp.objects.select_related("event", "person").get(pk=answer.pk)
    return json_response(serialize_attendance(answer, call.base), status=201 if created else 200)


def _attendance(call: Call, event: Event, attendance_id: str) -> Rsvp:
    return get_by_public_id(_attendances(call, event), attendance_id, "attendance")  # type: ignore[no-any-return]


def attendance_detail(call: Call, event_id: str, attendance_id: str) -> dict[str, Any]:
    event = _event(call, event_id)
    return serialize_attendance(_attendance(call, event, attendance_id), call.base)


def attendance_update(call: Call, event_id: str, attendance_id: str) -> dict[str, Any]:
    event = _event(call, event_id, write=True)
    answer = _attendance(call, event, attendance_id)
    status = call.body.get("status")
    if status == "declined":
        services.cancel_rsvp(answer)
    elif status in ("accepted", "tentative") and answer.status == Rsvp.Status.CANCELLED:
        with transaction.atomic():
            services.take_seat(event, answer.person, source="api", notify=False)
    elif status not in (None, "accepted", "tentative", "needs action"):
        raise ApiError(400, "status must be accepted, declined or tentative.")
    answer = Rsvp.objects.select_related("event", "person").get(pk=answer.pk)
    return serialize_attendance(answer, call.base)


def person_attendances(call: Call, person_id: str) -> dict[str, Any]:
    person = visible_person(call, person_id)
    answers = Rsvp.objects.filter(person=person, event__in=Event.objects.visible_to(call.user)) \
        .select_related("event", "person")
    return collection(call, queryset=answers, key="osdi:attendances", path=f"people/{person.public_id}/attendances",
                      serialize=lambda a: serialize_attendance(a, call.base),
                      filters={"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")})


# Event campaigns --------------------------------------------------------------------------------


def _campaigns(call: Call) -> QuerySet[EventCampaign]:
    return (EventCampaign.objects.visible_to(call.user).select_related("group")
            .annotate(total_events=Count("events", distinct=True),
                      total_rsvps=Count("events__rsvps", filter=Q(events__rsvps__status=Rsvp.Status.GOING))))


def serialize_campaign(campaign: EventCampaign, base: str) -> dict[str, Any]:
    href = f"{base}event_campaigns/{campaign.public_id}"
    site = base.split("/api/v2/")[0]
    return {
        "identifiers": identifiers(campaign),
        "origin_system": "Turnout",
        "created_date": stamp(campaign.created_at),
        "modified_date": stamp(campaign.updated_at),
        "title": campaign.title,
        "description": campaign.description,
        "host_pitch": "",
        "host_instructions": "",
        "browser_url": f"{site}{campaign.public_url()}",
        "host_url": f"{site}{campaign.public_url()}",
        "total_events": getattr(campaign, "total_events", 0),
        "total_rsvps": getattr(campaign, "total_rsvps", 0),
        "turnout:local_date": campaign.local_date.isoformat() if campaign.local_date else None,
        "turnout:local_start_time": campaign.local_start.strftime("%H:%M") if campaign.local_start else None,
        "turnout:status": campaign.status,
        "_links": {"self": link(href), "osdi:events": link(f"{href}/events"), "curies": curies(base)},
    }


def _campaign_fields(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """A campaign body's fields, by the model's names."""
    fields: dict[str, Any] = {field: inputs.text(data[key], key, limit) for field, key, limit in TEXTS if key in data}
    if "turnout:local_date" in data:
        try:
            fields["local_date"] = dates.read_day(data["turnout:local_date"], "turnout:local_date")
        except dates.DateError as exc:
            raise ApiError(400, str(exc)) from None
    if "turnout:local_start_time" in data:
        text = inputs.text(data["turnout:local_start_time"], "turnout:local_start_time", 8)
        try:
            fields["local_start"] = datetime.strptime(text[:5], "%H:%M").time()  # noqa: DTZ007 (a wall-clock time)
        except ValueError:
            raise ApiError(400, "turnout:local_start_time must be a time such as 17:00.") from None
    if data.get("turnout:status") in (Status.SCHEDULED, Status.STANDBY, Status.DRAFT):
        fields["status"] = data["turnout:status"]
    if (creating or "title" in fields) and not fields.get("title"):
        raise ApiError(400, "An event campaign needs a title.")
    return fields


def _campaign(call: Call, campaign_id: str, write: bool = False) -> EventCampaign:
    campaign: EventCampaign = get_by_public_id(_campaigns(call), campaign_id, "event campaign")
    if write:
        _writable(call, campaign, "campaign")
    return campaign


def campaigns_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_campaigns(call), key="action_network:event_campaigns", path="event_campaigns",
                      serialize=lambda c: serialize_campaign(c, call.base),
                      filters={"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")})


def campaign_create(call: Call) -> HttpResponse:
    call.require_write()
    if not has_role(call.user, call.group, Role.ORGANIZER):
        raise ApiError(403, "This token's user may not add campaigns to this group.")
    try:
        campaign = services.create_campaign(actor=call.user, group=call.group,
                                            fields=_campaign_fields(call.body, creating=True))
    except services.EventError as exc:
        raise ApiError(400, str(exc)) from None
    return json_response(serialize_campaign(_campaigns(call).get(pk=campaign.pk), call.base), status=201)


def campaign_detail(call: Call, campaign_id: str) -> dict[str, Any]:
    return serialize_campaign(_campaign(call, campaign_id), call.base)


def campaign_update(call: Call, campaign_id: str) -> dict[str, Any]:
    campaign = _campaign(call, campaign_id, write=True)
    try:
        services.update_campaign(actor=call.user, campaign=campaign,
                                 fields=_campaign_fields(call.body, creating=False))
    except services.EventError as exc:
        raise ApiError(400, str(exc)) from None
    return serialize_campaign(_campaigns(call).get(pk=campaign.pk), call.base)


def campaign_events(call: Call, campaign_id: str) -> dict[str, Any]:
    campaign = _campaign(call, campaign_id)
    return collection(call, queryset=_events(call).filter(campaign=campaign), key="osdi:events",
                      path=f"event_campaigns/{campaign.public_id}/events",
                      serialize=lambda e: serialize_event(e, call.base), filters=FILTERS)


def campaign_event_create(call: Call, campaign_id: str) -> HttpResponse:
    """A site of the campaign: at its local time in the site's own zone unless a start_date is given."""
    return _create(call, _campaign(call, campaign_id, write=True))
