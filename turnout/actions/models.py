"""Public actions beyond events and pledges: sign-up forms and their submissions, petitions and
signatures, resolutions endorsed by other organizations, working groups. (The personal share
links that credit whoever brought someone in are turnout.sharing's; the resource centers that
gather these with events and pledges are turnout.hubs'.)"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, User
from turnout.core.kept import KeptPages
from turnout.core.models import BaseModel, Intake
from turnout.people.models import Person


class Form(BaseModel):
    """A sign-up form: the standard person fields, custom questions, tags on submit, a thank-you
    page and an autoresponse."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="forms")
    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(_("title in Spanish"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    description_es = models.TextField(_("description in Spanish"), blank=True, help_text=_("Markdown."))
    ask_phone = models.BooleanField(_("ask for a mobile number"), default=True)
    ask_postal_code = models.BooleanField(_("ask for a ZIP code"), default=True)
    tags = models.CharField(_("tags added on submit"), max_length=300, blank=True,
                            help_text=_("Separated by commas."))
    thank_you = models.TextField(_("thank-you message"), blank=True, help_text=_("Markdown."))
    thank_you_es = models.TextField(_("thank-you message in Spanish"), blank=True, help_text=_("Markdown."))
    redirect_url = models.URLField(_("after submitting, go to"), blank=True,
                                   help_text=_("Leave empty to show the thank-you page."))
    autoresponse_subject = models.CharField(_("autoresponse subject"), max_length=200, blank=True)
    autoresponse_body = models.TextField(_("autoresponse"), blank=True,
                                         help_text=_("Sent by email (and by text with consent). Empty: none."))
    autoresponse_body_es = models.TextField(_("autoresponse in Spanish"), blank=True)
    is_open = models.BooleanField(_("taking submissions"), default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        KEPT_FORMS.forget(self.public_id)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        KEPT_FORMS.forget(self.public_id)
        return super().delete(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("actions:form", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_form", args=[self.public_id])

    def tag_names(self) -> list[str]:
        return [name.strip() for name in self.tags.split(",") if name.strip()]


class FormQuestion(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        CHOICE = "choice", _("one choice")
        MULTIPLE = "multiple", _("several choices")
        YES_NO = "yes_no", _("yes / no")
        DATE = "date", _("date")

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(_("question"), max_length=300)
    label_es = models.CharField(_("question in Spanish"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("One per line."))
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        touch_form(self.form_id)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        deleted = super().delete(*args, **kwargs)
        touch_form(self.form_id)
        return deleted

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


def touch_form(form_id: int) -> None:
    """Mark a form changed when its questions change: each web process builds the form's fields
    once per version of the form (`forms.submission_form`)."""
    Form.objects.filter(pk=form_id).update(updated_at=timezone.now())
    for public_id in Form.objects.filter(pk=form_id).values_list("public_id", flat=True):
        KEPT_FORMS.forget(public_id)


class Submission(BaseModel):
    """One person's answers to a form. Answers are stored as the plain text they typed."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="submissions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="submissions")
    answers = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, default="form")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["form", "person", "created_at"])]

    def __str__(self) -> str:
        return f"{self.person} → {self.form}"


class Petition(BaseModel):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="petitions")
    title = models.CharField(_("title"), max_length=200)
    petition_text = models.TextField(_("petition text"), help_text=_("Markdown."))
    targets = models.TextField(_("targets"), blank=True, help_text=_("Who it is addressed to, one per line."))
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
        KEPT_PETITIONS.forget(self.public_id)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        KEPT_PETITIONS.forget(self.public_id)
        return super().delete(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("actions:petition", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_petition", args=[self.public_id])

    def target_list(self) -> list[str]:
        return [line.strip() for line in self.targets.splitlines() if line.strip()]


class PetitionSignature(BaseModel):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="petition_signatures")
    comment = models.TextField(blank=True)
    show_name = models.BooleanField(default=False)  # their first name and city on the public page
    city = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=20, default="form")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["petition", "person"], name="one_signature_per_petition")]
        # The petition page's latest signers who chose to be shown (`services.public_signers`): read
        # from the newest end, not sorted from every signature of a petition on each view.
        indexes = [models.Index(fields=["petition", "-created_at"], condition=models.Q(show_name=True),
                                name="petition_shown_signers")]

    def __str__(self) -> str:
        return f"{self.person} signed {self.petition}"


class ActionIntake(Intake):
    """A form submission or a petition signature as it arrived from the public page, answered at
    once and settled by a worker (`services.settle_waiting`) through the act's one rule."""

    class Kind(models.TextChoices):
        FORM = "form", _("form")
        PETITION = "petition", _("petition")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    petition = models.ForeignKey(Petition, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["outcome", "id"], name="action_intake_waiting")]

    def __str__(self) -> str:
        return f"{self.kind} intake {self.pk}: {self.outcome or 'waiting'}"


class Resolution(BaseModel):
    """A resolution a body passed, open for other organizations to endorse."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="resolutions")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), help_text=_("Markdown."))
    passed_by = models.CharField(_("passed by"), max_length=200)
    passed_on = models.DateField(_("date passed"), null=True, blank=True)
    vote = models.CharField(_("the vote"), max_length=100, blank=True, help_text=_("e.g. “unanimous” or “41-3”."))
    document = models.FileField(_("document"), upload_to="resolutions/", blank=True)
    is_open = models.BooleanField(_("taking endorsements"), default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("actions:resolution", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_resolution", args=[self.public_id])


class Endorsement(BaseModel):
    """An organization (not a person) endorsing a resolution; public once staff approve it."""

    class Kind(models.TextChoices):
        LOCAL = "local", _("Union local")
        COUNCIL = "council", _("Labor council")
        UNION = "union", _("International or national union")
        WORKER_CENTER = "worker_center", _("Worker center")
        COMMUNITY = "community", _("Community organization")
        FAITH = "faith", _("Faith organization")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("declined")

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="endorsements")
    organization = models.CharField(_("organization"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    members_represented = models.PositiveIntegerField(_("members represented"), default=0)
    passed_on = models.DateField(_("date passed"), null=True, blank=True)
    document = models.FileField(_("your resolution (PDF)"), upload_to="endorsements/", blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=10, blank=True)
    city = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.organization


class WorkingGroup(BaseModel):
    """A working group people can join from a public page; its coordinator sees who joined."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="working_groups")
    name = models.CharField(_("name"), max_length=200)
    name_es = models.CharField(_("name in Spanish"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    description_es = models.TextField(_("description in Spanish"), blank=True)
    coordinator = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="coordinated_working_groups", verbose_name=_("coordinator"))
    is_open = models.BooleanField(_("taking sign-ups"), default=True)

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("actions:working_group", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_working_group", args=[self.public_id])


class WorkingGroupMember(models.Model):
    working_group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="working_groups")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["working_group", "person"], name="one_membership_per_wg")]

    def __str__(self) -> str:
        return f"{self.person} in {self.working_group}"


# The forms and petitions public submissions are sent to, kept in each web process (core.kept).
KEPT_FORMS: KeptPages[Form] = KeptPages()
KEPT_PETITIONS: KeptPages[Petition] = KeptPages()
# A petition's count as the answers to its signatures tell it ("so far": the person's own is not
# in it yet either way), read once in a few seconds; a signature made in this process forgets it.
PETITION_COUNTS: KeptPages[int] = KeptPages()
