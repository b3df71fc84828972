"""Each act done twice, once through the API and once through the page (public or console), and
the records compared: the API goes through the same services, so the same rules apply — the
same tags, credit, autoresponse and refusals, the same audit entries."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import override_settings
from django.urls import reverse

from turnout.actions.models import Form, Petition, PetitionSignature, Submission
from turnout.api.tests.base import ApiTestCase
from turnout.core.models import AuditEntry
from turnout.events.models import EventCampaign
from turnout.mobilization.models import Member, Network
from turnout.organizing.models import (
    Campaign,
    Employer,
    Request,
    Unit,
    Volunteer,
    Worker,
    Workplace,
)
from turnout.people.models import Person
from turnout.people.services import add_tag
from turnout.sharing.models import Referral
from turnout.sharing.services import share_code
from turnout.site.testing import audit_summaries


def summaries(**lookup: Any) -> list[str]:
    return audit_summaries(**lookup)


@override_settings(SMS_BACKEND="memory")
class FormAndPetitionTests(ApiTestCase):
    def setUp(self) -> None:
        self.form = Form.objects.create(group=self.local, title="Join the contract campaign",
                                        tags="contract-2026, volunteer", autoresponse_subject="Welcome",
                                        autoresponse_body="Next meeting Monday.")
        self.code = share_code(self.member)

    def submit_by_api(self, email: str) -> Any:
        return self.api("POST", f"forms/{self.form.public_id}/submissions", {
            "person": {"given_name": "Ana", "email_addresses": [{"address": email}]},
            "action_network:referrer_data": {"referrer": self.code}})

    def test_a_submission_tags_credits_and_answers_alike_from_the_api_and_the_page(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.form.public_url(), {"given_name": "Rosa", "email": "rosa@example.org",
                                                      "ref": self.code})
            response = self.submit_by_api("ana@example.org")
        self.assertEqual(response.status_code, 201, response.content)
        self.run_worker()
        by_page, by_api = (Submission.objects.get(form=self.form, person__emails__address=address).person
                           for address in ("rosa@example.org", "ana@example.org"))
        for person in (by_page, by_api):
            self.assertEqual(sorted(person.taggings.values_list("tag__name", flat=True)), ["contract-2026", "volunteer"])
            self.assertTrue(Referral.objects.filter(person=person, referrer=self.member, kind=Referral.Kind.FORM,
                                                    action_id=self.form.pk).exists())
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), ["ana@example.org", "rosa@example.org"])
        self.assertEqual({m.subject for m in mail.outbox}, {"Welcome"})
        self.assertEqual(audit_summaries(self.form, actor=self.organizer),
                         ["Recorded a submission by Ana (api)"])

    def test_a_closed_form_refuses_the_api_as_it_refuses_the_page(self) -> None:
        self.form.is_open = False
        self.form.save()
        page = self.client.post(self.form.public_url(), {"given_name": "Rosa", "email": "rosa@example.org"})
        self.assertContains(page, "This is closed.")
        response = self.submit_by_api("ana@example.org")
        self.assertEqual((response.status_code, response.json()["error"]), (409, "This form is closed."))
        self.assertFalse(Submission.objects.exists())
        self.assertFalse(Person.objects.filter(emails__address__in=["ana@example.org", "rosa@example.org"]).exists())

    def test_a_signature_is_one_per_person_and_a_closed_petition_refuses_both_doors(self) -> None:
        petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Heat now.")
        self.client.post(petition.public_url(), {"given_name": "Rosa", "email": "rosa@example.org",
                                                 "postal_code": "98101", "ref": self.code})
        self.settle_forms()
        path = f"petitions/{petition.public_id}/signatures"
        body = {"person_id": str(self.member.public_id), "comments": "Cold in here"}
        first = self.ok("POST", path, body, status=201)
        self.ok("POST", path, {**body, "comments": "Still cold"}, status=200)
        self.assertEqual(PetitionSignature.objects.get(person=self.member).comment, "Still cold")
        self.assertEqual(first["action_network:person_id"], str(self.member.public_id))
        self.assertEqual(PetitionSignature.objects.get(person__emails__address="rosa@example.org").city, "Seattle")
        self.assertEqual(PetitionSignature.objects.get(person=self.member).city, "Seattle")  # from the member's ZIP
        petition.is_open = False
        petition.save()
        self.client.post(petition.public_url(), {"given_name": "Lee", "email": "lee@example.org"})
        self.settle_forms()
        refused = self.api("POST", path, {"person": {"given_name": "Kim", "email_addresses": ["kim@example.org"]}})
        self.assertEqual((refused.status_code, refused.json()["error"]),
                         (409, "This petition is no longer taking signatures."))
        self.assertEqual(PetitionSignature.objects.count(), 2)
        self.assertFalse(Person.objects.filter(emails__address__in=["lee@example.org", "kim@example.org"]).exists())

    def test_forms_and_petitions_built_through_the_api_are_on_the_log_as_the_consoles_are(self) -> None:
        self.login(self.organizer)
        self.client.post(reverse("actions:form_new"), {"group": self.local.pk, "title": "By page", "is_open": "on"})
        made = self.ok("POST", "forms", {"title": "By API"}, status=201)
        self.ok("PUT", f"forms/{made['identifiers'][0].split(':')[1]}", {"description": "More"})
        self.assertEqual(summaries(target_type="form"), ["Built the form", "Built the form",
                                                         "Changed the form: description"])
        self.assertEqual(Form.objects.get(title="By API").created_by, self.organizer)
        self.ok("POST", "petitions", {"title": "By API", "petition_text": "Do it."}, status=201)
        self.assertEqual(summaries(target_type="petition"), ["Started the petition"])


class MobilizationTests(ApiTestCase):
    def test_a_member_added_through_the_api_is_on_the_log_as_a_console_add_is(self) -> None:
        network = Network.objects.create(group=self.local, name="Rapid Response")
        add_tag(person=self.member, group=self.local, name="stewards")
        self.login(self.organizer)
        self.client.post(reverse("mobilization:network_add", args=[network.public_id]), {"tag": "stewards"})
        self.assertEqual(audit_summaries(network), ["Added 1 people to the network"])
        other = Person.objects.get(pk=self.make_local_person().pk)
        made = self.ok("POST", f"networks/{network.public_id}/members",
                       {"person_id": str(other.public_id), "travel_miles": 25, "skills": ["medic"]}, status=201)
        self.assertEqual((made["travel_miles"], made["skills"]), (25, ["medic"]))
        again = self.ok("POST", f"networks/{network.public_id}/members",
                        {"person_id": str(other.public_id), "travel_miles": 5})
        self.assertEqual((again["travel_miles"], again["skills"]), (5, ["medic"]))  # what was not sent is kept
        self.assertEqual(audit_summaries(network), [
            "Added 1 people to the network", f"Added {other.display_name} to the network",
            f"Changed what the network knows of {other.display_name}"])
        self.assertEqual(sorted(Member.objects.values_list("source", flat=True)), ["api", "staff"])

    def make_local_person(self) -> Person:
        from turnout.site.testing import make_person

        return make_person(self.local, given_name="Dee")

    def test_networks_are_made_and_changed_as_the_console_makes_them(self) -> None:
        self.login(self.organizer)
        self.client.post(reverse("mobilization:network_new"), {"group": self.local.pk, "name": "By page"})
        made = self.ok("POST", "networks", {"name": "By API", "description": "Called on short notice"}, status=201)
        self.assertEqual((made["group"], made["total_members"]), ("Local 8", 0))
        network_id = made["identifiers"][0].split(":")[1]
        changed = self.ok("PUT", f"networks/{network_id}", {"name": "Rapid Response"})
        self.assertEqual((changed["name"], changed["description"]), ("Rapid Response", "Called on short notice"))
        self.assertEqual(summaries(target_type="network"), ["Created the network", "Created the network",
                                                            "Changed the network: name"])
        self.assertEqual(Network.objects.get(public_id=network_id).created_by, self.organizer)
        self.assertEqual(self.api("PUT", f"networks/{network_id}", {"name": "Mine"}, key=self.outsider_key).status_code,
                         404)
        self.assertEqual(self.api("POST", "networks", {"name": "Read only"}, key=self.viewer_key).status_code, 403)
        self.assertEqual(self.api("POST", "networks", {"name": " "}).status_code, 400)


class CampaignTests(ApiTestCase):
    def test_an_organizing_campaign_is_one_transaction_with_its_units(self) -> None:
        employer = Employer.objects.create(group=self.local, name="Bean")
        mine = Workplace.objects.create(group=self.local, employer=employer, name="Pike", postal_code="98101")
        theirs = Workplace.objects.create(group=self.other, employer=Employer.objects.create(group=self.other,
                                                                                            name="East"),
                                          name="East", postal_code="60608")
        response = self.api("POST", "organizing_campaigns", {"name": "Bean", "workplace_ids": [
            str(mine.public_id), str(theirs.public_id)]})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Campaign.objects.exists())
        self.ok("POST", "organizing_campaigns", {"name": "Bean", "workplace_ids": [str(mine.public_id)]}, status=201)
        self.login(self.organizer)
        self.client.post(reverse("organizing:campaign_new"), {
            "group": self.local.pk, "name": "By page", "union_name": "Local 8", "card_text": "I authorize.",
            "card_valid_days": 365, "supermajority": 70})
        self.assertEqual(summaries(target_type="campaign"), ["Organizing campaign Bean", "Organizing campaign By page"])
        self.assertEqual(Unit.objects.get().workplace, mine)

    def test_an_event_campaign_made_and_changed_through_the_api_is_on_the_log(self) -> None:
        made = self.ok("POST", "event_campaigns", {"title": "Day of action", "turnout:local_start_time": "17:00"},
                       status=201)
        self.ok("PUT", f"event_campaigns/{made['identifiers'][0].split(':')[1]}", {"title": "Days of action"})
        self.assertEqual(EventCampaign.objects.get().created_by, self.organizer)
        self.assertEqual(summaries(actor=self.organizer, target_type="eventcampaign"),
                         ["Created the campaign", "Changed the campaign: title"])


class OrganizingTests(ApiTestCase):
    def setUp(self) -> None:
        employer = Employer.objects.create(group=self.local, name="Bean")
        self.workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike",
                                                  postal_code="98101")
        campaign = Campaign.objects.create(group=self.local, name="Bean", union_name="Local 8")
        self.unit = Unit.objects.create(campaign=campaign, workplace=self.workplace)

    def test_a_coworker_added_through_the_api_is_added_as_the_unit_page_adds_one(self) -> None:
        self.login(self.organizer)
        self.client.post(reverse("organizing:unit", args=[self.unit.public_id]), {
            "add_worker": "1", "given_name": "Rosa", "family_name": "Díaz", "email": "rosa@example.org",
            "eligible": "on"})
        made = self.ok("POST", f"organizing_campaigns/{self.unit.campaign.public_id}/workers", {
            "person": {"given_name": "Ana", "family_name": "Ruiz", "email_addresses": ["ana@example.org"]},
            "job_title": "Barista"}, status=201)
        self.assertEqual((made["job_title"], made["in_unit"]), ("Barista", True))
        by_page, by_api = (Worker.objects.get(person__emails__address=a) for a in ("rosa@example.org", "ana@example.org"))
        for worker in (by_page, by_api):
            self.assertEqual(list(worker.person.memberships.values_list("group", flat=True)), [self.local.pk])
        self.assertEqual(audit_summaries(self.unit), [
            "Added Rosa Díaz to the roster", "Added Ana Ruiz to the roster"])
        self.assertEqual(summaries(target_type="workplace"), ["Added job title “Barista” to the map"])

    def test_reading_a_request_is_audited_from_both_doors_and_triage_is_the_consoles(self) -> None:
        item = Request.objects.create(group=self.local, person=self.member, employer_name="Bean", postal_code="98101",
                                      industry="food", story="The manager reads our texts.")
        volunteer = Volunteer.objects.create(group=self.local, user=self.viewer, kind=Volunteer.Kind.ORGANIZER)
        self.login(self.organizer)
        self.client.get(reverse("organizing:request", args=[item.public_id]))
        read = self.ok("GET", f"organizing_requests/{item.public_id}")
        self.assertEqual(read["story"], "The manager reads our texts.")
        self.assertEqual(len(audit_summaries(item, action=AuditEntry.Action.VIEW)), 2)
        with self.captureOnCommitCallbacks(execute=True):
            triaged = self.ok("PUT", f"organizing_requests/{item.public_id}",
                              {"organizer_id": str(volunteer.public_id), "status": "contacted"})
        self.assertEqual((triaged["organizer"]["name"], triaged["status"]), (str(volunteer), "contacted"))
        self.assertEqual([m.to for m in mail.outbox], [[self.viewer.email]])
        self.assertEqual(audit_summaries(item, action=AuditEntry.Action.CHANGE), [
            f"Matched to {volunteer} (organizer) and nobody (mentor)", "Status New → Contacted"])


class DraftTests(ApiTestCase):
    def test_messages_and_activations_drafted_through_the_api_are_on_the_log_as_the_consoles_are(self) -> None:
        made = self.ok("POST", "messages", {"type": "sms", "body": "Rally at 6"}, status=201)
        self.ok("PUT", f"messages/{made['identifiers'][0].split(':')[1]}", {"body": "Rally at 7"})
        self.assertEqual(summaries(target_type="message"), ["Drafted a text from Local 8", "Changed the draft: body"])
        network = Network.objects.create(group=self.local, name="Rapid Response")
        self.ok("POST", "activations", {"network_id": str(network.public_id), "title": "Westlake",
                                        "body": "Rally 6pm. Reply Y or N", "postal_code": "98101", "miles": 10},
                status=201)
        self.assertEqual(summaries(target_type="activation"), ["Drafted the activation “Westlake” to Rapid Response"])
        unknown = self.api("POST", "activations", {"network_id": str(network.public_id), "title": "X", "body": "Y",
                                                   "postal_code": "00000"})
        self.assertEqual(unknown.status_code, 400)
        self.assertEqual(summaries(target_type="activation"), ["Drafted the activation “Westlake” to Rapid Response"])
