"""Staff users, the group tree and the roles that connect them."""

from __future__ import annotations

from typing import Any, ClassVar, Self, TypeVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from turnout.core.models import BaseModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Staff users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A staff member who logs in to the console. Members and workers have no account."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("language"), max_length=8, default="en", choices=[("en", "English"), ("es", "Español")]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Role(models.TextChoices):
    """What a staff member may do in a group and every group below it, lowest first."""

    VIEWER = "viewer", _("Viewer")
    HOST = "host", _("Host")
    ORGANIZER = "organizer", _("Organizer")
    ADMIN = "admin", _("Admin")

    @classmethod
    def rank(cls, role: str) -> int:
        return [cls.VIEWER, cls.HOST, cls.ORGANIZER, cls.ADMIN].index(cls(role))

    @classmethod
    def at_least(cls, role: str) -> list[str]:
        return [r.value for r in cls if cls.rank(r) >= cls.rank(role)]


class GroupQuerySet(models.QuerySet["Group"]):
    def visible_to(self, user: Any, role: str = Role.VIEWER) -> GroupQuerySet:
        """Groups where the user holds `role` or higher, here or in any group above."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        paths = list(
            Group.objects.filter(
                staff_roles__user=user, staff_roles__role__in=Role.at_least(role)
            ).values_list("path", flat=True)
        )
        if not paths:
            return self.none()
        condition = Q()
        for path in paths:
            condition |= Q(path__startswith=path)
        return self.filter(condition)


class Group(BaseModel):
    """A body in the organization tree: federation > council > local > unit, any depth."""

    class Kind(models.TextChoices):
        FEDERATION = "federation", _("Federation")
        COUNCIL = "council", _("Labor council")
        LOCAL = "local", _("Local union")
        UNIT = "unit", _("Unit / chapter")
        WORKER_CENTER = "worker_center", _("Worker center")
        COALITION = "coalition", _("Coalition")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LOCAL)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialized path of primary keys ("/1/4/9/"): "this group and all below it" is
    # one indexed prefix match instead of a recursive query.
    path = models.CharField(max_length=500, db_index=True, editable=False, default="")
    postal_address = models.TextField(_("postal address"), blank=True,
                                      help_text=_("Printed at the foot of every email this group sends."))
    # Hours (0 to 24, recipient's local time) between which this group's texts may arrive;
    # empty means the organization's default (TURNOUT_QUIET_HOURS_START/END).
    texts_from = models.PositiveSmallIntegerField(_("texts may arrive from (hour)"), null=True, blank=True)
    texts_until = models.PositiveSmallIntegerField(_("texts may arrive until (hour)"), null=True, blank=True)
    # The colour of the group's public pages (buttons, links), "#rrggbb"; empty: Turnout's own.
    # Checked where it is typed (accounts.branding.check_accent): dark enough for white text on it.
    accent_color = models.CharField(_("accent colour"), max_length=7, blank=True, db_default="")
    # When the logo (GroupLogo) last changed; empty: none. Pages read this, not the picture, so a
    # public page asks no more of the database than it did, and the logo's address changes with it.
    logo_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
        if path != self.path:
            self.path = path
            Group.objects.filter(pk=self.pk).update(path=path)

    def get_absolute_url(self) -> str:
        return reverse("accounts:group", args=[self.slug])

    @property
    def public_name(self) -> str:
        """What members see: on the group's pages, in its emails' From and signature, in its texts."""
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def ancestors_and_self(self) -> models.QuerySet[Group]:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return Group.objects.filter(pk__in=ids)


_Owned = TypeVar("_Owned", bound=models.Model)


class GroupOwnedQuerySet(models.QuerySet[_Owned]):
    """Rows a group owns (a `group` foreign key), read through the group tree: the one tenancy
    filter for tags, lists, events, forms, networks, messages, campaigns and the rest."""

    def visible_to(self, user: Any, role: str = Role.VIEWER) -> Self:
        """Rows of the groups where the user holds `role` or higher, here or in any group above."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(group__in=Group.objects.visible_to(user, role))

    def in_group(self, group: Group) -> Self:
        """Rows of this group and every group below it: what the group, acting, may use."""
        return self.filter(group__path__startswith=group.path)


class StaffRole(models.Model):
    """A user's role in one group; it reaches every group below."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="one_role_per_user_group")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.group}"


class Invitation(BaseModel):
    """An emailed link that lets someone set a password and join a group in a role."""

    email = models.EmailField()
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.group} ({self.role})"


class ApiToken(BaseModel):
    """A key for the API that acts as its user, within one group the user holds a role in.

    Only a SHA-256 digest is stored: the key is random and long, so a slow hash adds
    nothing, and a digest lets each request find its token with one indexed lookup.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class GroupLogo(models.Model):
    """A group's logo, as Turnout re-drew it: a small PNG with nothing of the uploaded file's own
    metadata (a phone photo's location, the camera) and no markup that could run in a browser."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="logo")
    image = models.BinaryField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"logo of {self.group}"
