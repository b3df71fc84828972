"""Peer-to-peer texting end to end: an organizer writes and launches a campaign, volunteers join by
a link, take contacts, send each first text by a click, answer replies that come back through the
signed gateway, and opt people out; the pool takes back what a texter leaves."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

from django.test import override_settings

from turnout.core.models import AuditEntry
from turnout.messaging import results as contact_results
from turnout.messaging import sending
from turnout.messaging.models import Delivery, Message
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.people.models import (
    ConsentEvent,
    ContactResult,
    Person,
    PhoneNumber,
    ResultCode,
    Subscription,
)
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_person
from turnout.texting import services
from turnout.texting.models import (
    Conversation,
    ConversationText,
    Texter,
    TexterInvite,
    TextingCampaign,
)

SECRET = "gateway-secret"
# Noon in Seattle, 3 p.m. in New York: inside quiet hours' window everywhere in the contiguous US.
NOON_PACIFIC = datetime(2031, 3, 12, 19, 0, tzinfo=UTC)
SCRIPT = "Hi {first_name}, it's {texter_first_name} with Local 8. Can you make the rally Friday? Reply STOP to opt out."


def consenting(person: Person) -> Person:
    number = person.phones.get().number
    record_consent(person=person, channel="sms", address=number, action="opt_in", source="form",
                   text="Text me about actions")
    return person


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, SMS_SENDERS=["+12065550000"])
class TextingTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.travel_to(NOON_PACIFIC)
        consenting(self.member)
        self.others = [consenting(make_person(self.local, given_name=f"Member{i}", phone=f"+1206555{i:04d}",
                                              postal_code="98101")) for i in range(1, 6)]

    # --- helpers ---------------------------------------------------------------------------------

    def post(self, path: str, data: dict[str, object] | None = None, **extra: object) -> object:
        """A texter's or organizer's POST, committed as in production (what it queues runs)."""
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(path, data or {}, **extra)

    def draft(self, script: str = SCRIPT, **audience: str) -> TextingCampaign:
        self.login(self.organizer)
        response = self.client.post("/texting/new/", {"title": "Rally turnout", "from_group": self.local.pk,
                                                      "script": script, "script_es": "", "reassign_after": "20",
                                                      "senders": ["+12065550000"], **audience})
        self.assertEqual(response.status_code, 302, response.content[:2000])
        return TextingCampaign.objects.get()

    def launched(self) -> TextingCampaign:
        campaign = self.draft()
        response = self.client.post(f"/texting/{campaign.public_id}/launch/", follow=True)
        self.assertContains(response, "Launched")
        campaign.refresh_from_db()
        return campaign

    def join(self, campaign: TextingCampaign, name: str = "Terry Volunteer") -> str:
        """Make an invitation link in the console, then join by it as a volunteer; the texter's own path."""
        self.login(self.organizer)
        page = self.client.post(f"/texting/{campaign.public_id}/invite/", follow=True)
        link = re.search(r'data-testid="invite-link">([^<]+)<', page.content.decode()).group(1)
        self.client.logout()
        joined = self.client.post(link.replace("http://testserver", ""), {"name": name, "email": ""})
        self.assertEqual(joined.status_code, 302)
        return joined["Location"]

    def text_in(self, body: str, number: str, provider_id: str) -> None:
        raw = json.dumps({"id": provider_id, "from": number, "to": "+12065550000", "body": body}).encode()
        with self.captureOnCommitCallbacks(execute=True):  # the hook's request commits, as in production
                response = self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                                        headers={"X-Turnout-Signature": signature(raw, SECRET)})
        self.assertEqual(response.status_code, 200)
        self.run_worker()

    # --- launching -------------------------------------------------------------------------------

    def test_a_first_text_without_the_organization_or_stop_or_too_long_cannot_launch(self) -> None:
        campaign = self.draft(script="Hi {first_name}, come to the rally! " + "Really. " * 70)
        page = self.client.get(campaign.get_absolute_url())
        problems = re.search(r'data-testid="problems">(.*?)</ul>', page.content.decode(), re.S).group(1)
        self.assertIn("must name the organization", problems)
        self.assertIn("must say how to opt out", problems)
        self.assertIn("segments long", problems)
        self.assertNotContains(page, "/launch/")
        refused = self.client.post(f"/texting/{campaign.public_id}/launch/", follow=True)
        self.assertContains(refused, "must name the organization")
        campaign.refresh_from_db()
        self.assertEqual((campaign.status, Conversation.objects.count()), ("draft", 0))

    def test_an_unknown_merge_field_is_refused_with_what_was_typed_kept(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/texting/new/", {"title": "Rally", "from_group": self.local.pk,
                                                      "script": "Hi {{ nickname }} from Local 8, reply STOP to stop",
                                                      "reassign_after": "20"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Unknown merge field {nickname}")
        self.assertContains(response, "Hi {{ nickname }} from Local 8")
        self.assertFalse(TextingCampaign.objects.exists())

    @override_settings(SMS_SENDERS=[], SMS_FROM="")
    def test_no_sender_number_cannot_launch(self) -> None:
        campaign = services.create_campaign(actor=self.organizer, group=self.local, fields={
            "title": "Rally", "script": SCRIPT, "senders": ["+12065550000"]})
        with self.assertRaisesMessage(services.TextingError, "No sender number"):
            services.launch(actor=self.organizer, campaign=campaign, audience=Person.objects.all())

    def test_launch_makes_one_conversation_per_consenting_number_of_the_senders_people(self) -> None:
        shared = make_person(self.local, given_name="Twin", phone="+12065550001", postal_code="98101")  # Member1's
        consenting(shared)
        make_person(self.local, given_name="Noconsent", phone="+12065559999")
        campaign = self.launched()
        people = set(Conversation.objects.filter(campaign=campaign).values_list("person__given_name", flat=True))
        self.assertEqual(people, {"Maria", "Member1", "Member2", "Member3", "Member4", "Member5"})
        self.assertNotIn("Zelda", people)  # another group's member
        self.assertEqual((campaign.status, campaign.contacts), ("live", 6))
        self.assertEqual(campaign.zones, ["America/Los_Angeles"])

    # --- texters ---------------------------------------------------------------------------------

    def test_a_texter_joins_takes_contacts_and_sends_each_first_text_with_a_click(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "3"})
        texter = Texter.objects.get()
        self.assertEqual(Conversation.objects.filter(texter=texter, status="assigned").count(), 3)
        page = self.client.get(inbox)
        self.assertContains(page, "it&#x27;s Terry with Local 8")
        for number in PhoneNumber.objects.values_list("number", flat=True):
            self.assertNotContains(page, number)
            self.assertNotContains(page, number[2:])
        self.assertNotContains(page, "@example.org")
        first = Conversation.objects.filter(texter=texter, status="assigned").order_by("pk").first()
        self.post(f"{inbox}c/{first.pk}/send/")
        self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        self.assertTrue(simple.outbox[0].body.startswith(f"Hi {first.person.given_name}, it's Terry with Local 8."))
        first.refresh_from_db()
        self.assertEqual(first.status, "sent")
        # A second click on the same contact (a double submit) sends nothing more.
        again = self.post(f"{inbox}c/{first.pk}/send/", follow=True)
        self.assertContains(again, "nothing was sent")
        self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        self.assertTrue(AuditEntry.objects.filter(target_type="person", action="create").exists())

    def test_two_texters_never_get_the_same_contact_and_none_is_skipped(self) -> None:
        campaign = self.launched()
        first, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        second, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Bo")
        self.assertEqual(services.take_batch(texter=first, size=4), 4)
        self.assertEqual(services.take_batch(texter=second, size=4), 2)
        held = list(Conversation.objects.values_list("texter_id", flat=True))
        self.assertEqual(sorted(held), sorted([first.pk] * 4 + [second.pk] * 2))
        self.assertEqual(services.take_batch(texter=second, size=4), 0)

    def test_contacts_where_it_is_quiet_hours_are_not_handed_out(self) -> None:
        campaign = self.launched()
        texter, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        self.travel_to(NOON_PACIFIC + timedelta(hours=10))  # 10 p.m. in Seattle
        self.assertEqual(services.take_batch(texter=texter, size=10), 0)
        self.travel_to(NOON_PACIFIC + timedelta(hours=21))  # 9 a.m. the next day
        self.assertEqual(services.take_batch(texter=texter, size=10), 6)

    def test_an_expired_or_withdrawn_invitation_says_so(self) -> None:
        campaign = self.launched()
        _made, key = services.invite(actor=self.organizer, campaign=campaign, days=1)
        self.travel_to(NOON_PACIFIC + timedelta(days=2))
        expired = self.client.get(f"/t/join/{key}/")
        self.assertContains(expired, "has expired", status_code=410)
        made, key = services.invite(actor=self.organizer, campaign=campaign)
        self.login(self.organizer)
        self.client.post(f"/texting/{campaign.public_id}/invite/{made.public_id}/revoke/")
        self.client.logout()
        withdrawn = self.client.post(f"/t/join/{key}/", {"name": "Late"})
        self.assertContains(withdrawn, "was withdrawn", status_code=410)
        self.assertFalse(Texter.objects.exists())
        self.assertEqual(self.client.get("/t/not-a-texter-key/").status_code, 404)
        self.assertEqual(TexterInvite.objects.filter(key_hash=key).count(), 0)  # only a hash is kept

    def test_a_reply_reaches_the_texter_who_answers_it_and_can_opt_the_person_out(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "2"})
        mine = list(Conversation.objects.filter(status="assigned").order_by("pk").select_related("person"))
        for conversation in mine:
            self.post(f"{inbox}c/{conversation.pk}/send/")
        self.run_worker()
        stamp = re.search(r'id="stamp" name="stamp" value="([^"]*)"', self.client.get(inbox).content.decode()).group(1)
        self.assertEqual(self.client.get(inbox + "changed/", {"stamp": stamp}).status_code, 204)
        replier = mine[0]
        self.text_in("Yes I'll be there, can I bring my kid?", replier.person.phones.get().number, "in-1")
        update = self.client.get(inbox + "changed/", {"stamp": stamp})
        self.assertEqual(update.status_code, 200)
        self.assertContains(update, "can I bring my kid?")
        self.assertContains(update, f'id="c{replier.pk}"')
        replier.refresh_from_db()
        self.assertEqual(replier.status, "replied")
        # Already on the page: only its thread is sent, swapped in place.
        shown = self.client.get(inbox + "changed/", {"stamp": "-", "shown": str(replier.pk)})
        self.assertNotContains(shown, f'id="c{replier.pk}"')
        self.assertContains(shown, f'id="thread-{replier.pk}" hx-swap-oob="true"')
        simple.outbox.clear()
        self.post(f"{inbox}c/{replier.pk}/reply/", {"body": "Of course, kids are welcome!"})
        self.run_worker()
        self.assertEqual([m.body for m in simple.outbox], ["Of course, kids are welcome!"])
        self.assertEqual(list(replier.texts.values_list("direction", flat=True)), ["out", "in", "out"])
        # The opt-out button: the consent ledger, and every later blast, hold it.
        self.post(f"{inbox}c/{replier.pk}/opt-out/")
        phone = replier.person.phones.get()
        self.assertEqual(phone.sms_status, Subscription.UNSUBSCRIBED)
        self.assertTrue(ConsentEvent.objects.filter(person=replier.person, action="opt_out").exists())
        blast = Message.objects.create(group=self.local, channel="sms", body="Rally moved to 7")
        sending.start_sending(actor=self.organizer, message=blast, audience=Person.objects.filter(pk=replier.person.pk))
        self.assertEqual(Delivery.objects.get(message=blast).status, Delivery.Status.SUPPRESSED)

    def test_the_send_button_is_answered_by_the_next_contacts_card(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "2"})
        first, second = Conversation.objects.filter(status="assigned").order_by("pk").select_related("person")
        card = self.post(f"{inbox}c/{first.pk}/send/", HTTP_HX_REQUEST="true")
        self.assertEqual(card.status_code, 200)  # the card itself, swapped in: no page reload
        self.assertContains(card, 'id="to-text"')
        self.assertContains(card, f"{inbox}c/{second.pk}/send/")
        self.assertContains(card, f"Hi {second.person.given_name}")
        self.assertRegex(card.content.decode(), r'data-testid="left">1<')
        again = self.post(f"{inbox}c/{first.pk}/send/", HTTP_HX_REQUEST="true")  # a double click
        self.assertContains(again, "nothing was sent")
        self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        self.post(f"{inbox}c/{second.pk}/send/", HTTP_HX_REQUEST="true")
        done = self.post(f"{inbox}c/{second.pk}/send/", HTTP_HX_REQUEST="true")
        self.assertContains(done, "Get contacts to text")

    @override_settings(SMS_SENDERS=["+12065550000::1"])
    def test_once_the_campaigns_numbers_have_sent_their_daily_cap_texters_are_told_to_come_back(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "3"})
        first, second, _third = Conversation.objects.filter(status="assigned").order_by("pk")
        self.post(f"{inbox}c/{first.pk}/send/")
        self.run_worker()  # the worker books the number: its one text of the day
        refused = self.post(f"{inbox}c/{second.pk}/send/", follow=True)
        self.assertContains(refused, "sent all the texts they may send today")
        self.assertContains(self.post(inbox + "take/", {"size": "3"}, follow=True), "come back tomorrow")
        self.assertEqual(Conversation.objects.get(pk=second.pk).status, "assigned")  # nothing marked sent
        self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        self.travel_to(NOON_PACIFIC + timedelta(days=1))
        self.post(f"{inbox}c/{second.pk}/send/")
        self.run_worker()
        self.assertEqual(len(simple.outbox), 2)

    def test_the_board_shows_how_long_replies_and_answers_take(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "1"})
        conversation = Conversation.objects.select_related("person").get(status="assigned")
        self.post(f"{inbox}c/{conversation.pk}/send/")
        self.run_worker()
        self.login(self.organizer)
        self.assertRegex(self.client.get(campaign.get_absolute_url()).content.decode(),
                         r'data-testid="reply-wait">\u2013<')
        self.travel_to(NOON_PACIFIC + timedelta(minutes=3, seconds=10))
        self.text_in("Count me in", conversation.person.phones.get().number, "in-1")
        self.travel_to(NOON_PACIFIC + timedelta(minutes=3, seconds=50))
        self.post(f"{inbox}c/{conversation.pk}/reply/", {"body": "Great, see you there!"})
        board = self.client.get(campaign.get_absolute_url()).content.decode()
        self.assertRegex(board, r'data-testid="reply-wait">3 min<')
        self.assertRegex(board, r'data-testid="answer-wait">40 s<')

    def test_a_conversation_left_unanswered_goes_back_to_the_pool(self) -> None:
        campaign = self.launched()
        first, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        second, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Bo")
        services.take_batch(texter=first, size=6)
        held = list(Conversation.objects.filter(texter=first).order_by("pk"))
        with self.captureOnCommitCallbacks(execute=True):
            services.send_first(texter=first, conversation_id=held[0].pk)
        self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        self.text_in("What time?", held[0].person.phones.get().number, "in-2")
        self.travel_to(NOON_PACIFIC + timedelta(minutes=21))
        # Bo asks: Ann's unanswered reply comes first, then the five she never texted.
        self.assertEqual(services.take_batch(texter=second, size=10), 6)
        self.assertEqual(Conversation.objects.filter(texter=second, status="replied").count(), 1)
        with self.assertRaisesMessage(services.TextingError, "no longer yours"):
            services.send_reply(texter=first, conversation_id=held[0].pk, body="6pm")
        self.assertEqual(ConversationText.objects.filter(direction="out").count(), 1)

    def test_a_supervisor_reassigns_and_pauses(self) -> None:
        campaign = self.launched()
        first, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        second, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Bo")
        services.take_batch(texter=first, size=2)
        held = list(Conversation.objects.filter(texter=first).values_list("pk", flat=True))
        self.login(self.organizer)
        self.client.post(f"/texting/{campaign.public_id}/reassign/",
                         {"conversation": [str(held[0])], "to": str(second.public_id)})
        self.assertEqual(Conversation.objects.get(pk=held[0]).texter, second)
        self.post(f"/texting/{campaign.public_id}/pause/", {"paused": "1"})
        with self.assertRaisesMessage(services.TextingError, "paused"):
            services.send_first(texter=first, conversation_id=held[1])
        self.assertEqual(simple.outbox, [])
        self.post(f"/texting/{campaign.public_id}/pause/", {"paused": "0"})
        with self.captureOnCommitCallbacks(execute=True):
            services.send_first(texter=first, conversation_id=held[1])
        self.run_worker()
        self.assertEqual(len(simple.outbox), 1)

    def test_a_survey_answer_tags_the_person_suggests_the_next_text_and_is_exported(self) -> None:
        campaign = self.launched()
        bad = self.client.post(f"/texting/{campaign.public_id}/questions/",
                               {"prompt": "Coming Friday?", "choices": "Yes | rally yes | See you {nickname}\nNo"})
        self.assertContains(bad, "Unknown merge field {nickname}", status_code=400)
        self.assertContains(bad, "Yes | rally yes | See you {nickname}\nNo</textarea>", status_code=400)  # as typed
        one = self.client.post(f"/texting/{campaign.public_id}/questions/", {"prompt": "Coming?", "choices": "Yes"})
        self.assertContains(one, "at least two answers", status_code=400)
        self.client.post(f"/texting/{campaign.public_id}/questions/", {
            "prompt": "Coming Friday?",
            "choices": "Yes | rally-yes | Great, {first_name}! Doors open at 5:30.\nNo | | \nMaybe"})
        self.client.post(f"/texting/{campaign.public_id}/canned/", {
            "title": "Parking", "body": "Parking is free on Union St, {first_name}."})
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "1"})
        conversation = Conversation.objects.get(status="assigned")
        self.post(f"{inbox}c/{conversation.pk}/send/")
        self.run_worker()
        self.text_in("Yes! Where do I park?", conversation.person.phones.get().number, "in-3")
        page = self.client.get(inbox).content.decode()
        self.assertIn("Coming Friday?", page)
        yes, no, _maybe = conversation.campaign.questions.get().choices.order_by("pk")
        self.post(f"{inbox}c/{conversation.pk}/answer/", {"choice": str(no.pk)})
        self.post(f"{inbox}c/{conversation.pk}/answer/", {"choice": str(yes.pk)})  # changed: one answer kept
        page = self.client.get(inbox).content.decode()
        name = conversation.person.given_name
        self.assertIn(f">Great, {name}! Doors open at 5:30.</textarea>", page)
        self.assertIn('aria-pressed="true">Yes<', page)
        self.assertTrue(conversation.person.taggings.filter(tag__name="rally-yes", tag__group=self.local).exists())
        simple.outbox.clear()
        canned = campaign.canned_responses.get()
        self.post(f"{inbox}c/{conversation.pk}/reply/", {"body": "", "canned": str(canned.pk)})
        self.run_worker()
        self.assertEqual([m.body for m in simple.outbox], [f"Parking is free on Union St, {name}."])
        self.login(self.organizer)
        board = self.client.get(campaign.get_absolute_url())
        self.assertContains(board, "<td>Yes")
        self.assertRegex(board.content.decode(), r"<td>Yes.*?</td><td>1</td>")
        export = list(csv.reader(io.StringIO(self.client.get(f"/texting/{campaign.public_id}/export.csv")
                                             .content.decode())))
        self.assertEqual(export[0], ["id", "first_name", "status", "texter", "sent_at", "replied_at", "flagged",
                                     "result", "Coming Friday?"])
        row = next(r for r in export if r[0] == str(conversation.person.public_id))
        self.assertEqual((row[1], row[2], row[3], row[-1]), (name, "answered", "Terry Volunteer", "Yes"))
        self.assertEqual(len(export), 7)  # every contact, answered or not

    def test_a_texter_who_is_away_is_emailed_their_link_when_a_reply_comes(self) -> None:
        from django.core import mail

        campaign = self.launched()
        _made, key = services.invite(actor=self.organizer, campaign=campaign)
        self.client.logout()
        with self.captureOnCommitCallbacks(execute=True):
            joined = self.client.post(f"/t/join/{key}/", {"name": "Terry", "email": "terry@example.net"})
        inbox = joined["Location"]
        self.assertEqual([m.to for m in mail.outbox], [["terry@example.net"]])
        self.assertIn(f"http://127.0.0.1:8000{inbox}", mail.outbox[0].body)  # TURNOUT_BASE_URL's default
        self.post(inbox + "take/", {"size": "2"})
        first, second = Conversation.objects.filter(status="assigned").select_related("person").order_by("pk")
        self.post(f"{inbox}c/{first.pk}/send/")
        self.post(f"{inbox}c/{second.pk}/send/")
        self.run_worker()
        # While the texter's inbox is open, a reply only shows there.
        self.text_in("Who is this?", first.person.phones.get().number, "in-4")
        self.assertEqual(len(mail.outbox), 1)
        self.travel_to(NOON_PACIFIC + timedelta(minutes=5))
        self.text_in("Yes", second.person.phones.get().number, "in-5")
        self.assertEqual(len(mail.outbox), 2)
        alert = mail.outbox[1]
        self.assertIn("a reply is waiting", alert.subject)
        self.assertIn(f"http://127.0.0.1:8000{inbox}", alert.body)
        self.assertNotIn(second.person.given_name, alert.body)  # nothing of the contact in an email
        self.text_in("And what time?", second.person.phones.get().number, "in-6")
        self.assertEqual(len(mail.outbox), 2)  # one alert for a burst of replies
        self.assertEqual(self.client.get(inbox).status_code, 200)  # the link in the email works

    def test_a_result_lands_on_the_persons_record_and_a_wrong_number_or_do_not_contact_holds_everywhere(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "3"})
        first, second, third = Conversation.objects.filter(status="assigned").select_related("person").order_by("pk")
        for conversation in (first, second, third):
            self.post(f"{inbox}c/{conversation.pk}/send/")
        self.run_worker()
        for conversation, n in ((first, 1), (second, 2), (third, 3)):
            self.text_in("Who is this?", conversation.person.phones.get().number, f"in-r{n}")
        page = self.client.get(inbox)
        self.assertContains(page, "Wrong number")
        codes = {code.key: code for code in contact_results.built_in()}
        wrong = codes["wrong_number"]
        number = first.person.phones.get().number
        # The number's real owner, on another group's record, who agreed to texts there.
        owner = consenting(make_person(self.other, given_name="Owner", phone=number))
        unlisted = self.post(f"{inbox}c/{third.pk}/result/", {"code": ""}, follow=True)
        self.assertContains(unlisted, "Choose one of the results listed")
        self.post(f"{inbox}c/{first.pk}/result/", {"code": str(wrong.pk)})
        self.post(f"{inbox}c/{first.pk}/result/", {"code": str(wrong.pk)})  # a second click: one result
        self.assertFalse(first.person.phones.exists())  # the number leaves this record
        self.assertEqual(owner.phones.get().sms_status, Subscription.SUBSCRIBED)  # its owner keeps their consent
        self.assertEqual(Conversation.objects.get(pk=first.pk).status, "opted_out")
        self.assertEqual(ContactResult.objects.get(person=first.person).code, wrong)
        # "Do not contact": every number and address of theirs, email included.
        email = second.person.emails.create(address="second@example.org", is_primary=True)
        record_consent(person=second.person, channel="email", address=email.address, action="opt_in", source="form")
        self.post(f"{inbox}c/{second.pk}/result/", {"code": str(codes["do_not_contact"].pk)})
        email.refresh_from_db()
        self.assertEqual((second.person.phones.get().sms_status, email.status),
                         (Subscription.UNSUBSCRIBED, Subscription.UNSUBSCRIBED))
        # A group's own result: staff add it, texters record it; the person's page shows it.
        self.login(self.organizer)
        self.client.post(f"/texting/{campaign.public_id}/results/", {"label": "Will vote yes"})
        own = ResultCode.objects.get(group=self.local)
        again = self.client.post(f"/texting/{campaign.public_id}/results/", {"label": "Wrong number"}, follow=True)
        self.assertContains(again, "There is already a result called")
        theirs = ResultCode.objects.create(group=self.other, key="theirs", label="Theirs")
        refused = self.post(f"{inbox}c/{third.pk}/result/", {"code": str(theirs.pk)}, follow=True)
        self.assertContains(refused, "Choose one of the results listed")
        self.post(f"{inbox}c/{third.pk}/result/", {"code": str(own.pk)})
        self.assertEqual(Conversation.objects.get(pk=third.pk).status, "replied")  # no effect: still to answer
        person_page = self.client.get(third.person.get_absolute_url())
        self.assertContains(person_page, "Will vote yes")
        self.assertContains(person_page, "Rally turnout · Terry Volunteer")
        board = self.client.get(campaign.get_absolute_url()).content.decode()
        self.assertRegex(board, r"<td>Wrong number</td><td>1</td>")
        self.assertRegex(board, r"<td>Will vote yes</td><td>1</td>")
        export = self.client.get(f"/texting/{campaign.public_id}/export.csv")
        rows = list(csv.DictReader(io.StringIO(export.content.decode())))
        self.assertEqual({row["result"] for row in rows}, {"Wrong number", "Do not contact", "Will vote yes", ""})

    def test_a_finished_campaigns_texts_notes_and_texter_emails_go_after_90_days(self) -> None:
        from turnout.site import retention

        campaign = self.launched()
        texter, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann",
                                     email="ann@example.net")
        services.take_batch(texter=texter, size=1)
        conversation = Conversation.objects.select_related("person").get(texter=texter)
        with self.captureOnCommitCallbacks(execute=True):
            services.send_first(texter=texter, conversation_id=conversation.pk)
        self.run_worker()
        self.text_in("I can't say this at work, my manager reads my phone", conversation.person.phones.get().number,
                     "in-ret")
        services.flag(texter=texter, conversation_id=conversation.pk, reason="Worried about the manager")
        conversation.refresh_from_db()
        services.review(actor=self.organizer, conversation=conversation, note="Offer to call instead", resolved=False)
        talked = next(code for code in contact_results.built_in() if code.key == "talked")
        services.record_result(texter=texter, conversation_id=conversation.pk, code_id=talked.pk)
        services.finish(actor=self.organizer, campaign=campaign)
        self.travel_to(NOON_PACIFIC + timedelta(days=30))
        self.assertEqual(retention.run().get("texting_texts"), 0)  # finished a month ago: all kept
        self.travel_to(NOON_PACIFIC + timedelta(days=91))
        self.assertEqual(retention.run()["texting_texts"], 2)
        conversation.refresh_from_db()
        self.assertEqual((conversation.flag_reason, conversation.note), ("", ""))
        self.assertFalse(ConversationText.objects.exists())
        self.assertEqual(Texter.objects.get().email, "")
        self.assertEqual((conversation.status, conversation.result_id), ("replied", talked.pk))  # the figures stay
        self.assertTrue(ContactResult.objects.filter(person=conversation.person).exists())

    def test_a_flagged_conversation_is_reviewed_and_the_texter_sees_the_note(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "1"})
        held = Conversation.objects.get(status="assigned")
        self.post(f"{inbox}c/{held.pk}/send/")
        self.run_worker()
        self.text_in("Are you a bot? My boss said not to talk to you", held.person.phones.get().number, "in-7")
        self.post(f"{inbox}c/{held.pk}/flag/", {"reason": "Mentions the boss"})
        self.login(self.organizer)
        board = self.client.get(campaign.get_absolute_url())
        self.assertContains(board, "Mentions the boss")
        page = self.client.get(f"/texting/{campaign.public_id}/c/{held.pk}/")
        self.assertContains(page, "My boss said not to talk to you")
        self.assertTrue(AuditEntry.objects.filter(action="view", target_type="person", actor=self.organizer).exists())
        self.client.post(f"/texting/{campaign.public_id}/c/{held.pk}/",
                         {"note": "Say you are a volunteer coworker, and offer the steward's number.", "resolved": "on"})
        held.refresh_from_db()
        self.assertFalse(held.flagged)
        self.client.logout()
        self.assertContains(self.client.get(inbox), "offer the steward&#x27;s number")
        # A viewer reads but cannot write; another group cannot read.
        self.login(self.outsider)
        self.assertEqual(self.client.get(f"/texting/{campaign.public_id}/c/{held.pk}/").status_code, 404)

    def test_a_merged_record_keeps_its_conversation(self) -> None:
        from turnout.people.services import merge_people

        campaign = self.launched()
        other = Conversation.objects.get(campaign=campaign, person__given_name="Member1").person
        keep = make_person(self.local, given_name="Member1", phone="+12065558888")
        merge_people(actor=self.organizer, keep=keep, other=other)
        self.assertEqual(Conversation.objects.get(campaign=campaign, person=keep).person, keep)
        self.assertEqual(Conversation.objects.filter(campaign=campaign).count(), 6)

    def test_a_reply_no_conversation_expects_goes_to_the_staff_inbox(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "6"})
        newcomer = consenting(make_person(self.local, given_name="Nadia", phone="+12065550190"))  # not in it
        self.text_in("Is the meeting still on?", "+12065550190", "in-8")
        self.text_in("Who is this?", "+14155550100", "in-9")  # a number nobody here holds
        self.assertEqual(ConversationText.objects.count(), 0)
        self.assertEqual(self.client.get(inbox + "changed/", {"stamp": "-"}).status_code, 204)
        self.login(self.organizer)
        staff_inbox = self.client.get("/messages/inbox/")
        self.assertContains(staff_inbox, newcomer.display_name)
        self.assertNotContains(staff_inbox, "Who is this?")  # no group's to read

    @override_settings(SMS_SENDERS=["+12065550000", "+13125550000", "+14155550000"])  # unpaced: the clock stands still
    def test_each_contact_is_texted_from_the_campaigns_number_with_their_area_code(self) -> None:
        chicago = consenting(make_person(self.local, given_name="Cleo", phone="+13125550111", postal_code="60608"))
        campaign = self.draft()
        page = self.client.get("/texting/new/")
        self.assertContains(page, 'value="+14155550000"')  # the organization's numbers to choose from
        services.update_campaign(actor=self.organizer, campaign=campaign,
                                 fields={"senders": ["+12065550000", "+13125550000"]})
        self.post(f"/texting/{campaign.public_id}/launch/")
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "7"})
        for conversation in Conversation.objects.filter(status="assigned").order_by("pk"):
            self.post(f"{inbox}c/{conversation.pk}/send/")
        self.run_worker()
        senders = {text.to: text.sender for text in simple.outbox}
        self.assertEqual(senders[chicago.phones.get().number], "+13125550000")
        self.assertEqual(senders[self.member.phones.get().number], "+12065550000")
        self.assertEqual(set(senders.values()), {"+12065550000", "+13125550000"})  # never the campaign's others

    def test_a_campaign_without_a_number_cannot_launch(self) -> None:
        campaign = self.draft()
        services.update_campaign(actor=self.organizer, campaign=campaign, fields={"senders": []})
        self.assertContains(self.client.get(campaign.get_absolute_url()), "Choose the numbers the campaign texts from")

    def test_a_texter_answers_once_per_reply_and_nothing_while_paused(self) -> None:
        campaign = self.launched()
        texter, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        services.take_batch(texter=texter, size=1)
        held = Conversation.objects.get(texter=texter)
        with self.assertRaisesMessage(services.TextingError, "nothing was sent"):
            services.send_reply(texter=texter, conversation_id=held.pk, body="Hello again?")  # never texted
        with self.captureOnCommitCallbacks(execute=True):
            services.send_first(texter=texter, conversation_id=held.pk)
        self.run_worker()
        with self.assertRaisesMessage(services.TextingError, "nothing was sent"):
            services.send_reply(texter=texter, conversation_id=held.pk, body="Hello? Hello?")
        self.text_in("Maybe", held.person.phones.get().number, "in-10")
        services.send_reply(texter=texter, conversation_id=held.pk, body="Thanks!")
        with self.assertRaisesMessage(services.TextingError, "nothing was sent"):
            services.send_reply(texter=texter, conversation_id=held.pk, body="And another thing")
        services.add_question(actor=self.organizer, campaign=campaign, prompt="Coming?", choices="Yes|coming\nNo")
        services.set_paused(actor=self.organizer, campaign=campaign, paused=True)
        with self.assertRaisesMessage(services.TextingError, "paused"):
            services.record_answer(texter=texter, conversation_id=held.pk,
                                   choice_id=campaign.questions.get().choices.first().pk)
        self.assertFalse(held.person.taggings.exists())

    def test_a_removed_texter_and_a_finished_campaign_close_the_links(self) -> None:
        campaign = self.launched()
        ann = self.join(campaign, name="Ann")
        bo = self.join(campaign, name="Bo")
        self.post(ann + "take/", {"size": "3"})
        self.post(bo + "take/", {"size": "1"})
        held = Conversation.objects.get(texter__name="Bo")
        self.post(f"{bo}c/{held.pk}/send/")
        self.run_worker()
        self.login(self.organizer)
        ann_texter = Texter.objects.get(name="Ann")
        self.client.post(f"/texting/{campaign.public_id}/texters/{ann_texter.public_id}/remove/")
        self.assertEqual(Conversation.objects.filter(status="waiting").count(), 5)
        self.client.post(f"/texting/{campaign.public_id}/finish/")  # not ticked
        self.assertEqual(TextingCampaign.objects.get().status, "live")
        self.client.post(f"/texting/{campaign.public_id}/finish/", {"confirm": "on"})
        self.assertEqual(TextingCampaign.objects.get().status, "finished")
        self.client.logout()
        self.assertContains(self.client.get(ann), "has closed this texting link", status_code=410)
        self.assertContains(self.client.get(bo), "campaign has finished", status_code=410)
        self.assertContains(self.client.post(bo + "take/", {"size": "5"}), "campaign has finished", status_code=410)
        polled = self.client.get(bo + "changed/", {"stamp": "-"}, HTTP_HX_REQUEST="true")
        self.assertEqual((polled.status_code, polled["HX-Refresh"]), (410, "true"))  # the page reloads and says why
        self.assertEqual(self.client.get("/t/never-a-texter/").status_code, 404)
        self.text_in("Sorry I missed this", held.person.phones.get().number, "in-11")
        self.assertFalse(ConversationText.objects.filter(direction="in").exists())  # for staff now

    def test_a_reply_to_a_later_blast_is_not_the_texters(self) -> None:
        campaign = self.launched()
        texter, _key = services.join(key=services.invite(actor=self.organizer, campaign=campaign)[1], name="Ann")
        services.take_batch(texter=texter, size=1)
        held = Conversation.objects.get(texter=texter)
        with self.captureOnCommitCallbacks(execute=True):
            services.send_first(texter=texter, conversation_id=held.pk)
        self.run_worker()
        blast = Message.objects.create(group=self.local, channel="sms", body="Grievance meeting moved to Thursday",
                                       ignore_quiet_hours=True, override_reason="test")
        with self.captureOnCommitCallbacks(execute=True):
            sending.start_sending(actor=self.organizer, message=blast,
                                  audience=Person.objects.filter(pk=held.person_id))
        self.travel_to(NOON_PACIFIC + timedelta(minutes=1))
        self.run_worker()
        self.text_in("I have a grievance about my supervisor", held.person.phones.get().number, "in-12")
        self.assertFalse(ConversationText.objects.filter(direction="in").exists())

    def test_a_campaign_reaches_only_its_own_groups_people(self) -> None:
        from turnout.site.testing import make_group

        sibling = make_group("Local 9", parent=self.council)
        consenting(make_person(sibling, given_name="Sam", phone="+12065550188"))
        self.login(self.admin)  # the council's admin sees both locals
        response = self.client.post("/texting/new/", {"title": "Rally", "from_group": self.local.pk, "script": SCRIPT,
                                                      "reassign_after": "20", "senders": ["+12065550000"]})
        campaign = TextingCampaign.objects.get()
        self.assertEqual(response.status_code, 302)
        self.assertContains(self.client.get(campaign.get_absolute_url()), "6 numbers will be texted")
        self.client.post(f"/texting/{campaign.public_id}/launch/")
        self.assertFalse(Conversation.objects.filter(person__given_name="Sam").exists())

    def test_odd_input_is_a_clear_answer_not_an_error(self) -> None:
        campaign = self.launched()
        inbox = self.join(campaign)
        self.post(inbox + "take/", {"size": "²"})
        held = Conversation.objects.filter(status="assigned").first()
        for path, data in ((f"{inbox}c/{held.pk}/reply/", {"body": "", "canned": "²"}),
                           (f"{inbox}c/{held.pk}/answer/", {"choice": "²"}),
                           (f"{inbox}c/{'9' * 30}/send/", {}), (f"{inbox}c/{'9' * 30}/reply/", {"body": "hi"})):
            self.assertIn(self.post(path, data).status_code, (302, 404), path)
        self.login(self.organizer)
        self.assertEqual(self.client.get(f"/texting/{campaign.public_id}/c/{'9' * 30}/").status_code, 404)
        moved = self.client.post(f"/texting/{campaign.public_id}/reassign/",
                                 {"conversation": ["²", "9" * 30], "to": "nope"})
        self.assertEqual(moved.status_code, 404)

    def test_a_texter_reaches_only_their_own_conversations(self) -> None:
        campaign = self.launched()
        theirs = self.join(campaign, name="Ann")
        mine = self.join(campaign, name="Bo")
        self.post(theirs + "take/", {"size": "2"})
        held = Conversation.objects.filter(texter__name="Ann").first()
        for action, data in (("send", {}), ("reply", {"body": "hi"}), ("opt-out", {})):
            refused = self.post(f"{mine}c/{held.pk}/{action}/", data, follow=True)
            self.assertContains(refused, "no longer yours")
        self.assertNotContains(self.client.get(mine), held.person.given_name)
        self.assertEqual((simple.outbox, held.person.phones.get().sms_status), ([], Subscription.SUBSCRIBED))

    def test_another_group_cannot_see_or_change_the_campaign(self) -> None:
        campaign = self.launched()
        self.login(self.outsider)
        self.assertEqual(self.client.get(campaign.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.post(f"/texting/{campaign.public_id}/invite/").status_code, 404)
        self.assertNotContains(self.client.get("/texting/"), "Rally turnout")
