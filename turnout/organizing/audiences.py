"""An organizing campaign's roster as an audience (`messaging.audience.Source`): the workers on
its units' rosters, for organizers of the campaign's group."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Role, User
from turnout.messaging import audience
from turnout.organizing.models import Campaign, Worker


def _campaigns(user: User) -> list[tuple[str, str]]:
    return [(str(campaign.public_id), campaign.name)
            for campaign in Campaign.objects.visible_to(user, Role.ORGANIZER).order_by("-created_at")[:audience.MAX_CHOICES]]


def _roster(user: User, public_id: str) -> Q | None:
    campaign = Campaign.objects.visible_to(user, Role.ORGANIZER).filter(public_id=public_id).first()
    if campaign is None:
        return None
    return Q(Exists(Worker.objects.filter(person=OuterRef("pk"), unit__campaign=campaign)))


audience.register(audience.Source(key="roster", label=_("On an organizing campaign's roster"), choices=_campaigns,
                                  people=_roster))
