"""An organizing campaign's roster as an audience (`messaging.audience.Source`): the workers in its
units, for the campaign's staff as the organizing pages see it (a locked campaign only for admins),
and never a manager or supervisor (workers outside the unit)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import User
from turnout.messaging import audience
from turnout.organizing.models import Assessment, Worker
from turnout.organizing.selectors import staffed_campaigns
from turnout.organizing.services import record_walks


def _campaigns(user: User) -> list[tuple[str, str]]:
    return [(str(campaign.public_id), campaign.name)
            for campaign in staffed_campaigns(user).order_by("-created_at")[:audience.MAX_CHOICES]]


def _roster(user: User, public_id: str) -> Q | None:
    campaign = staffed_campaigns(user).filter(public_id=public_id).first()
    if campaign is None:
        return None
    return Q(Exists(Worker.objects.filter(person=OuterRef("pk"), unit__campaign=campaign, eligible=True)))


def _places(public_id: str) -> dict[int, str]:
    """Where each worker of the campaign's units is found: workplace, department and shift, so a
    door-knocking campaign walks the roster through the workplace, worker to worker."""
    found: dict[int, str] = {}
    workers = (Worker.objects.filter(unit__campaign__public_id=public_id, eligible=True)
               .select_related("unit__workplace", "department", "shift").order_by("pk"))
    for worker in workers:
        parts = [worker.unit.workplace.name, worker.department.name if worker.department else "",
                 worker.shift.name if worker.shift else ""]
        found.setdefault(worker.person_id, " · ".join(part for part in parts if part))
    return found


def _walked(public_id: str, walks: list[audience.Walk]) -> None:
    record_walks(campaign_id=public_id, walks=walks)


audience.register(audience.Source(key="roster", label=_("On an organizing campaign's roster"), choices=_campaigns,
                                  people=_roster, places=_places, walked=_walked, scale=Assessment.SCALE))
