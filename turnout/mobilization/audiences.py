"""A rapid mobilization network's members as an audience (`messaging.audience.Source`)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Role, User
from turnout.messaging import audience
from turnout.mobilization.models import Member, Network


def _networks(user: User) -> list[tuple[str, str]]:
    return [(str(network.public_id), network.name)
            for network in Network.objects.visible_to(user, Role.ORGANIZER).order_by("name")[:audience.MAX_CHOICES]]


def _members(user: User, public_id: str) -> Q | None:
    network = Network.objects.visible_to(user, Role.ORGANIZER).filter(public_id=public_id).first()
    if network is None:
        return None
    return Q(Exists(Member.objects.filter(person=OuterRef("pk"), network=network)))


audience.register(audience.Source(key="network", label=_("In a rapid mobilization network"), choices=_networks,
                                  people=_members))
