"""The outbox (Delivery), the messages it sends, and what comes back (inbound texts)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, User
from turnout.core.models import BaseModel
from turnout.people.models import Person


class Channel(models.TextChoices):
    SMS = "sms", _("text message")
    EMAIL = "email", _("email")


class Message(BaseModel):
    """One text or email written once and sent to many people."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    body_es = models.TextField(_("message in Spanish"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # The console's people filters (tag, list, group, status, ZIP and miles…), re-run at send time.
    audience = models.JSONField(default=dict, blank=True)
    ignore_quiet_hours = models.BooleanField(default=False)
    # The sender numbers it may go out from (a texting campaign's); empty: the organization's pool.
    senders = models.JSONField(default=list, blank=True)
    override_reason = models.CharField(max_length=300, blank=True)
    # What sent it, when not an organizer's blast: "event:<id>:confirmation", "event:<id>:reminder"…
    topic = models.CharField(max_length=80, blank=True, db_index=True)
    # Where the message points (a texting campaign's event): {event_link} and {share_link} fill from it.
    link = models.CharField(max_length=300, blank=True, db_default="")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Once the message is long finished its outbox rows are removed (retention: messaging.retention);
    # what they counted stays here, so the message's page and the API still give its figures.
    outbox_summary = models.JSONField(default=dict, blank=True)
    outbox_removed_at = models.DateTimeField(null=True, blank=True)

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # What is still sending under a topic (texting's dispatch looks for its texters' messages
            # every second): only those rows, not every reply ever sent.
            models.Index(fields=["topic"], name="message_sending_topic", condition=models.Q(status="sending")),
        ]

    def __str__(self) -> str:
        return self.subject or self.body[:40]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("messaging:detail", args=[self.public_id])


class Delivery(models.Model):
    """One message to one person on one channel: the unit of idempotency, status and audit."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("not sent (no consent or opted out)")

    # Provider callbacks arrive twice and out of order: a status only moves forward.
    RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3, "suppressed": 3}

    # Sent to providers as Turnout's reference; never looked up, so not indexed (an index of
    # random UUIDs is the costliest part of making 100,000 deliveries).
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # A send writes 100,000 rows for one message in one statement, under the message's lock: the
    # database does not check each row's message again (a fifth of the write), nor keep an index
    # of it beside `one_delivery`, which starts with it. Deleting a message deletes its
    # deliveries through Django, as every delete here does.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries",
                                db_index=False, db_constraint=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    address = models.CharField(max_length=254)
    # The number, short code or messaging service it went out from: the person's next text
    # comes from the same one.
    sender = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before this moment: quiet hours in the recipient's zone, or a retry's backoff. A queued
    # row with this in the future is what the progress page counts as deferred.
    not_before = models.DateTimeField(null=True, blank=True)
    # A worker's claim; a claim whose lease ran out belongs to a worker that died.
    claimed_by = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When this attempt was handed to the provider: written, a few rows at a time, just before the
    # provider is called and cleared with its result. A claimed row without it never left Turnout,
    # so a dead worker's claim is queued again safely; one with it may have gone out.
    handed_at = models.DateTimeField(null=True, blank=True)
    # Sent again after a worker died holding it: the provider may have had it already.
    possible_duplicate = models.BooleanField(default=False)
    segments = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "person", "channel"], name="one_delivery")]
        indexes = [
            models.Index(fields=["message", "status"], name="delivery_progress"),
            # Status callbacks find a delivery by the provider's id; rows not yet sent have none.
            models.Index(fields=["provider_id"], name="delivery_provider_id", condition=~models.Q(provider_id="")),
            models.Index(fields=["address"], name="delivery_address", condition=models.Q(sent_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address}: {self.status}"


class SenderClock(models.Model):
    """When a sender may next send, shared by every worker: each batch books its senders' time here."""

    sender = models.CharField(max_length=40, unique=True)
    free_at = models.FloatField(default=0.0)  # seconds since the epoch
    # A sender with a daily cap: how many texts it has been booked for on `day` (the organization's zone).
    day = models.DateField(null=True, blank=True)
    sent_today = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.sender} free at {self.free_at:.1f}"


class InboundMessage(models.Model):
    """A text someone sent us, stored before anything is done with it."""

    class Keyword(models.TextChoices):
        NONE = "", _("reply")
        STOP = "stop", _("opt-out")
        START = "start", _("opt-in")
        HELP = "help", _("help")

    provider_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    from_number = models.CharField(max_length=20)
    to_number = models.CharField(max_length=20, blank=True)
    body = models.TextField(blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound")
    keyword = models.CharField(max_length=5, choices=Keyword.choices, blank=True)
    handled = models.BooleanField(default=False)
    # Stored, not yet offered to the apps that act on replies (see `services.offer_waiting`).
    waiting = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["id"], condition=models.Q(waiting=True), name="inbound_waiting")]

    def __str__(self) -> str:
        return f"{self.from_number}: {self.body[:40]}"


class UnreadableWebhook(models.Model):
    """A provider callback Turnout could not parse, kept for an operator to inspect."""

    source = models.CharField(max_length=40)
    body = models.TextField()
    reason = models.CharField(max_length=300)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class OptOutList(BaseModel):
    """Numbers staff uploaded to opt out, for the whole organization, and what the upload changed,
    so that an upload made in error can be undone."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="opt_out_lists")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    numbers = models.PositiveIntegerField(default=0)  # valid numbers in the file, each once
    on_records = models.PositiveIntegerField(default=0)  # of those, held by a record
    stopped = models.PositiveIntegerField(default=0)  # records that had consent and were opted out
    refused = models.JSONField(default=list, blank=True)  # [[line, reason]] of lines not read
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class OptOutListEntry(models.Model):
    """One change an upload made: a record that had consent and was opted out (its ledger entry),
    or a number held by no record, put on the suppression list (its digest, never the number)."""

    upload = models.ForeignKey(OptOutList, on_delete=models.CASCADE, related_name="entries")
    event = models.ForeignKey("people.ConsentEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, blank=True, db_index=True)
    added = models.BooleanField(default=False)  # the digest was put on the list by this upload

    def __str__(self) -> str:
        return f"{self.upload}: {self.event_id or 'suppressed'}"
