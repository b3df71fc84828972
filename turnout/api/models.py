"""Outgoing webhooks: where a group wants to hear about changes, and every attempt to tell it."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, User
from turnout.core.models import BaseModel


class Webhook(BaseModel):
    """A URL a group registered; it hears about people in that group and the groups below."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Shown once to the staffer who registers the hook; used to sign every delivery.
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = GroupOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["group__path", "created_at"]

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("api:webhook", args=[self.public_id])


class WebhookDelivery(BaseModel):
    """One payload for one webhook, retried with backoff until it is accepted or given up on."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("gave up")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["webhook", "-created_at"], name="delivery_webhook_recent")]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"
