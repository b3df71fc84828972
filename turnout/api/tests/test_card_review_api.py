"""The card review queue through the API: a card signed online by someone the roster does not
hold is confirmed (as a roster worker, or as a new coworker) or discarded by the same services,
with the same permissions and the same log, as the console's review queue."""

from __future__ import annotations

from django.urls import reverse

from turnout.accounts.services import create_api_token
from turnout.api.tests.base import ApiTestCase
from turnout.organizing import selectors, services
from turnout.organizing.models import Card
from turnout.organizing.tests.test_card_review import CardPage
from turnout.site.testing import audit_summaries


class CardReviewApiTests(CardPage, ApiTestCase):
    def waiting(self) -> Card:
        return Card.objects.waiting().get()

    def test_a_stranger_is_added_through_the_api_as_the_console_adds_one(self) -> None:
        self.roster(self.unit, 4)
        self.sign(given_name="Zed", family_name="Nobody", email="zed@example.org")
        card = self.waiting()
        listed = self.ok("GET", f"cards/{card.public_id}")
        self.assertEqual((listed["waiting_for_review"], listed["counts"]), (True, False))
        confirmed = self.ok("POST", f"cards/{card.public_id}/confirm", {})
        self.assertEqual((confirmed["waiting_for_review"], confirmed["counts"]), (False, True))
        self.assertIn("turnout:worker", confirmed["_links"])
        threshold = selectors.threshold(self.unit)
        self.assertEqual((threshold.eligible, threshold.cards), (5, 1))
        self.assertEqual(Card.objects.get().worker.person.emails.get().address, "zed@example.org")
        self.assertIn("Confirmed a signed card at Pike & 5th", audit_summaries(Card.objects.get()))
        # The console's queue, for the next stranger: the same act, the same log.
        self.sign(given_name="Yan", family_name="Other", email="yan@example.org")
        other = self.waiting()
        self.login(self.organizer)
        self.client.post(reverse("organizing:review", args=[self.campaign.public_id]),
                         {"card": other.public_id, "decision": "add"})
        self.assertEqual(selectors.threshold(self.unit).cards, 2)
        self.assertEqual(audit_summaries(Card.objects.get(pk=other.pk)), audit_summaries(Card.objects.get(pk=card.pk)))
        again = self.api("POST", f"cards/{card.public_id}/confirm", {})
        self.assertEqual(again.status_code, 409)
        self.assertIn("already matched", again.content.decode())

    def test_a_card_matching_a_roster_name_is_confirmed_as_that_worker(self) -> None:
        ana = self.cards_of_three()[0]
        self.sign(email="ana@example.org")
        card = self.waiting()
        shown = self.ok("GET", f"cards/{card.public_id}")
        self.assertTrue(shown["_links"]["turnout:candidate"]["href"].endswith(f"organizing_workers/{ana.public_id}"))
        elsewhere = self.roster(self.other_unit, 1)[0]
        wrong = self.api("POST", f"cards/{card.public_id}/confirm", {"worker_id": str(elsewhere.public_id)})
        self.assertEqual(wrong.status_code, 400)
        self.assertIn("worker_id names no worker on the roster of the card's workplace", wrong.content.decode())
        self.assertEqual(self.api("POST", f"cards/{card.public_id}/confirm", {"worker_id": "nonsense"}).status_code,
                         400)
        self.assertTrue(self.waiting().pending)
        self.ok("POST", f"cards/{card.public_id}/confirm", {"worker_id": str(ana.public_id)})
        self.assertEqual(Card.objects.of_worker(ana).get().pk, card.pk)
        threshold = selectors.threshold(self.unit)
        self.assertEqual((threshold.eligible, threshold.cards), (12, 4))

    def test_a_prank_is_discarded_and_a_matched_card_is_kept(self) -> None:
        worker = self.roster(self.unit, 1)[0]
        kept = self.paper_card(worker)
        self.sign(given_name="Mickey", family_name="Mouse", email="m@example.org")
        prank = self.waiting()
        self.assertEqual(self.ok("DELETE", f"cards/{prank.public_id}")["notice"], "The card was discarded.")
        self.assertEqual(list(Card.objects.all()), [kept])
        self.assertIn("Discarded a card waiting for review at Pike & 5th", audit_summaries(self.unit))
        self.assertEqual(self.api("DELETE", f"cards/{kept.public_id}").status_code, 409)
        self.assertEqual(Card.objects.count(), 1)
        with self.assertRaisesMessage(services.OrganizingError, "A matched card is evidence"):
            services.discard_card(actor=self.organizer, card=kept)

    def test_only_staff_running_the_campaign_decide_as_in_the_console(self) -> None:
        self.sign(given_name="Zed", family_name="Nobody", email="zed@example.org")
        card = self.waiting()
        _t, volunteer_key = create_api_token(actor=None, user=self.volunteer_user, group=self.local, name="vol")
        for who, key, status in (("viewer", self.viewer_key, 404), ("volunteer", volunteer_key, 404),
                                 ("outsider", self.outsider_key, 404)):
            with self.subTest(who=who):
                self.assertEqual(self.api("POST", f"cards/{card.public_id}/confirm", {}, key=key).status_code,
                                 status)
                self.assertEqual(self.api("DELETE", f"cards/{card.public_id}", key=key).status_code, status)
        self.assertTrue(self.waiting().pending)
