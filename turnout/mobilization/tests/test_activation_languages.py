"""What an activation says in each language, what its preview and board count, the events it may link,
who may join a network by phone alone, and merge fields in every message: through the console, the
public page and the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.test import override_settings

from turnout.api.tests.base import ApiTestCase
from turnout.events.models import Event
from turnout.events.services import save_event
from turnout.messaging import merge, outbox
from turnout.messaging.models import Delivery, Message
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.mobilization import services
from turnout.mobilization.models import Activation, Member, Network, Response
from turnout.people.models import Person, Subscription
from turnout.people.services import add_tag, record_consent
from turnout.site.testing import TurnoutTestCase, make_person

SECRET = "gateway-secret"
NOON_PACIFIC = datetime(2026, 11, 4, 20, 0, tzinfo=UTC)
SPANISH_REPLY = "Responda SI si puede venir, NO si no puede."
ENGLISH_REPLY = "Reply Y if you can come, N if you cannot."
WHAT = "Rally for Rosa's job: Westlake Park, 401 Pine St, today 6pm."


def member_of(network: Network, person: Person, phone: str | None = None) -> Member:
    if phone:
        record_consent(person=person, channel="sms", address=phone, action="opt_in", source="form",
                       text="Text me when the network is called on")
    return Member.objects.create(network=network, person=person, travel_miles=25)


@time_machine.travel(NOON_PACIFIC, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, ORGANIZATION_NAME="Local 8 Union")
class ActivationLanguageTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        member_of(self.network, self.member, phone="+12065550123")  # Maria, English
        self.ana = make_person(self.local, given_name="Ana", postal_code="98101", phone="+12065550188")
        Person.objects.filter(pk=self.ana.pk).update(language="es")
        self.ana.refresh_from_db()
        member_of(self.network, self.ana, phone="+12065550188")
        self.url = f"/mobilize/networks/{self.network.public_id}/activate/"

    def texts_to(self, number: str) -> list[str]:
        return [s.body for s in simple.outbox if s.to == number]

    def send(self, activation: Activation) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()

    def text_in(self, number: str, body: str, provider_id: str) -> None:
        raw = json.dumps({"id": provider_id, "from": number, "to": "+12065550000", "body": body}).encode()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                             headers={"X-Turnout-Signature": signature(raw, SECRET)})
        self.run_worker()

    # --- the Spanish text -------------------------------------------------------------------------

    def test_the_form_prefills_no_spanish_message_and_refuses_one_that_is_only_the_reply_instruction(self) -> None:
        self.login(self.organizer)
        page = self.client.get(self.url)
        self.assertNotContains(page, "Responda SI")
        response = self.client.post(self.url, {"title": "Rally", "body": WHAT, "body_es": SPANISH_REPLY,
                                               "channels": "sms"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Say what the action is, where and when")
        self.assertContains(response, "Rally for Rosa")  # what was typed is kept
        self.assertFalse(Activation.objects.exists())

    def test_a_spanish_member_gets_the_english_with_how_to_answer_in_spanish_when_no_spanish_was_written(
            self) -> None:
        self.login(self.organizer)
        self.client.post(self.url, {"title": "Rally", "body": WHAT, "body_es": "", "channels": "sms"})
        self.send(Activation.objects.get())
        self.assertEqual(self.texts_to("+12065550188")[0].split("\n")[:2], [WHAT, SPANISH_REPLY])
        self.assertEqual(self.texts_to("+12065550123")[0].split("\n")[:2], [WHAT, ENGLISH_REPLY])

    def test_a_draft_whose_spanish_is_only_the_reply_instruction_sends_the_english_to_spanish_members(self) -> None:
        activation = Activation.objects.create(network=self.network, title="Rally", body=WHAT, body_es=SPANISH_REPLY)
        self.send(activation)
        self.assertEqual(self.texts_to("+12065550188")[0].split("\n")[:2], [WHAT, SPANISH_REPLY])

    def test_the_organizers_spanish_goes_to_spanish_members_with_the_instruction_added_once(self) -> None:
        activation = Activation.objects.create(network=self.network, title="Rally", body=WHAT + " Reply Y or N.",
                                               body_es="Manifestación: Westlake Park, hoy 6pm.")
        self.send(activation)
        self.assertEqual(self.texts_to("+12065550188")[0].split("\n")[:2],
                         ["Manifestación: Westlake Park, hoy 6pm.", SPANISH_REPLY])
        english = self.texts_to("+12065550123")[0]
        self.assertTrue(english.startswith(WHAT + " Reply Y or N."))
        self.assertNotIn(ENGLISH_REPLY, english)  # the organizer asked already

    def test_the_preview_shows_each_languages_text_segments_and_people(self) -> None:
        third = make_person(self.local, given_name="Beto", phone="+12065550199")
        Person.objects.filter(pk=third.pk).update(language="es")
        member_of(self.network, third)  # no consent to texts: in the audience, not texted
        activation = Activation.objects.create(network=self.network, title="Rally", body="Hi {{ first_name }}! " + WHAT,
                                               body_es="¡Hola {first_name}! Manifestación hoy 6pm.")
        self.login(self.organizer)
        page = self.client.get(activation.get_absolute_url())
        self.assertContains(page, "Hi Maria! " + WHAT.replace("'", "&#x27;"))
        self.assertContains(page, "¡Hola Ana! Manifestación hoy 6pm.<br>" + SPANISH_REPLY)
        self.assertContains(page, 'data-testid="segments-es">2 segments per text (UCS-2)')
        self.assertContains(page, 'data-testid="segments-en">1 segment per text (GSM-7)')
        self.assertContains(page, "Texted to 1 person · 2 in the audience")  # Spanish: Ana; Beto did not consent
        self.assertContains(page, "Texted to 1 person · 1 in the audience")  # English: Maria
        preview = services.preview(activation)
        self.assertEqual([(p.language, p.people, p.textable) for p in preview.languages], [("en", 1, 1), ("es", 2, 1)])

    # --- the details for a yes --------------------------------------------------------------------

    def test_the_details_for_a_yes_come_in_the_members_language(self) -> None:
        event = save_event(actor=None, event=Event(group=self.local, title="Rally at Westlake Park",
                                                   postal_code="98101", venue="Westlake Park",
                                                   starts_at=NOON_PACIFIC + timedelta(hours=6)))
        self.login(self.organizer)
        self.client.post(self.url, {"title": "Rally", "body": WHAT, "channels": "sms", "event": event.pk,
                                    "followup": "Meet the marshals at the fountain.",
                                    "followup_es": "Encuentre a los coordinadores en la fuente."})
        activation = Activation.objects.get()
        self.assertEqual(activation.followup_es, "Encuentre a los coordinadores en la fuente.")
        self.send(activation)
        simple.outbox.clear()
        self.text_in("+12065550188", "Sí", "a1")
        self.text_in("+12065550123", "Y", "m1")
        spanish, english = self.texts_to("+12065550188")[0], self.texts_to("+12065550123")[0]
        self.assertTrue(spanish.startswith("Encuentre a los coordinadores en la fuente.\nRally at Westlake Park: mié"),
                        spanish)
        self.assertTrue(english.startswith("Meet the marshals at the fountain.\nRally at Westlake Park: Wed"), english)

    # --- who was asked ----------------------------------------------------------------------------

    def test_asked_counts_only_people_texted(self) -> None:
        # Someone with no number, someone who opted out, someone in New York at 10:30 p.m. (quiet hours).
        member_of(self.network, make_person(self.local, given_name="Nora"))
        out = make_person(self.local, given_name="Omar", phone="+12065550144")
        member_of(self.network, out, phone="+12065550144")
        record_consent(person=out, channel="sms", address="+12065550144", action="opt_out", source="keyword")
        late = make_person(self.local, given_name="Yusuf", postal_code="10001", phone="+12125550166")
        member_of(self.network, late, phone="+12125550166")
        activation = Activation.objects.create(network=self.network, title="Rally", body=WHAT)
        with time_machine.travel(datetime(2026, 11, 5, 3, 30, tzinfo=UTC), tick=False):  # 7:30 p.m. in Seattle
            self.send(activation)
            self.assertEqual(sorted(s.to for s in simple.outbox), ["+12065550123", "+12065550188"])
            board = services.board(activation)
            self.assertEqual((board.recipients, board.asked, board.no_answer), (5, 2, 2))
            self.login(self.organizer)
            page = self.client.get(activation.get_absolute_url())
            self.assertContains(page, 'data-testid="asked">2<')
            self.assertContains(page, "Of 5 people chosen, 2 were texted or emailed")
            network_page = self.client.get(self.network.get_absolute_url())
            self.assertContains(network_page, '<td data-label="Reached">2</td>')

    # --- the events an activation may link ----------------------------------------------------------

    def test_the_linked_event_list_tells_a_daily_meetings_days_apart_and_leaves_out_past_ones(self) -> None:
        for day in range(-2, 10):
            save_event(actor=None, event=Event(group=self.local, title="Daily info & action meeting",
                                               postal_code="98101", venue="Union hall",
                                               starts_at=NOON_PACIFIC + timedelta(days=day, hours=1)))
        self.login(self.organizer)
        page = self.client.get(self.url).content.decode()
        self.assertEqual(page.count("Daily info &amp; action meeting"), 10)  # not the two past days
        self.assertIn("Daily info &amp; action meeting — Wed, Nov 4, 1 p.m. PST", page)
        self.assertIn("Daily info &amp; action meeting — Fri, Nov 13, 1 p.m. PST", page)
        self.assertNotIn("Mon, Nov 2", page)

    # --- merge fields -----------------------------------------------------------------------------

    def test_both_merge_spellings_fill_and_an_unknown_field_is_refused_before_anything_is_sent(self) -> None:
        self.login(self.organizer)
        response = self.client.post(self.url, {"title": "Rally", "body": "Hi {{ first_name }}, {{ shift }} now.",
                                               "channels": "sms"})
        self.assertContains(response, "Unknown merge field {shift}")
        self.assertContains(response, "{{ shift }} now.")  # kept as typed
        self.assertFalse(Activation.objects.exists())
        # A draft that reached the database another way is refused at sending, and nobody is texted.
        bad = Activation.objects.create(network=self.network, title="Rally", body="Hi {{first_name}} {zip_code}")
        with self.assertRaisesMessage(services.MobilizationError, "{zip_code}"):
            services.activate(actor=self.organizer, activation=bad)
        self.assertFalse(Delivery.objects.exists())
        good = Activation.objects.create(network=self.network, title="Rally", body="Hi {{first_name}}, {name}: " + WHAT)
        self.send(good)
        self.assertTrue(self.texts_to("+12065550123")[0].startswith(f"Hi Maria, {self.member.display_name}: "))
        self.assertTrue(self.texts_to("+12065550188")[0].startswith("Hi Ana, "))

    def test_the_engine_fills_both_spellings_and_leaves_other_braces_alone(self) -> None:
        person = Person(given_name="Maria", family_name="Lopez")
        self.assertEqual(merge.fill("{{first_name}} {{  last_name }} { name } {first_name}", person),
                         "Maria Lopez Maria Lopez Maria")
        self.assertEqual(merge.fill("{{ shift }} {not a field}", person), "{{ shift }} {not a field}")
        self.assertEqual(merge.unknown("{{ shift }} {first_name} {shift} {zip}"), ["shift", "zip"])


# --- the network join's consent -----------------------------------------------------------------------


@override_settings(SMS_BACKEND="memory")
class NetworkConsentTests(ApiTestCase):
    def setUp(self) -> None:
        self.network = Network.objects.create(group=self.local, name="Rapid Response")

    def test_joining_with_only_a_phone_needs_the_text_box_ticked(self) -> None:
        form = {"given_name": "Rosa", "phone": "(206) 555-0142", "postal_code": "98104", "travel_miles": "10"}
        refused = self.client.post(self.network.public_url(), form)
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "tick the box to agree to texts")
        self.assertContains(refused, 'value="(206) 555-0142"')  # what was typed is kept
        self.assertFalse(Member.objects.exists())
        self.assertFalse(Person.objects.filter(given_name="Rosa").exists())
        joined = self.client.post(self.network.public_url(), {**form, "sms_consent": "on"})
        self.assertContains(joined, "we will reach you by the way you chose")
        self.assertEqual(Member.objects.get().person.phones.get().sms_status, Subscription.SUBSCRIBED)

    def test_joining_with_an_email_and_no_text_consent_is_told_it_will_be_emailed(self) -> None:
        joined = self.client.post(self.network.public_url(), {
            "given_name": "Rosa", "phone": "(206) 555-0142", "email": "rosa@example.org", "postal_code": "98104",
            "travel_miles": "10"})
        self.assertContains(joined, "we will email you; we will not text you")
        self.assertNotContains(joined, "the way you chose")
        self.assertEqual(Member.objects.count(), 1)

    def test_the_api_refuses_a_member_it_could_never_reach(self) -> None:
        url = f"networks/{self.network.public_id}/members"
        refused = self.api("POST", url, {"person": {"given_name": "Rosa", "phone_numbers": [{"number": "206-555-0142"}]}})
        self.assertEqual(refused.status_code, 400)
        self.assertIn("has not agreed to texts", refused.json()["error"])
        self.assertFalse(Person.objects.filter(given_name="Rosa").exists())
        self.ok("POST", url, {"person": {"given_name": "Rosa", "phone_numbers": [
            {"number": "206-555-0142", "status": "subscribed"}]}}, status=201)


# --- merge fields through the API and the message console ---------------------------------------------


@time_machine.travel(NOON_PACIFIC, tick=False)
@override_settings(SMS_BACKEND="memory")
class MergeFieldDoorsTests(ApiTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        add_tag(person=self.member, group=self.local, name="rapid-response")
        from turnout.people.models import Tag

        self.tag = Tag.objects.get(group=self.local, name="rapid-response")
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        member_of(self.network, self.member)

    def message(self, body: str) -> Any:
        return self.api("POST", "messages", {
            "type": "sms", "body": body, "targets": [{"href": f"http://testserver/api/v2/tags/{self.tag.public_id}"}]})

    def test_the_api_fills_double_braces_and_refuses_an_unknown_field(self) -> None:
        refused = self.message("Hi {{ shift_time }}")
        self.assertEqual(refused.status_code, 400)
        self.assertIn("{shift_time}", refused.json()["error"])
        self.assertFalse(Message.objects.exists())
        made = self.message("Hi {{ first_name }}, rally at 6")
        self.assertEqual(made.status_code, 201)
        message_id = made.json()["identifiers"][0].split(":")[1]
        with self.captureOnCommitCallbacks(execute=True):
            self.ok("POST", f"messages/{message_id}/send")
        self.run_worker()
        self.assertEqual(simple.outbox[0].body.split("\n")[0], "Hi Maria, rally at 6")
        activation = self.api("POST", "activations", {"network_id": str(self.network.public_id), "title": "Rally",
                                                      "body": "Hi {{ first_name }}", "followup_es": "{lugar}"})
        self.assertEqual(activation.status_code, 400)
        self.assertIn("{lugar}", activation.json()["error"])

    def test_the_console_refuses_an_unknown_field_and_previews_the_filled_text(self) -> None:
        self.login(self.organizer)
        form = {"channel": "sms", "from_group": self.local.pk, "tag": "rapid-response", "body": "Hi {{ shift }}"}
        refused = self.client.post("/messages/new/", form)
        self.assertContains(refused, "Unknown merge field {shift}")
        self.assertFalse(Message.objects.exists())
        made = self.client.post("/messages/new/", {**form, "body": "Hi {{ first_name }}, rally at 6"})
        message = Message.objects.get()
        self.assertRedirects(made, message.get_absolute_url())
        page = self.client.get(message.get_absolute_url())
        self.assertContains(page, 'data-testid="sample">Hi Maria, rally at 6<')
        self.assertEqual(outbox.render(message, self.member), "Hi Maria, rally at 6")
        # Nothing refused here was sent.
        self.assertEqual(simple.outbox, [])
        self.assertEqual(Response.objects.count(), 0)
