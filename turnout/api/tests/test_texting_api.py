"""Texting campaigns through the API: write one for a tag, launch it, read its conversations and
survey answers; the same services as the console, so each act works through either door."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import override_settings

from turnout.api.tests.base import ApiTestCase
from turnout.messaging import results
from turnout.people.models import Tag
from turnout.people.services import add_tag, record_consent
from turnout.texting import services
from turnout.texting.models import Conversation, TextingCampaign

SCRIPT = "Hi {first_name}, it's {texter_first_name} with Local 8. Vote yes Friday? Reply STOP to opt out."


@override_settings(SMS_BACKEND="memory", SMS_SENDERS=["+12065550000"])
class TextingApiTests(ApiTestCase):
    def setUp(self) -> None:
        self.travel_to(datetime(2031, 3, 12, 19, 0, tzinfo=UTC))  # noon in Seattle
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        add_tag(person=self.member, group=self.local, name="contract")
        add_tag(person=self.stranger, group=self.other, name="contract")  # another group's: never reached
        record_consent(person=self.stranger, channel="sms", address="+13125550199", action="opt_in", source="form")
        self.tag = Tag.objects.get(group=self.local, name="contract")

    def draft(self, **extra: object) -> dict:
        return self.ok("POST", "texting_campaigns", {
            "title": "Contract vote", "script": SCRIPT,
            "targets": [{"href": f"http://testserver/api/v2/tags/{self.tag.public_id}"}], **extra}, status=201)

    def test_write_launch_and_read_the_answers(self) -> None:
        draft = self.draft()
        campaign_id = draft["identifiers"][0].split(":")[1]
        self.assertEqual((draft["status"], draft["statistics"]["contacts"]), ("draft", 0))
        launched = self.ok("POST", f"texting_campaigns/{campaign_id}/launch")
        self.assertEqual((launched["status"], launched["statistics"]["contacts"]), ("live", 1))  # the stranger: no
        again = self.api("POST", f"texting_campaigns/{campaign_id}/launch")
        self.assertEqual(again.status_code, 409)
        campaign = TextingCampaign.objects.get()
        services.add_question(actor=self.organizer, campaign=campaign, prompt="Voting yes?",
                              choices="Yes | vote-yes\nNo")
        texter, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        services.take_batch(texter=texter, size=5)
        conversation = Conversation.objects.get()
        services.send_first(texter=texter, conversation_id=conversation.pk)
        services.record_answer(texter=texter, conversation_id=conversation.pk,
                               choice_id=campaign.questions.get().choices.get(label="Yes").pk)
        page = self.ok("GET", f"texting_campaigns/{campaign_id}/conversations")
        row = page["_embedded"]["turnout:conversations"][0]
        self.assertEqual((row["status"], row["texter"]), ("sent", "Ann"))
        self.assertEqual(row["survey_responses"][0]["answer"], "Yes")
        self.assertTrue(row["_links"]["osdi:person"]["href"].endswith(str(self.member.public_id)))
        self.assertNotIn("+12065550123", str(page))
        self.assertIsNone(row["result"])
        services.record_result(texter=texter, conversation_id=conversation.pk,
                               code_id=next(c.pk for c in results.built_in() if c.key == "talked"))
        one = self.ok("GET", f"texting_campaigns/{campaign_id}/conversations/{conversation.pk}")
        self.assertEqual(one["survey_responses"][0]["tag"], "vote-yes")
        self.assertEqual(one["result"], {"key": "talked", "label": "Talked"})
        read = self.ok("GET", f"texting_campaigns/{campaign_id}")
        self.assertEqual(read["questions"][0]["answers"][0], {"answer": "Yes", "tag": "vote-yes", "total": 1})
        self.assertEqual(read["statistics"]["sent"], 1)

    def test_a_script_the_launch_refuses_says_what_to_fix(self) -> None:
        draft = self.draft(script="Hi {first_name}, vote yes Friday!")
        campaign_id = draft["identifiers"][0].split(":")[1]
        refused = self.api("POST", f"texting_campaigns/{campaign_id}/launch")
        self.assertEqual(refused.status_code, 409)
        self.assertIn("must name the organization", refused.json()["error"])
        self.assertIn("must say how to opt out", refused.json()["error"])
        fixed = self.ok("PUT", f"texting_campaigns/{campaign_id}", {"script": SCRIPT})
        self.assertEqual(fixed["script"], SCRIPT)
        self.assertEqual(self.ok("POST", f"texting_campaigns/{campaign_id}/launch")["status"], "live")
        locked = self.api("PUT", f"texting_campaigns/{campaign_id}", {"script": SCRIPT + " Thanks!"})
        self.assertEqual(locked.status_code, 409)

    def test_bad_input_is_a_clear_400(self) -> None:
        unknown = self.api("POST", "texting_campaigns", {"title": "X", "script": "Hi {nickname}, Local 8. Reply STOP"})
        self.assertEqual(unknown.status_code, 400)
        self.assertIn("{nickname}", unknown.json()["error"])
        missing = self.api("POST", "texting_campaigns", {"title": "X"})
        self.assertEqual(missing.status_code, 400)
        self.assertFalse(TextingCampaign.objects.exists())

    def test_other_tokens_see_nothing_and_a_viewer_cannot_launch(self) -> None:
        campaign_id = self.draft()["identifiers"][0].split(":")[1]
        self.assertEqual(self.api("GET", f"texting_campaigns/{campaign_id}", key=self.outsider_key).status_code, 404)
        self.assertEqual(self.ok("GET", "texting_campaigns", key=self.outsider_key)["total_records"], 0)
        self.assertEqual(self.api("POST", f"texting_campaigns/{campaign_id}/launch",
                                  key=self.viewer_key).status_code, 403)
        self.assertEqual(self.ok("GET", f"texting_campaigns/{campaign_id}", key=self.viewer_key)["status"], "draft")

    def test_one_campaign_through_both_doors(self) -> None:
        """Written through the API, launched in the console; written in the console, read through the API."""
        campaign_id = self.draft()["identifiers"][0].split(":")[1]
        self.login(self.organizer)
        self.client.post(f"/texting/{campaign_id}/launch/")
        self.assertEqual(self.ok("GET", f"texting_campaigns/{campaign_id}")["status"], "live")
        self.client.post("/texting/new/", {"title": "Console campaign", "from_group": self.local.pk,
                                           "script": SCRIPT, "reassign_after": "20", "tag": "contract",
                                           "senders": "+12065550000"})
        titles = {c["title"] for c in self.ok("GET", "texting_campaigns")["_embedded"]["turnout:texting_campaigns"]}
        self.assertEqual(titles, {"Contract vote", "Console campaign"})

    def test_a_phone_bank_through_the_api_and_a_caller_s_result_read_back(self) -> None:
        """A phone bank written and launched through the API is the console's: a caller given a
        contact records how the call went, and the API reads the call and the result back."""
        draft = self.draft(**{"turnout:channel": "phone", "script": "Hi {first_name}, it's {texter_first_name} "
                                                                    "from Local 8 about Friday's vote."})
        self.assertEqual((draft["turnout:channel"], draft["turnout:senders"]), ("phone", []))
        self.assertEqual(draft["turnout:calling_hours"], {"from": 10, "until": 20})
        campaign_id = draft["identifiers"][0].split(":")[1]
        launched = self.ok("POST", f"texting_campaigns/{campaign_id}/launch")
        self.assertEqual((launched["status"], launched["statistics"]["contacts"]), ("live", 1))
        changed = self.api("PUT", f"texting_campaigns/{campaign_id}", {"turnout:channel": "sms"})
        self.assertEqual(changed.status_code, 409)
        # Calling hours change while the bank runs: the console shows the same hours.
        later = self.ok("PUT", f"texting_campaigns/{campaign_id}", {"turnout:calling_hours": {"from": 12}})
        self.assertEqual(later["turnout:calling_hours"], {"from": 12, "until": 20})
        for hours, says in (({"from": 20, "until": 9}, "must end after they start"), ("9-5", "must be an object"),
                            ({"until": 25}, "from 1 to 24")):
            refused = self.api("PUT", f"texting_campaigns/{campaign_id}", {"turnout:calling_hours": hours})
            self.assertEqual(refused.status_code, 400)
            self.assertIn(says, refused.json()["error"] if "error" in refused.json() else str(refused.json()))
        self.login(self.organizer)
        self.assertContains(self.client.get(f"/texting/{campaign_id}/"), "Calls from 12:00 to 20:00")
        self.client.logout()
        bad = self.api("POST", "texting_campaigns", {"title": "x", "script": "y", "turnout:channel": "fax"})
        self.assertEqual(bad.status_code, 400)
        campaign = TextingCampaign.objects.get(public_id=campaign_id)
        caller, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        self.assertEqual(services.take_batch(texter=caller, size=25), 1)  # one contact at a time
        conversation = Conversation.objects.get()
        services.save_call(texter=caller, conversation_id=conversation.pk,
                           code_id=next(c.pk for c in results.built_in() if c.key == "talked"), choice_ids=[])
        row = self.ok("GET", f"texting_campaigns/{campaign_id}/conversations")["_embedded"]["turnout:conversations"][0]
        self.assertEqual((row["status"], row["texter"], row["turnout:calls"], row["result"]["key"]),
                         ("answered", "Ann", 1, "talked"))
        self.assertEqual(self.ok("GET", f"texting_campaigns/{campaign_id}")["statistics"]["reached"], 1)

    def test_a_door_knocking_campaign_s_turfs_and_results_through_the_api(self) -> None:
        """Turfs cut in the console are read through the API with their progress; a door's result
        synced from a canvasser's phone is the conversation's result."""
        from turnout.texting import doors

        self.member.address_line1 = "101 Pine St"
        self.member.save()
        draft = self.draft(**{"turnout:channel": "door", "script": "Hi {first_name}, it's {texter_first_name} "
                                                                   "from Local 8."})
        campaign_id = draft["identifiers"][0].split(":")[1]
        self.assertEqual(self.ok("POST", f"texting_campaigns/{campaign_id}/launch")["statistics"]["contacts"], 1)
        campaign = TextingCampaign.objects.get(public_id=campaign_id)
        doors.cut(actor=self.organizer, campaign=campaign, doors=10)
        canvasser, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        turf = campaign.turfs.get()
        doors.assign(actor=self.organizer, turf=turf, canvassers=[canvasser])
        talked = next(c.pk for c in results.built_in() if c.key == "talked")
        doors.sync(texter=canvasser, results=[{"client_id": "7d5cf0f8-7f7c-4b43-9a55-3c1a4c3f1e01",
                                               "contact": Conversation.objects.get().pk, "result": talked,
                                               "revision": 1}])
        page = self.ok("GET", f"texting_campaigns/{campaign_id}/turfs")
        row = page["_embedded"]["turnout:turfs"][0]
        self.assertEqual((row["name"], row["doors"], row["knocked"], row["reached"], row["canvassers"]),
                         (turf.name, 1, 1, 1, ["Ann"]))
        conversation = self.ok("GET", f"texting_campaigns/{campaign_id}/conversations")["_embedded"][
            "turnout:conversations"][0]
        self.assertEqual((conversation["result"]["key"], conversation["turnout:calls"]), ("talked", 1))
