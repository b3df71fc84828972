"""The shared kernel: the base model every domain record uses, and the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.core.sealing import BlindIndexField, SealedTextField


class BaseModel(models.Model):
    """A UUID public id for URLs and the API, and aware UTC timestamps. Every save stamps
    `updated_at`, and code that writes a row another way stamps it too: a web process tells a
    kept copy of a page from the row as saved by it (`actions.forms` builds a form once per
    stamp; `api.helpers._as_now` takes a form or petition as kept while the row has its stamp)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "updated_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "updated_at"]
        super().save(*args, **kwargs)


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only record."""


class AuditEntry(models.Model):
    """One thing a staff member (or an operator's command) did to someone's data.

    Append-only: rows are inserted and never updated or deleted by the application.
    Targets are stored by public id, not by foreign key. An entry about a person (their record,
    card, request, tag…) keeps its summary, detail, target id and address only in `sealed`,
    encrypted with that person's SubjectKey, and names them by `subject`, an id found nowhere
    else: erasing the person destroys the key, so the trail outlives them and names nobody.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        CREATE = "create", _("created")
        CHANGE = "change", _("changed")
        DELETE = "delete", _("deleted")
        MERGE = "merge", _("merged")
        ERASE = "erase", _("erased")
        IMPORT = "import", _("imported")
        EXPORT = "export", _("exported")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed to log in")
        INVITE = "invite", _("invited")
        ROLE = "role", _("changed a role")
        TWO_FACTOR = "2fa", _("changed two-factor")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    summary = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    group = models.ForeignKey(
        "accounts.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.UUIDField(null=True, blank=True, db_index=True)
    sealed = models.TextField(blank=True)
    # What a reader sees, set by turnout.core.audit.opened().
    erased: bool
    shown_summary: str
    shown_target_id: str
    shown_detail: dict[str, Any]
    shown_ip: str | None

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit entries cannot be deleted.")

    def opened(self) -> AuditEntry:
        """This entry with what a reader sees set on it (see turnout.core.audit.opened)."""
        from turnout.core.audit import opened

        return opened([self])[0]


class SubjectKey(models.Model):
    """The key that seals what the audit log says about one person (crypto-shredding).

    `subject` is the id their audit entries carry. Whose key it is (`owner`, "person:<public id>")
    is itself sealed, and found through a keyed blind index (`owner_index`), so a copy of the
    database without Turnout's keys cannot tell which person an entry is about. Erasing the person
    deletes their keys, after which their entries cannot be opened and their subject id points at
    nothing. A merge moves the merged record's keys to the one kept. The key is sealed with
    Turnout's keys too (turnout.core.sealing)."""

    subject = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = SealedTextField()
    owner_index = BlindIndexField(of="owner")
    key = SealedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"audit key {self.subject}"


class Intake(models.Model):
    """A public form as it arrived, kept for a worker to settle through its act's one rule (the
    person answered at once, the crowd's forms settled in batches). Each app that takes forms this
    way has its own table of them; once settled, only the outcome remains."""

    class Outcome(models.TextChoices):
        PENDING = "", _("waiting")
        TAKEN = "taken", _("taken")
        EXISTING = "existing", _("already there")
        REFUSED = "refused", _("refused")
        # Settling kept failing (INTAKE_MAX_ATTEMPTS runs): the form keeps what was typed, for staff.
        FAILED = "failed", _("could not be settled")

    data = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default=Outcome.PENDING)
    # Why it was refused, in the person's language; or, once failed, the last error, for staff.
    reason = models.CharField(max_length=200, blank=True)
    # Settling runs that failed on this form; the page's INSERT leaves it to the database default.
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        abstract = True
