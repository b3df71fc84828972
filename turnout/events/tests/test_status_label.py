"""The staff list of events says each event's status in words, in the reader's language."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from turnout.events.models import EventCampaign, Status
from turnout.events.tests.test_events import make_event
from turnout.site.testing import TurnoutTestCase


def statuses(page: str) -> list[str]:
    return re.findall(r'<td data-label="(?:Status|Estado)">([^<]*)</td>', page)


class StatusLabelTests(TurnoutTestCase):
    def setUp(self) -> None:
        make_event(self.local)
        EventCampaign.objects.create(group=self.local, title="Count every vote", status=Status.STANDBY,
                                     local_date=(timezone.now() + timedelta(days=30)).date())
        self.login(self.organizer)

    def test_the_list_shows_the_status_as_a_label(self) -> None:
        self.assertEqual(statuses(self.client.get("/events/").content.decode()), ["On standby", "Scheduled"])

    def test_in_spanish(self) -> None:
        self.organizer.language = "es"
        self.organizer.save()
        page = self.client.get("/events/", headers={"accept-language": "es"}).content.decode()
        self.assertEqual(statuses(page), ["En espera", "Programado"])
