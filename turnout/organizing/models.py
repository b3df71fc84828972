"""Organizing the unorganized: requests from workers who want a union, the volunteer organizers
and mentors matched to them, employers and workplaces mapped into departments, shifts and jobs,
campaigns of one shop or hundreds, each unit's roster with support assessments, the organizing
committee, one-on-one conversations, and union authorization cards.

What a worker tells an organizer can cost them their job, so what would name them to an employer
who seized the database is sealed (turnout.core.sealing): free text (what is going on at work,
assessment and conversation notes), who asked to organize which employer, every support score, and
every card's signature record and signer. What stays plaintext is what the counts need: a card's
unit, date, kind and whether it counts; a unit's tallies of scores. Nothing here holds immigration
status or anything like it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, User
from turnout.core.models import BaseModel
from turnout.core.sealing import (
    BlindIndexField,
    SealedCharField,
    SealedIntegerField,
    SealedTextField,
    blind_index,
    blind_indexes,
)
from turnout.people.models import Person


class Industry(models.TextChoices):
    RETAIL = "retail", _("Retail")
    FOOD = "food", _("Restaurants and coffee")
    WAREHOUSE = "warehouse", _("Warehouse and delivery")
    HEALTH = "health", _("Health care")
    EDUCATION = "education", _("Education")
    TECH = "tech", _("Tech and office")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    CONSTRUCTION = "construction", _("Construction")
    HOSPITALITY = "hospitality", _("Hotels and hospitality")
    TRANSPORT = "transport", _("Transport")
    NONPROFIT = "nonprofit", _("Nonprofit")
    PUBLIC = "public", _("Public sector")
    OTHER = "other", _("Other")


class Volunteer(BaseModel):
    """A staff user who organizes shops, mentors those who do, or both, for one group; what the
    matching looks at: industries, languages, where they are, and how many cases they can carry."""

    class Kind(models.TextChoices):
        ORGANIZER = "organizer", _("Volunteer organizer")
        MENTOR = "mentor", _("Mentor")
        BOTH = "both", _("Organizer and mentor")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="organizing_volunteers")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organizing_profiles")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ORGANIZER)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=10, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(_("cases they can carry"), default=3)
    active = models.BooleanField(_("taking new cases"), default=True)

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["user__first_name", "user__email"]
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_volunteer_profile_per_group")]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def mentors(self) -> bool:
        return self.kind in (self.Kind.MENTOR, self.Kind.BOTH)

    @property
    def organizes(self) -> bool:
        return self.kind in (self.Kind.ORGANIZER, self.Kind.BOTH)


class Request(BaseModel):
    """A worker asking for help to organize their workplace, from the public form to a campaign."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        TRAINING = "training", _("In training")
        COMMITTEE = "committee", _("Committee formed")
        CAMPAIGN = "campaign", _("Campaign")
        CLOSED = "closed", _("Closed")

    class Size(models.TextChoices):
        TINY = "1-9", _("Fewer than 10")
        SMALL = "10-49", _("10 to 49")
        MEDIUM = "50-199", _("50 to 199")
        LARGE = "200+", _("200 or more")
        UNKNOWN = "", _("Not sure")

    class Reach(models.TextChoices):
        TEXT = "text", _("Text message")
        CALL = "call", _("Phone call")
        EMAIL = "email", _("Email")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="organizing_requests")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="organizing_requests")
    # Sealed: a seized copy must not say who asked to organize which employer. The ZIP, industry
    # and size stay plaintext: triage, matching and the queue's filters read them.
    employer_name = SealedCharField(_("employer"), max_length=200)
    workplace_address = SealedCharField(_("workplace address"), max_length=300, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=10)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices)
    size = models.CharField(_("workers at this workplace"), max_length=10, choices=Size.choices, blank=True)
    story = SealedTextField(_("what is going on"), null=True, blank=True)
    reach_by = models.CharField(_("best way to reach you"), max_length=10, choices=Reach.choices,
                                default=Reach.TEXT)
    best_time = models.CharField(_("best time to reach you"), max_length=100, blank=True)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW,
                              db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    closed_reason = models.CharField(_("reason closed"), max_length=200, blank=True)
    organizer = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="organizing")
    mentor = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="mentoring")
    assigned_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    unit = models.ForeignKey("Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.employer_name} ({self.postal_code})"

    def get_absolute_url(self) -> str:
        return reverse("organizing:request", args=[self.public_id])

    @property
    def audit_subject(self) -> Person:
        return self.person

    @property
    def waiting(self) -> timedelta:
        return timezone.now() - self.created_at

    @property
    def open(self) -> bool:
        return self.status != self.Status.CLOSED


class Employer(BaseModel):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="employers")
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, default=Industry.OTHER)

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="one_employer_name_per_group")]

    def __str__(self) -> str:
        return self.name


class Workplace(BaseModel):
    """One shop, store, warehouse or office of an employer, placed on the map by its ZIP code."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="workplaces")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="workplaces")
    name = models.CharField(_("name"), max_length=200, help_text=_("How people call it: “Pike & 5th store”."))
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=10)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, default=Industry.OTHER)
    unit_description = models.TextField(_("bargaining unit"), blank=True,
                                        help_text=_("Who is in the unit: “all baristas and shift supervisors”."))

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["employer__name", "name"]

    def __str__(self) -> str:
        return f"{self.employer.name} — {self.name}"


class Area(models.Model):
    """A department, shift or job title inside one workplace: the map a roster is sorted by."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Department")
        SHIFT = "shift", _("Shift")
        JOB = "job", _("Job title")

    workplace = models.ForeignKey(Workplace, on_delete=models.CASCADE, related_name="areas")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["workplace", "kind", "name"], name="one_area_name")]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact")
    COMMITTEE = "committee", _("Committee")
    MAJORITY = "majority", _("Majority")
    PETITION_FILED = "petition_filed", _("Petition filed")
    ELECTION = "election", _("Election")
    WON = "won", _("Won")
    FIRST_CONTRACT = "first_contract", _("First contract")
    LOST = "lost", _("Lost")
    PAUSED = "paused", _("Paused")


DEFAULT_CARD_TEXT = (
    "I, the undersigned employee, authorize the union to represent me in collective bargaining "
    "with my employer over wages, hours and working conditions. I understand this card may be "
    "used to seek recognition or an election."
)

# The same card in Spanish, word for word: a worker who signs in Spanish signs what the English
# signer signs, wages, hours, working conditions, recognition and election included.
DEFAULT_CARD_TEXT_ES = (
    "Yo, el empleado abajo firmante, autorizo al sindicato a representarme en la negociación "
    "colectiva con mi empleador sobre salarios, horarios y condiciones de trabajo. Entiendo que "
    "esta tarjeta puede usarse para solicitar el reconocimiento o una elección."
)


class Campaign(BaseModel):
    """A drive at one workplace or across many (a chain); each workplace is a unit with its own
    stage, roster and card count."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="organizing_campaigns")
    name = models.CharField(_("name"), max_length=200)
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="campaigns")
    union_name = models.CharField(_("union named on the card"), max_length=200)
    card_text = models.TextField(_("card text (English)"), default=DEFAULT_CARD_TEXT)
    card_text_es = models.TextField(_("card text (Spanish)"), blank=True, default=DEFAULT_CARD_TEXT_ES,
                                    help_text=_("The same text, translated in full: Spanish signers sign this."))
    card_valid_days = models.PositiveIntegerField(
        _("cards count for (days)"), default=365,
        help_text=_("Cards older than this are flagged and no longer count toward a threshold."))
    supermajority = models.PositiveSmallIntegerField(_("supermajority line (%)"), default=70)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organizing:campaign", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_card", args=[self.public_id])

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    def card_cutoff(self) -> Any:
        """Cards signed before this no longer count."""
        return timezone.now() - timedelta(days=self.card_valid_days)


class Unit(BaseModel):
    """One workplace in a campaign: the bargaining unit whose roster, cards and stage are counted.

    Every score is sealed, so the roll-up reads the unit's tally of them instead: how many of its
    eligible workers stand at 1, 2, … 5 by their latest assessment. The services recount it from
    the decrypted roster on every write that can change it (`services.recount_unit`)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="units")
    workplace = models.ForeignKey(Workplace, on_delete=models.PROTECT, related_name="units")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.FIRST_CONTACT)
    attempt = models.PositiveSmallIntegerField(default=1)
    volunteers = models.ManyToManyField(User, blank=True, related_name="organizing_units")
    support_counts = models.JSONField(default=list, blank=True)  # [n at 1, n at 2, … n at 5], eligible only

    class Meta:
        ordering = ["workplace__name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "workplace"], name="one_unit_per_workplace")]

    def __str__(self) -> str:
        return self.workplace.name

    def get_absolute_url(self) -> str:
        return reverse("organizing:unit", args=[self.public_id])

    @property
    def assessed(self) -> int:
        return sum(self.support_counts)

    @property
    def low(self) -> int:
        """Eligible workers whose latest assessment is 1 or 2."""
        return sum(self.support_counts[:2])


class StageChange(models.Model):
    """A unit's history: every stage it reached, in which attempt (a shop may try again after a
    lost vote), when and by whom."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="history")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    attempt = models.PositiveSmallIntegerField(default=1)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} → {self.stage}"


class Worker(BaseModel):
    """A person on a unit's roster, with their latest score (sealed). Whether they signed a card is
    not on this row: a card names its signer only in sealed form (see `Card`)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="workers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="worker_roles")
    department = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shift = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    eligible = models.BooleanField(_("in the unit"), default=True,
                                   help_text=_("Counted in the unit (managers and supervisors usually are not)."))
    on_committee = models.BooleanField(_("on the organizing committee"), default=False)
    contact = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="responsible_for",
                                verbose_name=_("committee member who talks to them"))
    support = SealedIntegerField(null=True, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person__family_name", "person__given_name"]
        constraints = [models.UniqueConstraint(fields=["unit", "person"], name="one_roster_row_per_person")]
        indexes = [models.Index(fields=["unit", "eligible"], name="worker_unit_eligible")]

    def __str__(self) -> str:
        return self.person.display_name

    @property
    def card_signed_at(self) -> datetime | None:
        """When this worker signed their current card (the newest), whether or not it counts;
        read through the blind index unless `selectors.with_cards` loaded it for a whole list."""
        # No setter: Worker(card_signed_at=…) fails loudly instead of quietly recording no card.
        if not hasattr(self, "_card_signed_at"):
            self._card_signed_at = (Card.objects.of_worker(self).order_by("-signed_at")
                                    .values_list("signed_at", flat=True).first())
        return self._card_signed_at


class Assessment(models.Model):
    """Support on the 1 to 5 scale organizers use: 1 leader or strong supporter … 5 openly against.
    Every assessment is kept; the worker row carries the latest."""

    SCALE = (
        (1, _("1 — Leader / committed")),
        (2, _("2 — Supporter")),
        (3, _("3 — Undecided")),
        (4, _("4 — Leaning against")),
        (5, _("5 — Opposed")),
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="assessments")
    score = SealedIntegerField(_("support"), choices=SCALE)
    at = models.DateTimeField(default=timezone.now)
    assessor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assessor_label = models.CharField(max_length=254, blank=True)
    notes = SealedTextField(_("notes"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.worker}: {self.score}"


class Conversation(models.Model):
    """A one-on-one with a worker: how it went and what happens next."""

    class Outcome(models.TextChoices):
        SUPPORTIVE = "supportive", _("Supportive")
        UNDECIDED = "undecided", _("Undecided")
        OPPOSED = "opposed", _("Opposed")
        NOT_REACHED = "not_reached", _("Not reached")
        TALKED = "talked", _("Talked, not assessed")
        JOINED_COMMITTEE = "committee", _("Joined the committee")
        SIGNED = "signed", _("Signed a card")

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="conversations")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Who had it when that was no staff account: a canvasser walking the workplace, by their name.
    by_label = models.CharField(max_length=254, blank=True)
    # Sealed like a score: "opposed" or "signed a card" next to a name is what a score would say.
    outcome = SealedCharField(_("outcome"), max_length=12, choices=Outcome.choices)
    next_step = SealedCharField(_("next step"), max_length=300, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    followed_up = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    notes = SealedTextField(_("notes"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.worker}: {self.outcome}"


def card_scan_path(card: Card, filename: str) -> str:
    """The scan's file, named for nobody: the name a phone gave the photo may be the signer's."""
    suffix = Path(filename).suffix.lower()
    return f"organizing/cards/{card.public_id}/scan{suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ''}"


class CardQuerySet(models.QuerySet["Card"]):
    def of_worker(self, worker: Worker) -> CardQuerySet:
        """The cards this worker signed, found by the blind index of their sealed reference."""
        return self.filter(worker_index__in=blind_indexes(str(worker.public_id)))

    def of_signer(self, person: Person) -> CardQuerySet:
        """Cards this person signed that still wait for an organizer (no roster row yet)."""
        return self.filter(signer_index__in=blind_indexes(str(person.public_id)))

    def waiting(self) -> CardQuerySet:
        """Cards an organizer has yet to match to the roster: they count for nobody until then."""
        return self.filter(pending=True)


class Card(BaseModel):
    """A union authorization card: signed on the card page, or on paper and recorded with a scan.
    An e-signed card keeps exactly what the worker saw and typed, when, and from which address.

    The signature record and the signer are sealed. The card names its worker only by a sealed
    reference (the worker's public id) and its blind index, so a seized copy links no card to a
    person; the campaign's counts read the plaintext unit, date, kind and `counts`: the signer is
    in the unit and this is their current card (the newest: a second card replaces the first)."""

    class Kind(models.TextChoices):
        ELECTRONIC = "electronic", _("Signed online")
        PAPER = "paper", _("Paper card")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="cards")
    worker_ref = SealedCharField(max_length=36)
    worker_index = BlindIndexField(of="worker_ref")
    counts = models.BooleanField(default=False)
    # A card signed online by someone the roster does not hold (or holds only by a name) waits for
    # an organizer: its signer is a sealed person reference, the roster row it may be another;
    # `worker_ref` stays empty, so it counts for nobody until it is confirmed.
    pending = models.BooleanField(default=False, db_index=True)
    signer_ref = SealedCharField(max_length=36, blank=True)
    signer_index = BlindIndexField(of="signer_ref")
    candidate_ref = SealedCharField(max_length=36, blank=True)
    # The signer's own zone (their ZIP, else the workplace's): the date on the card is theirs.
    time_zone = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, default="en")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    signed_name = SealedCharField(_("signature (typed name)"), max_length=200)
    signed_at = models.DateTimeField(_("signed"), db_index=True)
    text = models.TextField(_("text signed"))
    employer_name = models.CharField(_("employer"), max_length=200)
    job_title = SealedCharField(_("job"), max_length=100, blank=True)
    email = SealedCharField(max_length=254, blank=True)
    phone = SealedCharField(max_length=30, blank=True)
    ip_address = SealedCharField(max_length=45, blank=True, null=True)
    user_agent = SealedCharField(max_length=300, blank=True)
    scan = models.FileField(_("scan of the paper card"), upload_to=card_scan_path, blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = CardQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["unit", "counts", "signed_at"], name="card_unit_counts")]

    def __str__(self) -> str:
        return f"{self.signed_name} — {self.signed_at:%Y-%m-%d}"

    @property
    def worker(self) -> Worker | None:
        """The roster row of whoever signed, opened from the sealed reference (None once erased)."""
        if not hasattr(self, "_worker"):
            self._worker = Worker.objects.filter(public_id=self.worker_ref).first() if self.worker_ref else None
        return self._worker

    @worker.setter
    def worker(self, worker: Worker) -> None:
        self._worker = worker
        self.worker_ref = str(worker.public_id)
        self.worker_index = blind_index(self.worker_ref)

    @property
    def signer(self) -> Person | None:
        """Who signed a card that waits for review (None once it is matched, or erased)."""
        return Person.objects.filter(public_id=self.signer_ref).first() if self.signer_ref else None

    @property
    def candidate(self) -> Worker | None:
        """The roster row a waiting card may be, by the name signed (an organizer decides)."""
        if not self.candidate_ref:
            return None
        return Worker.objects.filter(public_id=self.candidate_ref, unit_id=self.unit_id).select_related("person").first()

    @property
    def audit_subject(self) -> Person | None:
        worker = self.worker
        return worker.person if worker is not None else self.signer

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone or settings.TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(settings.TIME_ZONE)

    @property
    def local_signed_at(self) -> datetime:
        """When it was signed, on the signer's own clock."""
        return self.signed_at.astimezone(self.zone)

    def expired(self, campaign: Campaign | None = None) -> bool:
        campaign = campaign or self.unit.campaign
        return self.signed_at < campaign.card_cutoff()


class FormerCard(models.Model):
    """A card folded into the worker's earlier card when an organizer matched it (a second card
    updates the first): the copy link its signer was sent names it, and still opens the card it
    became. Two random ids, nothing about the worker; it goes with the card."""

    public_id = models.UUIDField(unique=True)
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="former")

    def __str__(self) -> str:
        return f"{self.public_id} → {self.card_id}"
