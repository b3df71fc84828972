"""The console's people list is audited like the API's walk: each page of people read is an entry."""

from __future__ import annotations

from unittest import mock

from django.urls import reverse

from turnout.core.models import AuditEntry
from turnout.site.testing import TurnoutTestCase, make_person


@mock.patch("turnout.people.views.PAGE_SIZE", 2)
class PeopleListAuditTests(TurnoutTestCase):
    def setUp(self) -> None:
        for n in range(4):
            make_person(self.local, given_name=f"Member{n}")

    def reads(self) -> list[tuple[str, dict]]:
        return list(AuditEntry.objects.filter(action="view", target_type="").order_by("id")
                    .values_list("summary", "detail"))

    def test_each_page_read_is_an_entry_naming_the_page_and_the_filter(self) -> None:
        self.login(self.organizer)
        for page in ("1", "2", "3"):
            self.client.get(reverse("people:list"), {"page": page}, REMOTE_ADDR="203.0.113.9")
        self.assertEqual(self.reads(), [
            ("Read people 1 to 2 of 5 on the People page", {"page": 1, "count": 2, "total": 5}),
            ("Read people 3 to 4 of 5 on the People page", {"page": 2, "count": 2, "total": 5}),
            ("Read people 5 to 5 of 5 on the People page", {"page": 3, "count": 1, "total": 5}),
        ])
        entry = AuditEntry.objects.filter(action="view").latest("id")
        self.assertEqual((entry.actor, entry.ip_address), (self.organizer, "203.0.113.9"))

    def test_a_filtered_page_and_the_live_search_are_audited_too_and_an_empty_one_is_not(self) -> None:
        self.login(self.organizer)
        self.client.get(reverse("people:list"), {"q": "Zelda"})  # in a group this organizer cannot see
        self.assertEqual(self.reads(), [])
        self.client.get(reverse("people:list"), {"q": "Maria", "group": self.local.slug}, headers={"HX-Request": "true"})
        [(summary, _detail)] = self.reads()
        self.assertEqual(summary, f"Read people 1 to 1 of 1 on the People page (filter q=…&group={self.local.slug})")
        self.assertEqual(AuditEntry.objects.get(action="view").group, self.local)
