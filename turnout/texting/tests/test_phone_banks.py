"""Phone banks end to end: an organizer writes and launches one for an audience, volunteers join by
a link, are given one contact at a time in calling hours (never one another's), call from their own
phone and record how it went and the survey's answers, which land on the person's record."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from django.contrib.sessions.models import Session
from django.test import override_settings

from turnout.messaging import results as contact_results
from turnout.messaging.tests.test_twilio import fake_twilio
from turnout.people.models import ConsentEvent, ContactResult, Person, PhoneNumber, ResultCode
from turnout.site.testing import TurnoutTestCase, audit_summaries, make_person
from turnout.texting import services
from turnout.texting.models import Conversation, SurveyResponse, Texter, TextingCampaign

# Noon in Seattle, 3 p.m. in New York: calling hours everywhere in the contiguous US.
NOON_PACIFIC = datetime(2031, 3, 12, 19, 0, tzinfo=UTC)
SCRIPT = "Hi {first_name}, this is {texter_first_name}, a member of Local 8. The strike vote is Tuesday."


def code(key: str) -> ResultCode:
    return next(c for c in contact_results.built_in() if c.key == key)


class PhoneBankCase(TurnoutTestCase):
    """A local with five members to call, and the steps an organizer and a caller take."""

    def setUp(self) -> None:
        self.travel_to(NOON_PACIFIC)
        self.others = [make_person(self.local, given_name=f"Member{i}", phone=f"+1206555{i:04d}", postal_code="98101")
                       for i in range(1, 5)]

    # --- helpers ---------------------------------------------------------------------------------

    def draft(self, **extra: str) -> TextingCampaign:
        self.login(self.organizer)
        response = self.client.post("/texting/new/", {
            "channel": "phone", "title": "Strike vote calls", "from_group": self.local.pk, "script": SCRIPT,
            "script_es": "", "reassign_after": "10", "call_from": "10", "call_until": "20", **extra})
        self.assertEqual(response.status_code, 302, response.content[:3000])
        return TextingCampaign.objects.get()

    def launched(self, **extra: str) -> TextingCampaign:
        campaign = self.draft(**extra)
        response = self.client.post(f"/texting/{campaign.public_id}/launch/", follow=True)
        self.assertContains(response, "Launched")
        campaign.refresh_from_db()
        return campaign

    def join(self, campaign: TextingCampaign, name: str) -> str:
        self.login(self.organizer)
        page = self.client.post(f"/texting/{campaign.public_id}/invite/", follow=True)
        link = re.search(r'data-testid="invite-link">([^<]+)<', page.content.decode()).group(1)
        self.client.logout()
        form = self.client.get(link.replace("http://testserver", ""))
        self.assertContains(form, "Start calling")
        joined = self.client.post(link.replace("http://testserver", ""), {"name": name, "email": ""})
        self.assertEqual(joined.status_code, 302)
        return joined["Location"]

    def next_contact(self, own: str) -> str:
        """The caller presses Next contact; the page they land on."""
        return self.client.post(f"{own}take/", {"size": "1"}, follow=True).content.decode()

    def held(self, own: str) -> Conversation:
        return Conversation.objects.get(texter__key_hash=services.key_hash(own.strip("/").rsplit("/", 1)[-1]),
                                        status="assigned")



class PhoneBankTests(PhoneBankCase):
    # --- writing and launching -------------------------------------------------------------------

    def test_an_organizer_launches_a_phone_bank_for_everyone_with_a_number(self) -> None:
        nobody = make_person(self.local, given_name="NoPhone")  # no number: not called
        stopped = self.others[0]
        ContactResult.objects.create(person=stopped, group=self.local, code=code("do_not_contact"), channel="sms")
        self.login(self.organizer)
        form = self.client.get("/texting/new/?channel=phone")
        self.assertContains(form, "New phone bank")
        self.assertContains(form, 'name="call_from"')
        self.assertNotContains(form, 'name="senders"')
        campaign = self.draft()
        page = self.client.get(campaign.get_absolute_url())
        self.assertContains(page, "4 people will be called")  # Maria and three others; not the one not to contact
        self.assertContains(page, "Calls from 10:00 to 20:00")
        self.assertNotContains(page, "Canned responses")
        self.client.post(f"/texting/{campaign.public_id}/launch/")
        campaign.refresh_from_db()
        self.assertEqual((campaign.status, campaign.channel, campaign.contacts), ("live", "phone", 4))
        called = set(Conversation.objects.values_list("person_id", flat=True))
        self.assertNotIn(nobody.pk, called)
        self.assertNotIn(stopped.pk, called)
        self.assertNotIn(self.stranger.pk, called)  # another group's

    def test_calling_hours_that_end_before_they_start_are_a_form_error_with_what_was_typed_kept(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/texting/new/", {
            "channel": "phone", "title": "Late calls", "from_group": self.local.pk, "script": SCRIPT,
            "reassign_after": "10", "call_from": "20", "call_until": "9"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Calling hours must end after they start.")
        self.assertContains(response, "Late calls")
        self.assertFalse(TextingCampaign.objects.exists())

    # --- calling ---------------------------------------------------------------------------------

    def test_a_caller_calls_records_the_result_and_answers_and_gets_the_next_contact(self) -> None:
        campaign = self.launched()
        services.add_question(actor=self.organizer, campaign=campaign, prompt="Will you vote yes?",
                              choices="Yes | vote-yes | Thank you! Polls open at 7.\nNo")
        own = self.join(campaign, "Terry Caller")
        page = self.client.get(own)
        self.assertContains(page, "Next contact")
        self.assertNotContains(page, "tel:")
        page = self.next_contact(own)
        call = self.held(own)
        number = call.person.phones.get().number
        self.assertIn(f'href="tel:{number}"', page)
        self.assertIn(f"Hi {call.person.given_name}, this is Terry, a member of Local 8.", page)
        self.assertIn("Then say: Thank you! Polls open at 7.", page)
        # Each number a caller is given is an audited read of that person.
        self.assertIn("Caller Terry Caller was given this person's number to call", audit_summaries(call.person))
        yes = campaign.questions.get().choices.get(label="Yes")
        response = self.client.post(f"{own}c/{call.pk}/call/", {"result": code("talked").pk,
                                                                f"q{yes.question_id}": yes.pk, "then": "next"},
                                    follow=True)
        self.assertContains(response, "Saved: Talked.")
        call.refresh_from_db()
        self.assertEqual((call.status, call.attempts, call.result.key), ("answered", 1, "talked"))
        self.assertEqual(SurveyResponse.objects.get(conversation=call).choice, yes)
        self.assertTrue(call.person.taggings.filter(tag__name="vote-yes").exists())
        result = ContactResult.objects.get(person=call.person)
        self.assertEqual((result.channel, result.by, result.source_label), ("call", "Terry Caller",
                                                                            "Strike vote calls"))
        # The next contact is theirs at once, and the one just called is not handed out again.
        following = self.held(own)
        self.assertNotEqual(following.pk, call.pk)
        self.assertIn(f'href="tel:{following.person.phones.get().number}"', response.content.decode())
        self.assertContains(response, "1 call made")
        # The board counts the call and the person reached.
        self.login(self.organizer)
        board = self.client.get(campaign.get_absolute_url()).content.decode()
        self.assertRegex(board, r'data-testid="sent">1<')
        self.assertRegex(board, r'data-testid="reached">1<')
        self.assertRegex(board, r'data-testid="assigned">1<')

    def test_a_result_not_chosen_is_refused_with_the_answers_kept(self) -> None:
        campaign = self.launched()
        services.add_question(actor=self.organizer, campaign=campaign, prompt="Will you vote yes?",
                              choices="Yes\nNo")
        own = self.join(campaign, "Terry Caller")
        self.next_contact(own)
        call = self.held(own)
        no = campaign.questions.get().choices.get(label="No")
        response = self.client.post(f"{own}c/{call.pk}/call/", {f"q{no.question_id}": no.pk, "then": "next"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Choose how the call went.", status_code=400)
        self.assertRegex(response.content.decode(), rf'value="{no.pk}" checked')
        call.refresh_from_db()
        self.assertEqual((call.status, call.attempts), ("assigned", 0))
        # An answer from another campaign's question is refused, not stored.
        bad = self.client.post(f"{own}c/{call.pk}/call/", {"result": code("talked").pk, f"q{no.question_id}": "999999"})
        self.assertContains(bad, "Choose one answer for each question", status_code=400)
        self.assertFalse(SurveyResponse.objects.exists())

    def test_no_two_callers_hold_one_contact_and_a_caller_who_leaves_lets_it_go(self) -> None:
        campaign = self.launched()
        first, second = self.join(campaign, "Ann"), self.join(campaign, "Bo")
        self.next_contact(first)
        self.next_contact(second)
        a, b = self.held(first), self.held(second)
        self.assertNotEqual(a.person_id, b.person_id)
        # Pressing Next again while holding one hands out nothing more.
        self.next_contact(first)
        self.assertEqual(Conversation.objects.filter(texter=a.texter).count(), 1)
        # Ann walks away; past the hold (10 minutes) her contact goes to the next caller who asks.
        self.client.post(f"{second}c/{b.pk}/call/", {"result": code("talked").pk, "then": "stop"})
        self.travel_to(NOON_PACIFIC + timedelta(minutes=11))
        self.next_contact(second)
        self.assertEqual(self.held(second).pk, a.pk)
        # Ann comes back and saves a result for the contact Bo now holds: refused, nothing written.
        late = self.client.post(f"{first}c/{a.pk}/call/", {"result": code("refused").pk})
        self.assertContains(late, "no longer yours", status_code=400)
        self.assertFalse(ContactResult.objects.filter(person_id=a.person_id).exists())

    def test_contacts_are_given_only_in_calling_hours_in_their_own_zone(self) -> None:
        Person.objects.filter(pk__in=[p.pk for p in self.others]).delete()
        eastern = make_person(self.local, given_name="Nia", phone="+12125550111", postal_code="10001")
        self.travel_to(datetime(2031, 3, 12, 13, 30, tzinfo=UTC))  # 9:30 a.m. in New York, 6:30 in Seattle
        campaign = self.launched()
        own = self.join(campaign, "Terry Caller")
        page = self.next_contact(own)
        self.assertIn("Nobody is waiting to be called just now", page)
        self.travel_to(datetime(2031, 3, 12, 14, 30, tzinfo=UTC))  # 10:30 in New York, 7:30 in Seattle
        self.next_contact(own)
        self.assertEqual(self.held(own).person, eastern)

    def test_not_home_is_called_again_later_up_to_three_calls(self) -> None:
        Person.objects.filter(pk__in=[p.pk for p in self.others]).delete()
        campaign = self.launched()
        own = self.join(campaign, "Terry Caller")
        moment = NOON_PACIFIC
        for attempt in (1, 2, 3):
            self.next_contact(own)
            call = self.held(own)
            self.assertEqual(call.person, self.member)
            self.client.post(f"{own}c/{call.pk}/call/", {"result": code("not_home").pk, "then": "next"})
            call.refresh_from_db()
            self.assertEqual(call.attempts, attempt)
            if attempt < 3:
                self.assertEqual(call.status, "waiting")
                self.assertIn("Nobody is waiting", self.next_contact(own))  # not before three hours
                moment += timedelta(hours=3, minutes=1)
                self.travel_to(moment)
        self.assertEqual(call.status, "answered")  # three calls: done
        self.assertEqual(ContactResult.objects.filter(person=self.member).count(), 1)  # one result, the latest

    def test_do_not_contact_and_wrong_number_hold_across_every_channel(self) -> None:
        campaign = self.launched()
        own = self.join(campaign, "Terry Caller")
        self.next_contact(own)
        first = self.held(own)
        self.client.post(f"{own}c/{first.pk}/call/", {"result": code("do_not_contact").pk, "then": "next"})
        second = self.held(own)
        wrong = second.person.phones.get().number
        self.client.post(f"{own}c/{second.pk}/call/", {"result": code("wrong_number").pk, "then": "stop"})
        first.refresh_from_db()
        self.assertEqual(first.status, "opted_out")
        person = first.person
        self.assertEqual(set(ConsentEvent.objects.filter(person=person, action="opt_out")
                             .values_list("channel", "source")), {("sms", "result"), ("email", "result")})
        self.assertFalse(PhoneNumber.objects.filter(person=second.person, number=wrong).exists())
        # A later phone bank for the same people calls neither of them.
        TextingCampaign.objects.update(status="finished")
        again = services.create_campaign(actor=self.organizer, group=self.local, fields={
            "title": "Second round", "script": SCRIPT, "channel": "phone"})
        services.launch(actor=self.organizer, campaign=again, audience=Person.objects.in_group(self.local))
        called = set(Conversation.objects.filter(campaign=again).values_list("person_id", flat=True))
        self.assertEqual(called, {p.pk for p in [self.member, *self.others]} - {person.pk, second.person_id})

    def test_a_call_made_before_a_pause_is_still_recorded_and_texting_acts_are_refused(self) -> None:
        campaign = self.launched()
        own = self.join(campaign, "Terry Caller")
        self.next_contact(own)
        call = self.held(own)
        sent = self.client.post(f"{own}c/{call.pk}/send/", follow=True)
        self.assertContains(sent, "This campaign sends no texts.")
        # And the other way: a texter cannot record a call on a texting campaign.
        texting = services.create_campaign(actor=self.organizer, group=self.local, fields={
            "title": "Texts", "script": "Hi {first_name}, Local 8 here. Reply STOP to opt out."})
        texter, _key = services.join(key=services.invite(actor=self.organizer, campaign=texting)[1], name="Tex")
        with self.assertRaisesMessage(services.TextingError, "This campaign makes no calls."):
            services.save_call(texter=texter, conversation_id=call.pk, code_id=code("talked").pk, choice_ids=[])
        self.login(self.organizer)
        self.client.post(f"/texting/{campaign.public_id}/pause/", {"paused": "1"})
        self.client.logout()
        saved = self.client.post(f"{own}c/{call.pk}/call/", {"result": code("talked").pk, "then": "next"},
                                 follow=True)
        self.assertContains(saved, "Saved: Talked.")
        self.assertContains(saved, "paused")  # and no next contact while paused
        self.assertFalse(Conversation.objects.filter(status="assigned").exists())

    def test_a_caller_sees_only_the_contact_they_hold_and_a_paused_bank_gives_no_one(self) -> None:
        campaign = self.launched()
        own = self.join(campaign, "Terry Caller")
        page = self.next_contact(own)
        held = self.held(own)
        for other in Conversation.objects.exclude(pk=held.pk).select_related("person"):
            self.assertNotIn(other.person.phones.get().number, page)
        self.assertNotIn(held.person.family_name, page)
        self.client.post(f"{own}c/{held.pk}/give-back/")
        self.assertEqual(Conversation.objects.get(pk=held.pk).status, "waiting")
        self.login(self.organizer)
        self.client.post(f"/texting/{campaign.public_id}/pause/", {"paused": "1"})
        self.client.logout()
        page = self.next_contact(own)
        self.assertIn("paused", page)
        self.assertFalse(Conversation.objects.filter(status="assigned").exists())


SID, TOKEN = "AC00000000000000000000000000000001", "twilio-auth-token"


@override_settings(TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN, CALL_FROM="+12065550100")
class BridgedCallTests(PhoneBankCase):
    """Calls connected through Twilio Voice, faked at its HTTP boundary: Turnout rings the caller,
    then the member, and neither sees the other's number."""

    def test_a_bridged_call_rings_the_caller_then_the_member_and_shows_no_number(self) -> None:
        campaign = self.launched(bridged="on")
        self.assertTrue(campaign.bridged)
        own = self.join(campaign, "Terry Caller")
        page = self.next_contact(own)
        call = self.held(own)
        number = call.person.phones.get().number
        self.assertNotIn(number, page)
        self.assertNotIn("tel:", page)
        self.assertIn("Call me and connect", page)
        self.assertIn("Caller Terry Caller was given this person to call through Turnout (the number hidden)",
                      audit_summaries(call.person))
        with fake_twilio() as seen, override_settings(TWILIO_API_URL=seen["url"]):
            response = self.client.post(f"{own}c/{call.pk}/bridge/", {"phone": "(206) 555-0199"}, follow=True)
        self.assertContains(response, "Local 8 is calling you at (206) 555-0199. Answer, and you are connected.")
        self.assertNotContains(response, number)
        self.assertEqual(seen["paths"], [f"/2010-04-01/Accounts/{SID}/Calls.json"])
        form = seen["forms"][0]
        self.assertEqual((form["To"], form["From"]), ("+12065550199", "+12065550100"))
        twiml = ElementTree.fromstring(form["Twiml"])  # noqa: S314  (what Turnout itself sent)
        self.assertEqual(twiml.find("Say").text, f"Connecting you to {call.person.given_name}.")
        self.assertEqual(twiml.find("Dial").get("callerId"), "+12065550100")
        self.assertEqual(twiml.find("Dial/Number").text, number)
        # The caller's own number is asked once: the next contact's page has it filled in, and the
        # database keeps no copy of it.
        self.assertContains(response, 'value="(206) 555-0199"')
        self.assertNotIn("+12065550199", str(list(Texter.objects.values())))
        self.assertNotIn("555-0199", str([session.get_decoded() for session in Session.objects.all()]))
        self.client.post(f"{own}c/{call.pk}/call/", {"result": code("talked").pk, "then": "stop"})
        self.assertEqual(ContactResult.objects.get(person=call.person).code.key, "talked")

    def test_a_bad_number_or_a_refusal_from_twilio_is_a_clear_error_with_the_number_kept(self) -> None:
        campaign = self.launched(bridged="on")
        own = self.join(campaign, "Terry Caller")
        self.next_contact(own)
        call = self.held(own)
        with fake_twilio({"+12065550199": (400, {"code": 21215, "message": "Account not authorized to call"})}) as seen, \
                override_settings(TWILIO_API_URL=seen["url"]):
            bad = self.client.post(f"{own}c/{call.pk}/bridge/", {"phone": "555-01"})
            refused = self.client.post(f"{own}c/{call.pk}/bridge/", {"phone": "206 555 0199"})
        self.assertContains(bad, "is not a", status_code=400)
        self.assertContains(bad, 'value="555-01"', status_code=400)
        self.assertEqual(len(seen["forms"]), 1)  # the bad number never reached Twilio
        self.assertContains(refused, "The call could not be placed (Twilio 21215: Account not authorized to call)",
                            status_code=400)
        self.assertContains(refused, 'value="206 555 0199"', status_code=400)
        self.assertEqual(self.held(own).pk, call.pk)  # still theirs, to try again or record

    def test_bridged_calls_ring_only_north_american_numbers_and_not_without_end(self) -> None:
        campaign = self.launched(bridged="on")
        own = self.join(campaign, "Terry Caller")
        self.next_contact(own)
        call = self.held(own)
        with fake_twilio() as seen, override_settings(TWILIO_API_URL=seen["url"]):
            abroad = self.client.post(f"{own}c/{call.pk}/bridge/", {"phone": "+44 20 7946 0958"})
            first = self.client.post(f"{own}c/{call.pk}/bridge/", {"phone": "206 555 0199"})
            again = self.client.post(f"{own}c/{call.pk}/bridge/", {"phone": "206 555 0199"})
        self.assertContains(abroad, "in the US and Canada only", status_code=400)
        self.assertEqual(first.status_code, 302)
        self.assertContains(again, "A call is being connected", status_code=400)
        self.assertEqual(len(seen["forms"]), 1)

    @override_settings(TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="")
    def test_a_bridged_bank_without_twilio_cannot_launch(self) -> None:
        campaign = self.draft(bridged="on")
        page = self.client.get(campaign.get_absolute_url())
        self.assertContains(page, "Connecting calls through Turnout needs a Twilio account")
        self.client.post(f"/texting/{campaign.public_id}/launch/")
        campaign.refresh_from_db()
        self.assertEqual(campaign.status, "draft")
