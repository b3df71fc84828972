"""People, their contact points, the consent ledger, tags, memberships and imports."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, Role, User
from turnout.core import geo
from turnout.core.dangerous import Refused
from turnout.core.models import AppendOnlyError, BaseModel
from turnout.core.sealing import SealedTextField


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: Any, role: str = Role.VIEWER) -> PersonQuerySet:
        """People with a membership in a group the user can see (the only read path)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        groups = Group.objects.visible_to(user, role)
        return self.filter(
            Exists(Membership.objects.filter(person=OuterRef("pk"), group__in=groups))
        )

    def in_group(self, group: Group) -> PersonQuerySet:
        """Members of this group or any group below it."""
        return self.filter(
            Exists(
                Membership.objects.filter(
                    person=OuterRef("pk"), group__path__startswith=group.path
                )
            )
        )

    def same_human_as(self, person: Person) -> PersonQuerySet:
        """Other records holding one of this person's emails or numbers: one human, known to several
        groups. Chain it after `visible_to`, so only records the reader may see are shown."""
        return self.exclude(pk=person.pk).filter(
            Q(Exists(EmailAddress.objects.filter(person=OuterRef("pk"), address__in=person.emails.values("address"))))
            | Q(Exists(PhoneNumber.objects.filter(person=OuterRef("pk"), number__in=person.phones.values("number")))))

    def tagged(self, tags: models.QuerySet[Tag]) -> PersonQuerySet:
        """People with any of these tags: pass tags already narrowed to the reader's groups,
        as `Tag.objects.visible_to(user).named(name)`, never a name alone."""
        return self.filter(Exists(Tagging.objects.filter(person=OuterRef("pk"), tag__in=tags)))

    def with_membership_status(self, status: str, groups: models.QuerySet[Group]) -> PersonQuerySet:
        """People whose membership in one of `groups` (the reader's, or the one filtered on) has
        this status: what another group records of a shared person is not theirs to filter by."""
        return self.filter(
            Exists(Membership.objects.filter(person=OuterRef("pk"), status=status, group__in=groups))
        )

    def near(self, latitude: float, longitude: float, *, miles: float) -> PersonQuerySet:
        """People within `miles` of a point, exact distance, evaluated in the database.

        The bounding box uses the (latitude, longitude) index; the spherical law of
        cosines then drops the box's corners.
        """
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(latitude, longitude, miles)
        return (
            self.filter(
                latitude__gte=min_lat,
                latitude__lte=max_lat,
                longitude__gte=min_lon,
                longitude__lte=max_lon,
            )
            .alias(distance=geo.distance_expression(latitude, longitude))
            .filter(distance__lte=miles)
        )

    def search(self, text: str) -> PersonQuerySet:
        """Match a name, an email or a phone number."""
        text = text.strip()
        if not text:
            return self
        condition = Q()
        if "@" in text:
            condition |= Q(Exists(EmailAddress.objects.filter(person=OuterRef("pk"), address__icontains=text.lower())))
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 4:
            condition |= Q(Exists(PhoneNumber.objects.filter(person=OuterRef("pk"), number__contains=digits)))
        words = text.split()
        name = Q()
        for word in words:
            name &= (
                Q(given_name__icontains=word)
                | Q(family_name__icontains=word)
                | Q(preferred_name__icontains=word)
            )
        return self.filter(condition | name)


class Person(BaseModel):
    """A member, worker or supporter. People never log in; staff act on their records."""

    given_name = models.CharField(_("first name"), max_length=100, blank=True)
    family_name = models.CharField(_("last name"), max_length=100, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    language = models.CharField(_("preferred language"), max_length=16, blank=True, default="en")
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    locality = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("state"), max_length=50, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="US")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="person_point"),
            models.Index(fields=["family_name", "given_name"], name="person_name"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("people:detail", args=[self.public_id])

    @property
    def audit_subject(self) -> Person:
        """Audit entries about this record are sealed with its key (turnout.core.audit)."""
        return self

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        name = f"{first} {self.family_name}".strip()
        if name:
            return name
        email = self.emails.first()
        return email.address if email else str(_("(no name)"))

    def set_postal_code(self, value: str) -> bool:
        """Store a ZIP and the point and zone it implies; False when the ZIP is unknown."""
        value = (value or "").strip()
        if not value:
            self.postal_code, self.latitude, self.longitude = "", None, None
            return True
        if self.country and self.country != "US":
            self.postal_code = value
            return True
        place = geo.lookup_zip(value)
        if place is None:
            return False
        self.postal_code = place.zip_code
        self.latitude, self.longitude, self.time_zone = place.latitude, place.longitude, place.time_zone
        self.locality = self.locality or place.city
        self.region = self.region or place.state
        return True


class Subscription(models.TextChoices):
    SUBSCRIBED = "subscribed", _("subscribed")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    NO_CONSENT = "none", _("no consent recorded")
    BOUNCING = "bouncing", _("bouncing")


class EmailAddress(models.Model):
    """An email address on one person's record. Each group keeps its own records, so the same
    address may sit on several people, one per group that knows it (never twice on one)."""

    # The unique (person, address) index serves lookups by person; no second index.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="emails", db_index=False)
    address = models.EmailField(max_length=254, db_index=True)
    is_primary = models.BooleanField(default=False)
    # Derived from the consent ledger by record_consent(); kept here so "who can be
    # emailed" is an indexed filter, not a scan of the ledger.
    status = models.CharField(max_length=20, choices=Subscription.choices, default=Subscription.NO_CONSENT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "address"], name="one_email_per_person")]

    def __str__(self) -> str:
        return self.address


class PhoneNumber(models.Model):
    """A phone number in E.164 form on one person's record; like an email address, the same
    number may sit on several groups' records of one human."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("mobile")
        LANDLINE = "landline", _("landline")
        VOIP = "voip", _("VoIP")
        UNKNOWN = "unknown", _("unknown")

    # The unique (person, number) index serves lookups by person; no second index.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones", db_index=False)
    number = models.CharField(max_length=20, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UNKNOWN)
    is_primary = models.BooleanField(default=False)
    sms_status = models.CharField(max_length=20, choices=Subscription.choices, default=Subscription.NO_CONSENT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "number"], name="one_phone_per_person")]

    def __str__(self) -> str:
        return self.number


class ConsentEvent(models.Model):
    """One opt-in or opt-out, as it happened. The ledger is never rewritten."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("text message")

    class Action(models.TextChoices):
        OPT_IN = "opt_in", _("opted in")
        OPT_OUT = "opt_out", _("opted out")

    class Source(models.TextChoices):
        FORM = "form", _("form")
        IMPORT = "import", _("import")
        API = "api", _("API")
        KEYWORD = "keyword", _("reply keyword")
        STAFF = "staff", _("staff")
        PROVIDER = "provider", _("carrier or email provider")
        # Asked of a volunteer texter in a conversation (their Opt out button).
        TEXTING = "texting", _("in a texting conversation")
        # A contact's result: a wrong number, or someone who must not be contacted again.
        RESULT = "result", _("a contact's result")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=254)
    action = models.CharField(max_length=10, choices=Action.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    source_detail = models.CharField(max_length=200, blank=True)
    consent_text = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.address} {self.action} {self.occurred_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Merges move events to the surviving person; nothing else may change one.
        if self.pk is not None and set(kwargs.get("update_fields") or ()) != {"person"}:
            raise AppendOnlyError("Consent events cannot be changed.")
        super().save(*args, **kwargs)


class SuppressionKey(models.Model):
    """The key the suppression list is hashed with: random, made on the first entry, and stored
    only sealed with Turnout's keys. Rotating those keys seals it again (`rotate_keys`) without
    changing it: the hashes cannot be recomputed, since the addresses they stand for are gone."""

    # One key for the whole list: two erasures making the first one at once cannot make two.
    slot = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    key = SealedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "suppression key"


class Suppression(models.Model):
    """An address that had opted out when the last records holding it were erased, kept only as
    an HMAC of the normalized address under `SuppressionKey` (`people.suppression`): a new record
    of it starts opted out, as it would beside a live record that opted out. Like an opt-out, it
    holds for every group; it names no group, and nothing in it says whose it was."""

    digest = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10, choices=ConsentEvent.Channel.choices)
    opted_out_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"suppressed {self.channel} address"


class TagQuerySet(GroupOwnedQuerySet["Tag"]):
    def named(self, name: str) -> TagQuerySet:
        """Tags with this name in any letter case (the people filter's match)."""
        return self.filter(name__iexact=name.strip())


class Tag(models.Model):
    """A label a group puts on people. Each group has its own tags: a name in one group says
    nothing about another group's tag of the same name, and neither sees the other's."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=100)
    public_id = models.UUIDField(unique=True, editable=False, default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="one_tag_name_per_group")]

    def __str__(self) -> str:
        return self.name


class Tagging(models.Model):
    public_id = models.UUIDField(unique=True, editable=False, default=uuid.uuid4)
    # The unique (person, tag) index serves lookups by person; no second index.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="taggings", db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="taggings")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="one_tagging")]

    def __str__(self) -> str:
        return f"{self.tag} on {self.person_id}"


class Membership(models.Model):
    """A person's standing in one group: a member of the union, or a supporter the group
    reached through a public form, or another standing staff recorded."""

    class Status(models.TextChoices):
        MEMBER = "member", _("member")
        SUPPORTER = "supporter", _("supporter")
        NON_MEMBER = "non_member", _("non-member")
        PROSPECT = "prospect", _("prospect")
        FORMER = "former", _("former member")

    # The unique (person, group) index serves lookups by person; no second index.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.MEMBER)
    member_number = models.CharField(_("member number"), max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "group"], name="one_membership")]
        indexes = [models.Index(fields=["group", "person"], name="membership_group")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.group_id}: {self.status}"


class PersonList(BaseModel):
    """A saved, fixed set of people in a group: a call list, a walk list, a target list."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="lists")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ListItem(models.Model):
    public_id = models.UUIDField(unique=True, editable=False, default=uuid.uuid4)
    person_list = models.ForeignKey(PersonList, on_delete=models.CASCADE, related_name="items")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="list_items")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person_list", "person"], name="one_list_item")]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.person_list_id}"


class ImportJob(BaseModel):
    """A CSV upload being turned into people, with progress that survives a reload."""

    class Status(models.TextChoices):
        # Uploaded, nothing imported: staff check how each column will be read, then start it.
        PREVIEW = "preview", _("waiting for its columns to be checked")
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("importing")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="imports")
    tag_name = models.CharField(max_length=100, blank=True)
    # What the people in the file are to the group, where a row's own status column is empty.
    membership = models.CharField(max_length=12, choices=Membership.Status.choices, default=Membership.Status.MEMBER)
    sms_consent_text = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    original_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField(default=0)
    processed_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_seen = models.IntegerField(default=0)
    rows_created = models.IntegerField(default=0)
    rows_updated = models.IntegerField(default=0)
    rows_failed = models.IntegerField(default=0)
    # Rows imported without an email or phone that could not be used (they had the other).
    rows_warned = models.IntegerField(default=0)
    consent_kept_withdrawn = models.IntegerField(default=0)
    # The columns left out of the file, never stored, as [{"name": header, "kind": core.dangerous code}].
    refused_columns = models.JSONField(default=list, blank=True)
    # How each column of the kept file is read, as staff chose in the preview (importer.SKIP, a
    # field's name, or importer.CUSTOM + a name); empty: by the headers.
    columns = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    # The first rows with problems, for the page, as [row, column, reason, kept]; the full report
    # (those rows as they came) is a CSV file beside the upload.
    error_sample = models.JSONField(default=list, blank=True)
    error_report_path = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the uploaded file and its error report were deleted (retention: people.retention); the
    # job's counts stay.
    files_removed_at = models.DateTimeField(null=True, blank=True)

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("people:import_detail", args=[self.public_id])

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.size_bytes:
            return 0
        return min(99, int(100 * self.processed_bytes / self.size_bytes))

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    def refusals(self) -> list[Refused]:
        """The columns left out, each with why, in the reader's language."""
        return [Refused(entry["name"], entry["kind"]) for entry in self.refused_columns]


class ResultCode(models.Model):
    """How a contact attempt ended, one set for texts, calls and doors: Turnout's own (no group:
    talked, not home, wrong number, do not contact…) and those a group adds. A code's `effect`
    holds across every channel, as an opt-out does (`messaging.results`)."""

    class Effect(models.TextChoices):
        NONE = "", _("none")
        WRONG_NUMBER = "wrong_number", _("the number is not theirs: no more texts or calls to it")
        DO_NOT_CONTACT = "do_not_contact", _("no more texts, calls or emails to them")

    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="result_codes")
    key = models.SlugField(max_length=40)
    label = models.CharField(_("result"), max_length=100)
    effect = models.CharField(max_length=20, choices=Effect.choices, blank=True, default="")

    class Meta:
        ordering = ["group_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "key"], condition=Q(group__isnull=False),
                                    name="one_result_code_key_per_group"),
            models.UniqueConstraint(fields=["key"], condition=Q(group__isnull=True), name="one_built_in_result_code"),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """Turnout's own codes in the reader's language; a group's as it wrote them."""
        return str(BUILT_IN_RESULTS.get(self.key, self.label)) if self.group_id is None else self.label


# Turnout's own result codes: (key, label, effect). Their rows are made by migration, and again
# where missing (`messaging.results.built_in`); the labels are translated where shown.
BUILT_IN_CODES = [
    ("talked", "Talked", ""), ("not_home", "Not home", ""), ("left_message", "Left a message", ""),
    ("wrong_number", "Wrong number", "wrong_number"), ("refused", "Refused", ""), ("moved", "Moved", ""),
    ("deceased", "Deceased", "do_not_contact"), ("do_not_contact", "Do not contact", "do_not_contact"),
]
BUILT_IN_RESULTS = {
    "talked": _("Talked"), "not_home": _("Not home"), "left_message": _("Left a message"),
    "wrong_number": _("Wrong number"), "refused": _("Refused"), "moved": _("Moved"), "deceased": _("Deceased"),
    "do_not_contact": _("Do not contact"),
}


class ContactResult(models.Model):
    """One contact attempt's result on a person's record: by which channel, from where (a texting
    campaign), by whom (a texter's or staff member's name), when."""

    class Channel(models.TextChoices):
        SMS = "sms", _("text message")
        CALL = "call", _("call")
        DOOR = "door", _("door")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_results")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    code = models.ForeignKey(ResultCode, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    source = models.CharField(max_length=80, blank=True)  # "texting:<campaign id>"
    source_label = models.CharField(max_length=200, blank=True)  # the campaign's title, for the record's page
    by = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["person", "-at"], name="contact_result_person")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.code}"
