"""Workplaces, organizing campaigns, rosters, assessments and cards through the API, checked against
the OpenAPI document: the same services and the same visibility as the console."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from turnout.accounts.models import Role
from turnout.accounts.services import create_api_token
from turnout.api.tests.base import ApiTestCase
from turnout.organizing.models import Assessment, Card, Unit, Worker
from turnout.site.testing import make_person, make_staff


class OrganizingApiTests(ApiTestCase):
    def test_a_campaign_built_through_the_api_counts_its_cards(self) -> None:
        made = self.ok("post", "workplaces", {"name": "Pike & 5th", "employer": "Bean Street Coffee",
                                              "postal_code": "98101", "industry": "food"}, status=201)
        self.assertEqual((made["locality"], made["region"]), ("Seattle", "WA"))
        workplace_id = made["identifiers"][0]
        campaign = self.ok("post", "organizing_campaigns", {"name": "Bean Street Workers United",
                                                             "workplace_ids": [workplace_id], "supermajority": 65},
                           status=201)
        self.assertEqual(campaign["statistics"]["shops"], 1)
        campaign_id = campaign["identifiers"][0].split(":")[1]
        unit = Unit.objects.get()
        workers = [Worker.objects.create(unit=unit, person=make_person(self.local)) for _ in range(4)]
        roster = self.ok("get", f"organizing_campaigns/{campaign_id}/workers")
        self.assertEqual(roster["total_records"], 4)
        assessed = self.ok("post", "assessments", {"worker_id": str(workers[0].public_id), "score": 2,
                                                   "notes": "Talked at lunch"}, status=201)
        self.assertTrue(assessed["has_notes"])
        self.assertNotIn("Talked at lunch", str(self.ok("get", "assessments")))
        self.ok("get", f"assessments/{Assessment.objects.get().public_id}")
        last_week = timezone.localdate() - timedelta(days=7)  # cards count for a year
        card = self.ok("post", "cards", {"worker_id": str(workers[1].public_id), "signed_date": last_week.isoformat()},
                       status=201)
        self.assertEqual(card["kind"], "paper")
        self.ok("get", f"cards/{Card.objects.get().public_id}")
        detail = self.ok("get", f"organizing_campaigns/{campaign_id}")
        self.assertEqual((detail["statistics"]["cards"], detail["statistics"]["assessed_1_2"]), (1, 1))
        self.assertEqual(detail["units"][0]["percent_carded"], 25)
        self.assertEqual(self.ok("get", f"organizing_workers/{workers[0].public_id}")["support"], 2)

    def test_bad_input_is_a_400_with_a_reason(self) -> None:
        for path, body, words in (
                ("workplaces", {"name": "X", "employer": "Y", "postal_code": "00000"}, "ZIP code"),
                ("workplaces", {"name": "X", "employer": "Y", "postal_code": "98101", "industry": "mining"},
                 "industry"),
                ("organizing_campaigns", {"name": ""}, "name must not be blank"),
                ("organizing_campaigns", {"name": "X", "supermajority": 40}, "supermajority"),
                ("assessments", {"worker_id": "nope", "score": 2}, "worker_id"),
                ("cards", {}, "worker_id")):
            response = self.api("post", path, body)
            self.assertEqual(response.status_code, 400, (path, response.content))
            self.assertIn(words, response.json()["error"])
        worker = Worker.objects.create(unit=self.unit(), person=self.member)
        response = self.api("post", "assessments", {"worker_id": str(worker.public_id), "score": 7})
        self.assertIn("score must be at most 5", response.json()["error"])
        response = self.api("post", "cards", {"worker_id": str(worker.public_id), "signed_date": "soon"})
        self.assertIn("signed_date", response.json()["error"])

    def unit(self) -> Unit:
        workplace = self.ok("post", "workplaces", {"name": "Pike", "employer": "Bean", "postal_code": "98101"},
                            status=201)
        self.ok("post", "organizing_campaigns", {"name": "Bean", "workplace_ids": [workplace["identifiers"][0]]},
                status=201)
        return Unit.objects.get()

    def test_outsiders_volunteers_and_locks(self) -> None:
        unit = self.unit()
        worker = Worker.objects.create(unit=unit, person=self.member)
        self.assertEqual(self.api("get", f"organizing_workers/{worker.public_id}", key=self.outsider_key).status_code,
                         404)
        self.assertEqual(self.ok("get", "workplaces", key=self.outsider_key)["total_records"], 0)
        volunteer = make_staff("vol@example.org", self.local, Role.HOST)
        _t, volunteer_key = create_api_token(actor=None, user=volunteer, group=self.local, name="vol")
        self.assertEqual(self.ok("get", "cards", key=volunteer_key)["total_records"], 0)
        self.assertEqual(self.api("post", "assessments", {"worker_id": str(worker.public_id), "score": 1},
                                  key=volunteer_key).status_code, 400)
        unit.volunteers.add(volunteer)
        self.ok("post", "assessments", {"worker_id": str(worker.public_id), "score": 1}, key=volunteer_key,
                status=201)
        self.assertEqual(self.ok("get", "organizing_campaigns", key=volunteer_key)["total_records"], 0)
        campaign = unit.campaign
        campaign.locked_at = campaign.created_at
        campaign.save()
        self.assertEqual(self.ok("get", "organizing_campaigns")["total_records"], 0)
        self.assertEqual(self.ok("get", "assessments", key=volunteer_key)["total_records"], 0)
