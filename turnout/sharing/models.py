"""Personal share links and the credit they earn: who brought whom to which action."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.people.models import Person


def new_share_code() -> str:
    return secrets.token_urlsafe(6)


class ShareCode(models.Model):
    """A person's own code for share links: `?ref=<code>` on any public action page."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="share_code")
    code = models.CharField(max_length=16, unique=True, default=new_share_code)

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """Who brought whom: `person` took the action through `referrer`'s link. One credit per person
    per action."""

    class Kind(models.TextChoices):
        FORM = "form", _("form")
        PETITION = "petition", _("petition")
        PLEDGE = "pledge", _("pledge")
        EVENT = "event", _("event")
        WORKING_GROUP = "working_group", _("working group")
        NETWORK = "network", _("network")

    referrer = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="referrals_made")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="referrals_received")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    action_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind", "action_id"], name="one_credit_per_action")]
        indexes = [models.Index(fields=["kind", "action_id", "referrer"])]

    def __str__(self) -> str:
        return f"{self.referrer} brought {self.person}"
