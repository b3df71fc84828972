"""Resource centers: a campaign's public page (/hub/<slug>/) gathering its upcoming events, forms,
petitions, pledges, resolutions, working groups, links and files. It sits above the apps whose
records it shows (events, actions, mobilization), which know nothing of it."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, GroupOwnedQuerySet, User
from turnout.actions.models import Form, Petition, Resolution, WorkingGroup
from turnout.core.models import BaseModel
from turnout.events.models import EventCampaign
from turnout.mobilization.models import Pledge


class HubQuerySet(GroupOwnedQuerySet["Hub"]):
    def shown_to(self, user: Any) -> HubQuerySet:
        """Published resource centers, and unpublished ones only to the staff of their own group
        and the groups above it (the tenancy rule): a draft is no other group's business."""
        return self.filter(is_published=True) | self.visible_to(user)


class Hub(BaseModel):
    """A resource center: a campaign's public hub of events, actions, working groups, links and files."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="hubs")
    slug = models.SlugField(_("address"), max_length=80, unique=True,
                            help_text=_("The page's address: /hub/<address>/"))
    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(_("title in Spanish"), max_length=200, blank=True)
    intro = models.TextField(_("introduction"), blank=True, help_text=_("Markdown."))
    intro_es = models.TextField(_("introduction in Spanish"), blank=True)
    campaign = models.ForeignKey(EventCampaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("events from the campaign"),
                                 help_text=_("Empty: the group's upcoming public events."))
    is_published = models.BooleanField(_("published"), default=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = HubQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("hubs:hub", args=[self.public_id])

    def public_url(self) -> str:
        return reverse("public_hub", args=[self.slug])


class HubItem(models.Model):
    """One block of a resource center, in the order staff set."""

    class Kind(models.TextChoices):
        EVENTS = "events", _("Upcoming events")
        FORM = "form", _("Form")
        PETITION = "petition", _("Petition")
        PLEDGE = "pledge", _("Pledge")
        RESOLUTION = "resolution", _("Resolution")
        WORKING_GROUP = "working_group", _("Working group")
        LINK = "link", _("Link")
        FILE = "file", _("File")
        TEXT = "text", _("Text")

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    heading = models.CharField(_("heading"), max_length=200, blank=True)
    heading_es = models.CharField(_("heading in Spanish"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True, help_text=_("Markdown."))
    body_es = models.TextField(_("text in Spanish"), blank=True)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="hubs/", blank=True)
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    petition = models.ForeignKey(Petition, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    pledge = models.ForeignKey(Pledge, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    resolution = models.ForeignKey(Resolution, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    working_group = models.ForeignKey(WorkingGroup, null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="+")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.heading or self.get_kind_display()
