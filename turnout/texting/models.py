"""Peer-to-peer texting: a campaign's contacts, handed to volunteer texters a batch at a time,
each first text sent by a person's own click, and the conversations that follow."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, User
from turnout.core.models import BaseModel
from turnout.core.sealing import SealedCharField, SealedIntegerField
from turnout.messaging.models import Delivery, InboundMessage, Message
from turnout.people.models import Person


def key_hash(key: str) -> str:
    """What is stored of a secret link's key: a seized database gives no texter's or invitation's link."""
    return hashlib.sha256(key.encode()).hexdigest()


class TextingCampaign(BaseModel):
    """A texting campaign, or a phone bank (`channel` "phone"): the same audience, script, survey,
    result codes, invitation links and board; a caller holds one contact at a time and calls them."""

    class Channel(models.TextChoices):
        SMS = "sms", _("texting")
        PHONE = "phone", _("phone bank")
        DOOR = "door", _("door knocking")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        LIVE = "live", _("live")
        PAUSED = "paused", _("paused")
        FINISHED = "finished", _("finished")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="texting_campaigns")
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.SMS)
    title = models.CharField(_("title"), max_length=200)
    script = models.TextField(_("first text"))
    script_es = models.TextField(_("first text in Spanish"), blank=True)
    # The console's people filters (tag, list, group, status, ZIP and miles…), as a message's.
    audience = models.JSONField(default=dict, blank=True)
    # The numbers its texts go out from, among the organization's (TURNOUT_SMS_SENDERS), each at
    # its own pace; a contact is texted from one with their area code where the campaign has one.
    senders = models.JSONField(default=list, blank=True)
    reassign_after = models.PositiveSmallIntegerField(
        _("minutes before an unanswered conversation goes back to the pool"), default=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    contacts = models.PositiveIntegerField(default=0)
    # The time zones of the campaign's contacts: a batch is taken only from those outside quiet hours.
    zones = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    launched_at = models.DateTimeField(null=True, blank=True)
    # The event the texts invite people to: {event_link} and {share_link} lead to its page.
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A phone bank's calling hours, in each contact's own zone.
    call_from = models.PositiveSmallIntegerField(_("calls from (hour)"), default=10)
    call_until = models.PositiveSmallIntegerField(_("calls until (hour)"), default=20)
    # Calls connected through Twilio Voice: Turnout rings the caller, then the member, and neither
    # sees the other's number (`messaging.voice`).
    bridged = models.BooleanField(_("connect calls through Turnout"), default=False)

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def link(self) -> str:
        """The event's public page, for {event_link} and {share_link}; empty without an event."""
        from django.conf import settings

        return f"{settings.BASE_URL}{self.event.public_url()}" if self.event_id and self.event else ""

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("texting:detail", args=[self.public_id])

    @property
    def is_phone(self) -> bool:
        return self.channel == self.Channel.PHONE

    @property
    def is_door(self) -> bool:
        return self.channel == self.Channel.DOOR

    @property
    def volunteers_act_alone(self) -> bool:
        """Calls and doors: no texts, replies or senders."""
        return self.channel != self.Channel.SMS


class TexterInvite(BaseModel):
    """A link that lets volunteers join one campaign as texters, until it expires or is revoked."""

    campaign = models.ForeignKey(TextingCampaign, on_delete=models.CASCADE, related_name="invites")
    key_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"Invitation to {self.campaign}"

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Texter(BaseModel):
    """A volunteer texting for one campaign, through their own secret link: no staff account, and
    nothing but their own conversations."""

    campaign = models.ForeignKey(TextingCampaign, on_delete=models.CASCADE, related_name="texters")
    name = models.CharField(_("your name"), max_length=100)
    email = models.EmailField(_("email, for reply alerts"), blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    # The texter's link is derived from this and the server's SECRET_KEY (`services.texter_key`):
    # Turnout can send it again (a reply alert), and a seized database holds no usable link.
    nonce = models.CharField(max_length=32, default="")
    # When a reply last alerted the texter by email: a burst of replies sends one alert.
    alerted_at = models.DateTimeField(null=True, blank=True)
    invite = models.ForeignKey(TexterInvite, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The texter's first texts, each one delivery of this message (the script with the texter's
    # name filled): the outbox's consent, quiet hours, pacing and crash rules apply to each.
    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # A phone bank's caller: the calls they have recorded (a contact not home goes back to the pool).
    calls = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name

    @property
    def first_name(self) -> str:
        return (self.name.split() or [""])[0]


class Conversation(models.Model):
    """One contact of a campaign: waiting in the pool, held by a texter, texted, answered."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting in the pool")
        ASSIGNED = "assigned", _("to text")
        SENT = "sent", _("texted, no reply")
        REPLIED = "replied", _("needs a reply")
        ANSWERED = "answered", _("answered")
        OPTED_OUT = "opted_out", _("opted out")

    campaign = models.ForeignKey(TextingCampaign, on_delete=models.CASCADE, related_name="conversations",
                                 db_index=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="texting_conversations")
    # No index of its own: `conversation_texter` (texter, status) serves every lookup by texter, and
    # one index fewer is one write fewer for each contact a send, a claim or a turf cut writes.
    texter = models.ForeignKey(Texter, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations",
                               db_index=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    zone = models.CharField(max_length=64, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    # When the first text went out; in a phone bank, when the contact was last called.
    sent_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    # For the board's medians: the contact's first reply, and the texter's latest answer to one.
    first_reply_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # How the conversation ended (talked, wrong number…), as written on the person's record.
    # No index: a contact's result is read through its campaign; codes are never deleted one by one.
    result = models.ForeignKey("people.ResultCode", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    flagged = models.BooleanField(default=False)
    flag_reason = models.CharField(_("why it needs a look"), max_length=200, blank=True)
    # A supervisor's coaching, shown to the texter on the conversation.
    note = models.TextField(_("note to the texter"), blank=True)
    # A phone bank's calls to this contact, and when one not home may be called again.
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    # Door knocking: the turf the contact's door is in, their household (the people at one
    # address), and the door's place in the turf's walk.
    turf = models.ForeignKey("Turf", null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    household = models.CharField(max_length=250, blank=True)
    walk_order = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "person"], name="one_conversation")]
        indexes = [
            # The pool: a batch is the lowest ids still waiting, whatever the campaign's size.
            models.Index(fields=["campaign", "zone", "id"], name="conversation_pool",
                         condition=models.Q(status="waiting")),
            # Only contacts a texter or caller has: a launch and a turf cut write none of it.
            models.Index(fields=["texter", "status"], name="conversation_texter",
                         condition=models.Q(texter__isnull=False)),
            # What a batch first looks through, however large the campaign: conversations held and
            # not yet texted (given back when held too long), and replies waiting for an answer.
            models.Index(fields=["campaign", "assigned_at"], name="conversation_held",
                         condition=models.Q(status="assigned")),
            models.Index(fields=["campaign", "replied_at"], name="conversation_replied",
                         condition=models.Q(status="replied")),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.person_id} ({self.status})"


class ConversationText(models.Model):
    """A text of a conversation, either way, and for a text sent: which texter sent it."""

    class Direction(models.TextChoices):
        OUT = "out", _("sent")
        IN = "in", _("received")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="texts")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = models.TextField()
    texter = models.ForeignKey(Texter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 db_constraint=False)
    inbound = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.direction}: {self.body[:40]}"


class CannedResponse(models.Model):
    """A reply a texter sends with one choice: the answer to a question many contacts ask."""

    campaign = models.ForeignKey(TextingCampaign, on_delete=models.CASCADE, related_name="canned_responses")
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("text"))
    body_es = models.TextField(_("text in Spanish"), blank=True)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title

    def for_person(self, person: Person) -> str:
        return self.body_es if person.language == "es" and self.body_es else self.body


class SurveyQuestion(models.Model):
    """A question the texter records each contact's answer to; each answer may tag the person and
    suggest the next text (the script branches on the answer)."""

    campaign = models.ForeignKey(TextingCampaign, on_delete=models.CASCADE, related_name="questions")
    prompt = models.CharField(_("question"), max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.prompt


class SurveyChoice(models.Model):
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(_("answer"), max_length=80)
    # A tag of the campaign's group put on the person's record when this is their answer.
    tag = models.CharField(_("tag to apply"), max_length=100, blank=True)
    follow_up = models.TextField(_("next text"), blank=True)
    follow_up_es = models.TextField(_("next text in Spanish"), blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.label


class SurveyResponse(models.Model):
    """A contact's answer to a question, as their texter recorded it: one per question, the latest."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="responses")
    choice = models.ForeignKey(SurveyChoice, on_delete=models.CASCADE, related_name="responses")
    texter = models.ForeignKey(Texter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.question}: {self.choice}"


class Turf(BaseModel):
    """A door-knocking campaign's walk: households in walking order, cut on the map or by count,
    given to a canvasser or a pair. `revision` goes up at each reassignment, so results synced by a
    canvasser who no longer holds the turf are kept and flagged."""

    campaign = models.ForeignKey(TextingCampaign, on_delete=models.CASCADE, related_name="turfs")
    name = models.CharField(_("name"), max_length=100)
    # The polygon drawn on the map, [[lat, lng], …]; empty for a turf cut by count or by street.
    area = models.JSONField(default=list, blank=True)
    canvassers = models.ManyToManyField(Texter, blank=True, related_name="turfs")
    revision = models.PositiveIntegerField(default=1)
    doors = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class MergedContact(models.Model):
    """A door contact gone with a merged record (the kept record had its own in the campaign): a
    phone that downloaded it still syncs its results, to the kept record's contact (`doors.sync`)."""

    from_id = models.BigIntegerField(unique=True)  # the contact's id, as the phone knows it
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    turf = models.ForeignKey("Turf", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.from_id} → {self.conversation_id}"


class TurfDownload(models.Model):
    """A canvasser downloaded a turf: what their phone syncs from its doors later is theirs to send,
    even once the turf is given to someone else or dissolved (then kept and flagged)."""

    turf = models.ForeignKey(Turf, null=True, blank=True, on_delete=models.SET_NULL, related_name="downloads")
    texter = models.ForeignKey(Texter, on_delete=models.CASCADE, related_name="turf_downloads")
    at = models.DateTimeField(default=timezone.now)
    contacts = models.JSONField(default=list, blank=True)  # the doors' ids, as the phone has them

    class Meta:
        constraints = [models.UniqueConstraint(fields=["turf", "texter"], name="one_turf_download")]

    def __str__(self) -> str:
        return f"{self.turf_id}:{self.texter_id}"


class DoorResult(models.Model):
    """One door's result as a canvasser's phone recorded it, kept once whatever how many times the
    phone sends it (`client_id`, made on the phone); `flagged` when the turf had been reassigned."""

    client_id = models.UUIDField(unique=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="door_results")
    texter = models.ForeignKey(Texter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    code = models.ForeignKey("people.ResultCode", on_delete=models.PROTECT, related_name="+")
    choices = models.JSONField(default=list, blank=True)
    # In a walk of an organizing campaign's roster: where the worker stands (1 to 5) and what comes
    # next, sealed as the campaign's own assessments and conversations are.
    score = SealedIntegerField(null=True, blank=True)
    next_step = SealedCharField(max_length=300, blank=True, default="")
    recorded_at = models.DateTimeField()
    synced_at = models.DateTimeField(default=timezone.now)
    flagged = models.BooleanField(default=False)
    flag_reason = models.CharField(max_length=200, blank=True)
    # A flagged result the organizer chose not to write on the record: kept (a retried sync still
    # finds it by its id), never written, off the list of results to check.
    set_aside_at = models.DateTimeField(null=True, blank=True)
    # Handed to where the walk's people came from (an organizing campaign's one-on-ones), once.
    walked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "-recorded_at"], name="door_result_latest")]

    def __str__(self) -> str:
        return str(self.client_id)
