"""Workplaces, organizing campaigns, rosters, assessments and cards through the API, checked against
the OpenAPI document: the same services and the same visibility as the console."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from turnout.accounts.models import Role
from turnout.accounts.services import create_api_token
from turnout.api.tests.base import ApiTestCase
from turnout.core.models import AuditEntry
from turnout.organizing import services
from turnout.organizing.models import (
    Assessment,
    Campaign,
    Card,
    Employer,
    Request,
    Unit,
    Volunteer,
    Worker,
    Workplace,
)
from turnout.people.models import Person
from turnout.site.testing import audit_summaries, make_person, make_staff


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


class RosterApiTests(ApiTestCase):
    """Workers on a roster through the API: a person by reference or to sign up, placed by name."""

    def setUp(self) -> None:
        employer = Employer.objects.create(group=self.local, name="Bean")
        self.pike = Workplace.objects.create(group=self.local, employer=employer, name="Pike", postal_code="98101")
        self.fifth = Workplace.objects.create(group=self.local, employer=employer, name="Fifth", postal_code="98101")
        self.campaign = Campaign.objects.create(group=self.local, name="Bean", union_name="Local 8")
        self.unit = Unit.objects.create(campaign=self.campaign, workplace=self.pike)
        self.path = f"organizing_campaigns/{self.campaign.public_id}/workers"

    def test_a_person_is_rostered_placed_and_taken_off(self) -> None:
        made = self.ok("POST", self.path, {"person_id": str(self.member.public_id), "department": "Floor",
                                           "shift": "Night", "job_title": "Barista", "in_unit": True}, status=201)
        self.assertEqual((made["given_name"], made["department"], made["shift"], made["job_title"]),
                         ("Maria", "Floor", "Night", "Barista"))
        self.assertEqual(sorted(self.pike.areas.values_list("kind", "name")),
                         [("department", "Floor"), ("job", "Barista"), ("shift", "Night")])
        again = self.ok("POST", self.path, {"email_address": "maria@example.org", "shift": "Day"}, status=200)
        self.assertEqual((again["shift"], again["job_title"]), ("Day", "Barista"))
        worker_id = made["identifiers"][0].split(":")[1]
        changed = self.ok("PUT", f"organizing_workers/{worker_id}", {"in_unit": False, "department": None})
        self.assertEqual((changed["in_unit"], changed["department"], changed["shift"]), (False, "", "Day"))
        self.assertEqual(self.ok("DELETE", f"organizing_workers/{worker_id}")["notice"],
                         "The worker was taken off the roster.")
        self.assertFalse(Worker.objects.exists())
        self.assertTrue(Person.objects.filter(pk=self.member.pk).exists())  # off the roster, not out of the union

    def test_a_coworker_is_signed_up_in_the_campaigns_group(self) -> None:
        Unit.objects.create(campaign=self.campaign, workplace=self.fifth)
        body = {"person": {"given_name": "Ana", "email_addresses": [{"address": "ana@example.org"}],
                           "phone_numbers": ["(206) 555-0177"]}}
        response = self.api("POST", self.path, body)
        self.assertEqual(response.status_code, 400)  # two units: which roster?
        self.assertIn("workplace_id", response.json()["error"])
        made = self.ok("POST", self.path, {**body, "workplace_id": str(self.fifth.public_id)}, status=201)
        self.assertEqual(made["workplace"], "Fifth")
        ana = Person.objects.get(emails__address="ana@example.org")
        self.assertEqual(list(ana.memberships.values_list("group", flat=True)), [self.local.pk])
        self.assertEqual(list(ana.phones.values_list("number", flat=True)), ["+12065550177"])

    def test_a_worker_who_signed_a_card_stays_and_others_cannot_touch_the_roster(self) -> None:
        worker = Worker.objects.create(unit=self.unit, person=self.member)
        Card.objects.create(unit=self.unit, worker=worker, kind="paper", signed_name="Maria Lopez",
                            signed_at=timezone.now(), text="x", employer_name="Bean")
        response = self.api("DELETE", f"organizing_workers/{worker.public_id}")
        self.assertEqual(response.status_code, 409)
        self.assertIn("mark them out of the unit", response.json()["error"])
        self.assertEqual(self.api("DELETE", f"organizing_workers/{worker.public_id}", key=self.outsider_key)
                         .status_code, 404)
        self.assertEqual(self.api("POST", self.path, {"person_id": str(self.member.public_id)},
                                  key=self.outsider_key).status_code, 404)
        self.assertEqual(self.api("POST", self.path, {"person_id": str(self.stranger.public_id)}).status_code, 400)
        self.assertEqual(self.api("PUT", f"organizing_workers/{worker.public_id}", {"in_unit": False},
                                  key=self.viewer_key).status_code, 404)  # a viewer runs no campaign
        volunteer = make_staff("vol@example.org", self.local, Role.HOST)
        self.unit.volunteers.add(volunteer)
        _t, volunteer_key = create_api_token(actor=None, user=volunteer, group=self.local, name="vol")
        self.assertEqual(self.api("PUT", f"organizing_workers/{worker.public_id}", {"in_unit": False},
                                  key=volunteer_key).status_code, 403)
        self.assertTrue(Worker.objects.get().eligible)


class ThresholdApiTests(ApiTestCase):
    def test_each_line_says_what_it_needs_and_how_many_to_go(self) -> None:
        employer = Employer.objects.create(group=self.local, name="Bean")
        campaign = Campaign.objects.create(group=self.local, name="Bean", union_name="Local 8", supermajority=70)
        small = Unit.objects.create(campaign=campaign, workplace=Workplace.objects.create(
            group=self.local, employer=employer, name="Small", postal_code="98101"))
        big = Unit.objects.create(campaign=campaign, workplace=Workplace.objects.create(
            group=self.local, employer=employer, name="Big", postal_code="98101"))
        signed = timezone.localdate() - timedelta(days=3)
        for unit, n, carded, eligible in ((small, 3, 2, True), (big, 7, 1, True), (big, 1, 1, False)):
            for i in range(n):
                worker = Worker.objects.create(unit=unit, person=make_person(self.local), eligible=eligible)
                if i < carded:
                    services.record_paper_card(actor=self.organizer, worker=worker, signed_on=signed, scan=None)
        lines = self.ok("GET", f"organizing_campaigns/{campaign.public_id}/thresholds")
        self.assertEqual((lines["eligible"], lines["cards"]), (10, 3))
        self.assertEqual([(line["line"], line["needed"], line["to_go"], line["reached"], line["units_reached"])
                          for line in lines["lines"]],
                         [("30%", 3, 0, True, 1), ("majority", 6, 3, False, 1), ("70%", 7, 4, False, 0)])
        by_unit = {unit["name"]: unit["lines"] for unit in lines["units"]}
        self.assertEqual([(line["needed"], line["to_go"]) for line in by_unit["Big"]], [(3, 2), (4, 3), (5, 4)])
        unit = self.ok("GET", f"organizing_units/{small.public_id}")
        self.assertEqual([(line["line"], line["reached"]) for line in unit["lines"]],
                         [("30%", True), ("majority", True), ("70%", False)])
        self.assertEqual(self.api("GET", f"organizing_units/{small.public_id}", key=self.outsider_key).status_code,
                         404)
        self.assertEqual(self.api("GET", f"organizing_campaigns/{campaign.public_id}/thresholds",
                                  key=self.outsider_key).status_code, 404)


class IntakeApiTests(ApiTestCase):
    def setUp(self) -> None:
        self.item = Request.objects.create(group=self.local, person=self.member, employer_name="Bean",
                                           postal_code="98101", industry="food", story="They cut our hours.")

    def test_organizers_read_the_story_others_do_not_and_every_reading_is_on_the_log(self) -> None:
        listed = self.ok("GET", "organizing_requests")
        self.assertEqual(listed["total_records"], 1)
        self.assertNotIn("They cut our hours", str(listed))  # the story is read one request at a time
        self.assertEqual(self.ok("GET", f"organizing_requests/{self.item.public_id}")["story"], "They cut our hours.")
        volunteer_user = make_staff("vol@example.org", self.local, Role.HOST)
        volunteer = Volunteer.objects.create(group=self.local, user=volunteer_user, kind=Volunteer.Kind.MENTOR)
        self.item.mentor = volunteer
        self.item.save()
        _t, volunteer_key = create_api_token(actor=None, user=volunteer_user, group=self.local, name="vol")
        seen = self.ok("GET", f"organizing_requests/{self.item.public_id}", key=volunteer_key)
        self.assertNotIn("story", seen)
        self.assertTrue(seen["has_story"])
        self.assertEqual(self.api("PUT", f"organizing_requests/{self.item.public_id}", {"status": "contacted"},
                                  key=volunteer_key).status_code, 403)
        self.assertEqual(len(audit_summaries(self.item, action=AuditEntry.Action.VIEW)), 2)
        self.assertEqual(self.api("GET", f"organizing_requests/{self.item.public_id}", key=self.outsider_key)
                         .status_code, 404)
        self.assertEqual(self.ok("GET", "organizing_requests", key=self.outsider_key)["total_records"], 0)

    def test_triage_assigns_volunteers_and_closes_with_a_reason(self) -> None:
        organizer = Volunteer.objects.create(group=self.local, user=make_staff("o@example.org", self.local, Role.HOST),
                                             kind=Volunteer.Kind.ORGANIZER, industries=["food"])
        suggested = self.ok("GET", f"organizing_requests/{self.item.public_id}")["suggested_organizers"]
        self.assertEqual([s["identifiers"][0] for s in suggested], [f"action_network:{organizer.public_id}"])
        path = f"organizing_requests/{self.item.public_id}"
        wrong = self.api("PUT", path, {"mentor_id": str(organizer.public_id)})
        self.assertEqual(wrong.status_code, 400)
        self.assertIn("not a mentor", wrong.json()["error"])
        elsewhere = Volunteer.objects.create(group=self.other, user=self.outsider, kind=Volunteer.Kind.BOTH)
        self.assertEqual(self.api("PUT", path, {"organizer_id": str(elsewhere.public_id)}).status_code, 400)
        self.assertEqual(self.ok("PUT", path, {"organizer_id": str(organizer.public_id)})["organizer"]["name"],
                         str(organizer))
        refused = self.api("PUT", path, {"status": "closed"})
        self.assertEqual((refused.status_code, refused.json()["error"]),
                         (400, "Say why the request is closed: closed_reason."))
        closed = self.ok("PUT", path, {"status": "closed", "closed_reason": "Shop closed down"})
        self.assertEqual((closed["status"], closed["closed_reason"], closed["organizer"]["name"]),
                         ("closed", "Shop closed down", str(organizer)))
        self.assertEqual(self.ok("PUT", path, {"organizer_id": None})["organizer"], None)


class OneCardPerWorkerApiTests(ApiTestCase):
    def test_a_second_paper_card_updates_the_first_as_the_console_does(self) -> None:
        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee")
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike", postal_code="98101")
        campaign = Campaign.objects.create(group=self.local, name="Bean", union_name="Local 8")
        unit = Unit.objects.create(campaign=campaign, workplace=workplace)
        worker = Worker.objects.create(unit=unit, person=make_person(self.local))
        day = timezone.localdate() - timedelta(days=7)
        first = self.ok("post", "cards", {"worker_id": str(worker.public_id), "signed_date": day.isoformat()},
                        status=201)
        again = self.ok("post", "cards", {"worker_id": str(worker.public_id),
                                          "signed_date": (day + timedelta(days=2)).isoformat()}, status=200)
        self.assertEqual(again["identifiers"], first["identifiers"])
        self.assertEqual(again["signed_local_date"], (day + timedelta(days=2)).isoformat())
        self.assertEqual(again["time_zone"], "America/Los_Angeles")  # the workplace's zone
        self.assertEqual(Card.objects.count(), 1)
        self.assertEqual(self.ok("get", f"organizing_campaigns/{campaign.public_id}")["statistics"]["cards"], 1)

    def test_assigning_a_full_volunteer_needs_over_capacity(self) -> None:
        person = make_person(self.local)
        volunteer = Volunteer.objects.create(group=self.local, user=make_staff("o@example.org", self.local, Role.HOST),
                                             capacity=1)
        Request.objects.create(group=self.local, person=person, employer_name="A", postal_code="98101",
                               industry="food", organizer=volunteer)
        item = Request.objects.create(group=self.local, person=person, employer_name="B", postal_code="98101",
                                      industry="food")
        path = f"organizing_requests/{item.public_id}"
        suggested = self.ok("GET", path)["suggested_organizers"]
        self.assertEqual((suggested[0]["caseload"], suggested[0]["full"]), (1, True))
        refused = self.api("PUT", path, {"organizer_id": str(volunteer.public_id)})
        self.assertEqual(refused.status_code, 400)
        self.assertIn("already carries 1 of 1 cases: this would make 2 of 1", refused.json()["error"])
        done = self.ok("PUT", path, {"organizer_id": str(volunteer.public_id), "over_capacity": True})
        self.assertEqual(done["organizer"]["name"], str(volunteer))


class WaitingCardApiTests(ApiTestCase):
    def test_a_card_waiting_for_review_is_read_by_campaign_staff_only_as_in_the_review_queue(self) -> None:
        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee")
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike", postal_code="98101")
        campaign = Campaign.objects.create(group=self.local, name="Bean", union_name="Local 8")
        unit = Unit.objects.create(campaign=campaign, workplace=workplace)
        signer = make_person(self.local, given_name="Zed", family_name="Nobody")
        card = Card(unit=unit, kind=Card.Kind.ELECTRONIC, signed_name="Zed Nobody", signed_at=timezone.now(),
                    text="Local 8", employer_name="Bean Street Coffee", pending=True)
        card.signer_ref = str(signer.public_id)
        card.save()
        volunteer = make_staff("vol@example.org", self.local, Role.HOST)
        unit.volunteers.add(volunteer)
        _t, volunteer_key = create_api_token(actor=None, user=volunteer, group=self.local, name="vol")
        # The unit's volunteer does not learn who signed a card nobody has matched yet.
        self.assertEqual(self.ok("get", "cards", key=volunteer_key)["total_records"], 0)
        self.assertEqual(self.api("get", f"cards/{card.public_id}", key=volunteer_key).status_code, 404)
        seen = self.ok("get", f"cards/{card.public_id}")
        self.assertEqual((seen["signed_name"], seen["waiting_for_review"]), ("Zed Nobody", True))
