"""Rapid mobilization: networks of members ready to show up, activations and their answers,
pledges, and standby plans whose trigger makes everything live at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, User
from turnout.core.kept import KeptPages
from turnout.core.models import BaseModel, Intake
from turnout.events.models import Event, EventCampaign
from turnout.messaging.models import InboundMessage, Message
from turnout.people.models import Person

SKILLS = [
    ("marshal", _("Marshal")),
    ("medic", _("Medic")),
    ("legal_observer", _("Legal observer")),
    ("interpreter", _("Interpreter")),
    ("driver", _("Driver")),
    ("translator", _("Translator")),
]
AVAILABILITY = [
    ("weekday_day", _("Weekdays, daytime")),
    ("weekday_evening", _("Weekday evenings")),
    ("weekend", _("Weekends")),
    ("short_notice", _("On short notice")),
]
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("zh", _("Chinese")),
    ("vi", _("Vietnamese")),
    ("tl", _("Tagalog")),
    ("ko", _("Korean")),
    ("ar", _("Arabic")),
    ("ht", _("Haitian Creole")),
]


def packed(values: list[str]) -> str:
    """A set of choices as one column, ",a,b,", so "has b" is a plain substring match on every database."""
    return "," + ",".join(sorted(set(values))) + "," if values else ""


def unpacked(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


class Network(BaseModel):
    """A group's rapid mobilization network: members who agreed to be called on at short notice."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="networks")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown, shown on the join page."))
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("mobilization:network", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_network", args=[self.public_id])


class Member(models.Model):
    """One person in one network, with what the network needs to know to call on them."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="networks_joined")
    travel_miles = models.PositiveSmallIntegerField(_("how far they will travel (miles)"), default=10)
    availability = models.CharField(max_length=200, blank=True)  # packed AVAILABILITY keys
    skills = models.CharField(max_length=200, blank=True)  # packed SKILLS keys
    languages = models.CharField(max_length=100, blank=True)  # packed LANGUAGES keys
    # A volunteer (host role) who looks after this member: their phone tree.
    captain = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="captained")
    source = models.CharField(max_length=20, default="form")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["network", "person"], name="one_membership_per_network")]

    def __str__(self) -> str:
        return f"{self.person} in {self.network}"

    def skill_labels(self) -> list[str]:
        return [str(label) for key, label in SKILLS if key in unpacked(self.skills)]

    def availability_labels(self) -> list[str]:
        return [str(label) for key, label in AVAILABILITY if key in unpacked(self.availability)]

    def language_labels(self) -> list[str]:
        return [str(label) for key, label in LANGUAGES if key in unpacked(self.languages)]


class Activation(BaseModel):
    """A call to a network: a text and/or email, answered Y or N, counted live."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")

    class Channels(models.TextChoices):
        SMS = "sms", _("Text message")
        EMAIL = "email", _("Email")
        BOTH = "both", _("Text and email")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="activations")
    title = models.CharField(_("title"), max_length=200, help_text=_("For the board and the email subject."))
    body = models.TextField(_("message"))
    body_es = models.TextField(_("message in Spanish"), blank=True)
    channels = models.CharField(_("send by"), max_length=5, choices=Channels.choices, default=Channels.SMS)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="activations",
                              verbose_name=_("linked event"))
    followup = models.TextField(_("details for everyone who says yes"), blank=True)
    followup_es = models.TextField(_("details for everyone who says yes, in Spanish"), blank=True)
    # The audience: the whole network, or members within `miles` of the action's ZIP (and within
    # their own travel radius) who have any of the chosen availability, skills and languages.
    postal_code = models.CharField(_("action ZIP code"), max_length=10, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    miles = models.PositiveSmallIntegerField(_("within (miles)"), null=True, blank=True)
    availability = models.CharField(max_length=200, blank=True)
    skills = models.CharField(max_length=200, blank=True)
    languages = models.CharField(max_length=100, blank=True)
    tag = models.CharField(_("tag"), max_length=100, blank=True)
    is_drill = models.BooleanField(_("drill"), default=False)
    sample_size = models.PositiveIntegerField(_("drill sample size"), null=True, blank=True)
    ignore_quiet_hours = models.BooleanField(default=False)
    override_reason = models.CharField(max_length=300, blank=True)
    # A second wave when too few say yes in time: a wider radius, and/or captains asked to call
    # their own people who have not answered.
    escalate_below = models.PositiveIntegerField(_("second wave if fewer yeses than"), null=True, blank=True)
    escalate_after = models.PositiveSmallIntegerField(_("after (minutes)"), null=True, blank=True)
    escalate_miles = models.PositiveSmallIntegerField(_("second wave within (miles)"), null=True, blank=True)
    escalate_captains = models.BooleanField(_("ask captains to call their people who have not answered"),
                                            default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    # False between sending to the nearest people and writing everyone else's outbox (see
    # `services.activate`); a worker finishes an activation left so.
    outbox_complete = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    messages = models.ManyToManyField(Message, blank=True, related_name="activations")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("mobilization:activation", args=[self.public_id])

    @property
    def samples(self) -> bool:
        """A drill sent to a random sample of `sample_size` members, drawn in one go at sending."""
        return bool(self.is_drill and self.sample_size)


class Recipient(models.Model):
    """Someone an activation went to, with their distance from the action and the wave that reached them."""

    # Written 100,000 at a time, under the activation's lock, from a join of its members with
    # their people: the database does not check each row's activation or person again (each
    # check reads and locks a row: for 100,000 people, most of a second) nor index the activation
    # apart from the unique pair. Deleting either deletes these rows through Django, as every
    # delete here does; the row names nobody by itself (an id and a distance), and each person's
    # outbox row, which holds their number, keeps its checked link to them.
    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="recipients",
                                   db_index=False, db_constraint=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="activations_received",
                               db_constraint=False)
    miles = models.FloatField(null=True, blank=True)
    wave = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activation", "person"], name="one_recipient_per_activation")]

    def __str__(self) -> str:
        return f"{self.person} (wave {self.wave})"


class Response(models.Model):
    """A recipient's answer; a later answer replaces an earlier one."""

    class Answer(models.TextChoices):
        YES = "yes", _("yes")
        NO = "no", _("no")

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="activation_responses")
    answer = models.CharField(max_length=3, choices=Answer.choices)
    inbound = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activation", "person"], name="one_answer_per_activation")]

    def __str__(self) -> str:
        return f"{self.person}: {self.answer}"


class Pledge(BaseModel):
    """A public pledge ("if the results are not respected, we will …"), signed with consent."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="pledges")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("pledge text"), help_text=_("Markdown."))
    goal = models.PositiveIntegerField(_("goal"), null=True, blank=True)
    is_open = models.BooleanField(_("taking signatures"), default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        KEPT_PLEDGES.forget(self.public_id)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        KEPT_PLEDGES.forget(self.public_id)
        return super().delete(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("mobilization:pledge", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_pledge", args=[self.public_id])


class Signature(models.Model):
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="signatures")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="pledge_signatures")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pledge", "person"], name="one_signature_per_pledge")]

    def __str__(self) -> str:
        return f"{self.person} signed {self.pledge}"


class PledgeIntake(Intake):
    """A pledge signature as it arrived from the public page, answered at once and settled by a
    worker (`services.settle_pledges`) through the pledge's one rule."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["outcome", "id"], name="pledge_intake_waiting")]

    def __str__(self) -> str:
        return f"pledge intake {self.pk}: {self.outcome or 'waiting'}"


class Plan(BaseModel):
    """What happens when a trigger is pulled: standby events go live and everyone waiting is told."""

    class Status(models.TextChoices):
        ARMED = "armed", _("armed")
        AWAITING_APPROVAL = "approval", _("waiting for a second admin")
        TRIGGERED = "triggered", _("triggered")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(_("name"), max_length=200)
    condition = models.CharField(_("the trigger"), max_length=300,
                                 help_text=_("What must happen, e.g. “the results are not respected”."))
    events = models.ManyToManyField(Event, blank=True, related_name="plans", verbose_name=_("standby events"))
    campaigns = models.ManyToManyField(EventCampaign, blank=True, related_name="plans",
                                       verbose_name=_("standby campaigns"))
    pledges = models.ManyToManyField(Pledge, blank=True, related_name="plans", verbose_name=_("tell pledge signers"))
    networks = models.ManyToManyField(Network, blank=True, related_name="plans", verbose_name=_("tell network members"))
    tell_rsvps = models.BooleanField(_("tell everyone signed up for the events"), default=True)
    subject = models.CharField(_("email subject"), max_length=200)
    body = models.TextField(_("message"))
    body_es = models.TextField(_("message in Spanish"), blank=True)
    class FarAway(models.TextChoices):
        NOTHING = "nothing", _("tell them nothing")
        NEAREST = "nearest", _("tell them the nearest site")

    # One day of action: every site starts on the same calendar date, `start_date` or
    # `start_days_after` days after the trigger's date in the plan's own zone, at
    # `start_local_time` on each site's own clock.
    time_zone = models.CharField(_("the plan's time zone"), max_length=64, blank=True,
                                 help_text=_("Where “days after the trigger” are counted. Empty: Turnout's own "
                                             "time zone."))
    start_date = models.DateField(_("sites start on"), null=True, blank=True)
    start_days_after = models.PositiveSmallIntegerField(_("sites start … days after the trigger"), null=True,
                                                        blank=True)
    start_local_time = models.TimeField(_("at local time"), null=True, blank=True)
    # Each person is told one site: the one they signed up for, else the nearest within `site_miles`.
    site_miles = models.PositiveSmallIntegerField(_("a person's site is within (miles)"), default=50)
    far_away = models.CharField(_("people with no site that close"), max_length=10, choices=FarAway.choices,
                                default=FarAway.NOTHING)
    # Empty: tell everyone at once; else at this local time in each person's zone (the same day, or
    # `notify_days_after` days later; a moment already past means at once).
    notify_local_time = models.TimeField(_("tell people at their local time"), null=True, blank=True)
    notify_days_after = models.PositiveSmallIntegerField(default=0)
    requires_two_people = models.BooleanField(_("needs a second admin to approve"), default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ARMED)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    triggered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    triggered_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    messages = models.ManyToManyField(Message, blank=True, related_name="plans")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("mobilization:plan", args=[self.public_id])

    @property
    def zone(self) -> str:
        """The zone the plan's days are counted in."""
        return self.time_zone or str(settings.TIME_ZONE)


# The pledges public signatures are sent to, kept in each web process (core.kept).
KEPT_PLEDGES: KeptPages[Pledge] = KeptPages()
# A pledge's count as the answers to its signatures tell it ("so far": the person's own is not in
# it yet either way), read once in a few seconds; a signature made in this process forgets it.
PLEDGE_COUNTS: KeptPages[int] = KeptPages()
