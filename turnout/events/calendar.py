"""Add to calendar: an .ics file (RFC 5545) with the event's start in its own time zone."""

from __future__ import annotations

from datetime import timedelta

import icalendar
from django.conf import settings
from django.utils import timezone

from turnout.events.models import Event, Rsvp, Status


def ics(event: Event, answer: Rsvp | None = None) -> bytes:
    """The calendar entry; with the person's RSVP it carries the join link and their shift."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.ORGANIZATION_NAME}//Turnout//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", f"{event.public_id}@turnout")
    entry.add("dtstamp", timezone.now())
    start = answer.shift.starts_at if answer and answer.shift else event.starts_at
    end = (answer.shift.ends_at if answer and answer.shift else event.ends_at) or start + timedelta(hours=1)
    entry.add("dtstart", start.astimezone(event.zone))
    entry.add("dtend", end.astimezone(event.zone))
    entry.add("summary", event.title)
    description = event.description
    url = settings.BASE_URL + (answer.get_absolute_url() if answer else event.public_url())
    if answer and answer.status == Rsvp.Status.GOING and event.join_url:
        description = f"Join: {event.join_url}\n\n{description}"
        entry.add("location", event.join_url if event.kind == Event.Kind.VIRTUAL else event.place_line())
    elif event.kind == Event.Kind.IN_PERSON:
        entry.add("location", event.place_line())
    entry.add("description", f"{description}\n\n{url}".strip())
    entry.add("url", url)
    entry.add("status", "CANCELLED" if event.status == Status.CANCELLED else
              "TENTATIVE" if event.status == Status.STANDBY else "CONFIRMED")
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
