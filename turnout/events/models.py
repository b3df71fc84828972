"""Events, their shifts and questions, RSVPs, and campaigns that gather many events (distributed actions)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, User
from turnout.core.kept import KeptPages
from turnout.core.models import BaseModel
from turnout.people.models import Person


def new_host_key() -> str:
    return secrets.token_urlsafe(18)


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    # Fully built, RSVPs allowed, but it happens only if its condition comes true.
    STANDBY = "standby", _("on standby")
    CANCELLED = "cancelled", _("cancelled")
    COMPLETED = "completed", _("completed")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public: listed and findable")
    UNLISTED = "unlisted", _("unlisted: only people with the link")
    MEMBERS = "members", _("members of the group only")


class EventCampaign(BaseModel):
    """A distributed action: many events under one page and one map, often at one local time."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="event_campaigns")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    # One wall-clock moment for every site ("17:00 on 4 Nov"); each site resolves it in its own zone.
    local_date = models.DateField(_("date at every site"), null=True, blank=True)
    local_start = models.TimeField(_("local start time at every site"), null=True, blank=True)
    local_end = models.TimeField(_("local end time"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    standby_condition = models.CharField(_("happens only if"), max_length=300, blank=True)
    # When a standby plan's trigger made it live: its pages say "It's on".
    went_live_at = models.DateTimeField(null=True, blank=True)
    # Hosts whose proposed sites go live without review.
    trusted_hosts = models.ManyToManyField(Person, blank=True, related_name="+")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:campaign", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_campaign", args=[self.public_id])


class Event(BaseModel):
    class Kind(models.TextChoices):
        IN_PERSON = "in_person", _("in person")
        VIRTUAL = "virtual", _("online")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="events")
    campaign = models.ForeignKey(EventCampaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="events")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    kind = models.CharField(_("where"), max_length=10, choices=Kind.choices, default=Kind.IN_PERSON)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    locality = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("state"), max_length=50, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=20, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # The event's own IANA zone: from its address, or chosen for an online event.
    time_zone = models.CharField(_("time zone"), max_length=64)
    # Shown only to people who RSVP'd, on their confirmation page and in their confirmation.
    join_url = models.URLField(_("link to join"), max_length=500, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True,
                                           help_text=_("Empty: no limit. When full, people join a waitlist."))
    visibility = models.CharField(_("who can find it"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    standby_condition = models.CharField(_("happens only if"), max_length=300, blank=True)
    # When a standby plan's trigger made it live: its page says "It's on".
    went_live_at = models.DateTimeField(null=True, blank=True)
    # Minutes before the start that reminders go out.
    reminders = models.JSONField(default=list, blank=True)
    hosts = models.ManyToManyField(Person, blank=True, related_name="hosted_events")
    # A site a volunteer proposed for a campaign, waiting for an organizer's approval.
    awaiting_approval = models.BooleanField(default=False)
    # Occurrences of a recurring event share a series id; each has its own RSVPs.
    series = models.UUIDField(null=True, blank=True, db_index=True)
    repeat_rule = models.CharField(max_length=100, blank=True)
    # The secret in the host's link to their roster and check-in page.
    host_key = models.CharField(max_length=40, default=new_host_key, unique=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["status", "visibility", "starts_at"], name="event_listing"),
            models.Index(fields=["latitude", "longitude"], name="event_point"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        POSTED.forget(self.public_id)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        POSTED.forget(self.public_id)
        return super().delete(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_event", args=[self.public_id])

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    def local_end(self) -> datetime | None:
        return self.ends_at.astimezone(self.zone) if self.ends_at else None

    def place_line(self) -> str:
        if self.kind == self.Kind.VIRTUAL:
            return str(_("Online"))
        return ", ".join(p for p in (self.venue, self.address, self.locality, self.region) if p)


# Events as read for the forms sent to them, by public id, kept a few seconds in each web process
# (see `public._posted_event`); saving the event, or one of its shifts or questions, forgets it in
# the process that saved it.
POSTED: KeptPages[Event] = KeptPages()


def touch(event_id: int) -> None:
    """Mark an event changed when its shifts or questions change: its RSVP form is read once per
    change (see `forms.form_parts`)."""
    Event.objects.filter(pk=event_id).update(updated_at=timezone.now())
    for public_id in Event.objects.filter(pk=event_id).values_list("public_id", flat=True):
        POSTED.forget(public_id)


class EventPart(models.Model):
    """A shift or a question: changing one marks its event changed."""

    event_id: int

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        touch(self.event_id)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        result = super().delete(*args, **kwargs)
        touch(self.event_id)
        return result


class Shift(EventPart):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shifts")
    label = models.CharField(_("shift"), max_length=100)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.label


class Question(EventPart):
    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        CHOICE = "choice", _("one choice")
        YES_NO = "yes_no", _("yes or no")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Rsvp(BaseModel):
    """One person's answer to one event: going, on the waitlist, or cancelled. One per person per event."""

    class Status(models.TextChoices):
        GOING = "going", _("going")
        WAITLIST = "waitlist", _("on the waitlist")
        CANCELLED = "cancelled", _("cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rsvps")
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.SET_NULL, related_name="rsvps")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GOING)
    answers = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, default="form")  # form, api, host (walk-in), campaign
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # When the last confirmation was queued: a repeated form resends it, at most every few minutes.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The id a host's phone gave a walk-in made offline: sending it twice adds them once.
    client_ref = models.CharField(max_length=64, blank=True)
    # The secret in the person's own link (their confirmation page: join link, calendar, cancel).
    key = models.CharField(max_length=40, default=new_host_key, unique=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="one_rsvp_per_person"),
            models.UniqueConstraint(fields=["event", "client_ref"], name="one_walk_in_per_ref",
                                    condition=~models.Q(client_ref="")),
        ]
        indexes = [models.Index(fields=["event", "status"], name="rsvp_event_status")]

    def __str__(self) -> str:
        return f"{self.person} → {self.event}: {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("public_rsvp", args=[self.key])


class RsvpIntake(models.Model):
    """An RSVP form as it arrived, for an event whose seat needs no deciding (no limit, not
    members-only): the person is answered at once and a worker turns the submission into a
    person and an RSVP, in order. `key` becomes the RSVP's own key, so the link the person got
    on their answer page keeps working. Once settled the form's contents are dropped."""

    class Outcome(models.TextChoices):
        PENDING = "", _("waiting")
        GOING = "going", _("signed up")
        EXISTING = "existing", _("already signed up")
        REFUSED = "refused", _("refused")
        # Settling kept failing (INTAKE_MAX_ATTEMPTS runs): the form keeps what was typed, for staff.
        FAILED = "failed", _("could not be settled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40, default=new_host_key, unique=True)
    data = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default=Outcome.PENDING)
    # Why it was refused, in the person's language; or, once failed, the last error, for staff.
    reason = models.CharField(max_length=200, blank=True)
    # Settling runs that failed on this form; the page's INSERT leaves it to the database default.
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        indexes = [models.Index(fields=["outcome", "id"], name="rsvp_intake_pending")]

    def __str__(self) -> str:
        return f"RSVP intake {self.pk} → {self.event_id}: {self.outcome or 'waiting'}"
