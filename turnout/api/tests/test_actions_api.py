"""Forms, submissions, petitions and signatures through the API: the record helpers as Parsons
calls them, one signature per person, counts in the person's sub-collections, clear 400s."""

from __future__ import annotations

from turnout.actions.models import Form, Petition, PetitionSignature, Submission
from turnout.api.tests.base import ApiTestCase


def ident(resource: dict) -> str:
    return resource["identifiers"][0].split(":", 1)[1]


class ActionsApiTests(ApiTestCase):
    def test_forms_and_the_record_submission_helper(self) -> None:
        made = self.ok("POST", "forms", {"title": "Join the campaign", "description": "Sign up"}, status=201)
        self.assertEqual(made["total_submissions"], 0)
        self.assertTrue(made["browser_url"].endswith(f"/f/{ident(made)}/"))
        path = f"forms/{ident(made)}/submissions"
        first = self.ok("POST", path, {"_links": {"osdi:person": {
            "href": f"https://actionnetwork.org/api/v2/people/{self.member.public_id}"}},
            "turnout:answers": {"Shift": "Night"}}, status=201)
        self.assertEqual(first["action_network:person_id"], str(self.member.public_id))
        self.assertEqual(first["turnout:answers"], {"Shift": "Night"})
        again = self.ok("POST", f"/api/v2/{path}?action_network:person_id={self.member.public_id}")
        self.assertEqual(ident(again), ident(first))
        self.ok("POST", path, {"person": {"given_name": "Rae", "email_addresses": [{"address": "rae@example.org"}]}},
                status=201)
        self.assertEqual(self.ok("GET", f"forms/{ident(made)}")["total_submissions"], 2)
        self.assertEqual(self.ok("GET", path)["total_records"], 2)
        mine = self.ok("GET", f"people/{self.member.public_id}/submissions")
        self.assertEqual([s["action_network:form_id"] for s in mine["_embedded"]["osdi:submissions"]], [ident(made)])
        self.assertEqual(self.ok("GET", f"{path}/{ident(first)}")["action_network:person_id"],
                         str(self.member.public_id))
        missing = self.api("POST", path, {"action_network:person_id": "nobody"})
        self.assertEqual((missing.status_code, missing.json()["error"]), (400, "You must specify a valid person id"))
        bad = self.api("POST", path, {"email_address": "maria@example.org", "turnout:answers": ["x"]})
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(Submission.objects.count(), 2)
        self.assertEqual(self.api("POST", "forms", {"description": "no title"}).status_code, 400)

    def test_petitions_and_the_record_signature_helper(self) -> None:
        made = self.ok("POST", "petitions", {"title": "Fix the heat", "petition_text": "Heat now.",
                                             "target": [{"name": "Facilities director"}]}, status=201)
        self.assertEqual(made["target"], [{"name": "Facilities director"}])
        path = f"petitions/{ident(made)}/signatures"
        signed = self.ok("POST", path, {"email_address": "maria@example.org", "comments": "Cold hands."}, status=201)
        self.assertEqual(signed["comments"], "Cold hands.")
        self.ok("POST", path, {"email_address": "maria@example.org"})  # once per person
        self.assertEqual(PetitionSignature.objects.count(), 1)
        self.assertEqual(self.ok("GET", f"petitions/{ident(made)}")["total_signatures"], 1)
        mine = self.ok("GET", f"people/{self.member.public_id}/signatures")
        self.assertEqual(mine["_embedded"]["osdi:signatures"][0]["action_network:petition_id"], ident(made))
        changed = self.ok("PUT", f"petitions/{ident(made)}", {"title": "Fix the heat in Building 4"})
        self.assertEqual(changed["title"], "Fix the heat in Building 4")
        self.assertEqual(self.api("POST", "petitions", {"title": "x", "target": [{"name": ["boss"]}]}).status_code, 400)

    def test_a_viewer_reads_but_cannot_write_and_an_outsider_sees_nothing(self) -> None:
        form = Form.objects.create(group=self.local, title="Sign up")
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat")
        self.assertEqual(self.api("GET", f"forms/{form.public_id}", key=self.viewer_key).status_code, 200)
        self.assertEqual(self.api("POST", f"forms/{form.public_id}/submissions",
                                  {"email_address": "maria@example.org"}, key=self.viewer_key).status_code, 403)
        self.assertEqual(self.api("GET", f"petitions/{petition.public_id}", key=self.outsider_key).status_code, 404)
        self.assertEqual(self.ok("GET", "forms", key=self.outsider_key)["total_records"], 0)
