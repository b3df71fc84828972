"""An event's attendees as an audience for texts and texting campaigns (`messaging.audience.Source`)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Role, User
from turnout.events.models import Event, Rsvp
from turnout.messaging import audience


def _events(user: User) -> list[tuple[str, str]]:
    chosen = Event.objects.visible_to(user, Role.ORGANIZER).order_by("-starts_at")[:audience.MAX_CHOICES]
    return [(str(event.public_id),
             f"{event.title} · {formats.date_format(timezone.localtime(event.starts_at), 'SHORT_DATE_FORMAT')}")
            for event in chosen]


def _going(user: User, public_id: str) -> Q | None:
    event = Event.objects.visible_to(user, Role.ORGANIZER).filter(public_id=public_id).first()
    if event is None:
        return None
    return Q(Exists(Rsvp.objects.filter(person=OuterRef("pk"), event=event, status=Rsvp.Status.GOING)))


audience.register(audience.Source(key="event", label=_("Going to an event"), choices=_events, people=_going))
