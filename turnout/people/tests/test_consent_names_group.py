"""The text-message consent box on a public page names the group whose page it is, and the words
kept in the consent ledger are the words the person saw."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from django.utils import timezone

from turnout.actions.models import Form, Petition, WorkingGroup
from turnout.events import services as events
from turnout.events.models import Event
from turnout.mobilization.models import Network, Pledge
from turnout.organizing.models import Campaign, Employer, Unit, Workplace
from turnout.people.models import ConsentEvent
from turnout.site.testing import TurnoutTestCase


def consent_label(page: str) -> str:
    found = re.search(r'<label for="id_sms_consent">([^<]*)</label>', page)
    assert found is not None, "the page has no text-message consent box"
    return html.unescape(found.group(1))


class ConsentNamesTheGroupTest(TurnoutTestCase):

    def setUp(self) -> None:
        self.local.name = "Bean Street Workers United"
        self.local.save()
        self.event = events.save_event(actor=None, event=Event(
            group=self.local, title="Rally", postal_code="98101", starts_at=timezone.now() + timedelta(days=3)))
        self.petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Heat now.")
        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee")
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike", postal_code="98101")
        self.campaign = Campaign.objects.create(group=self.local, name="Bean Street Workers", union_name="Local 8")
        Unit.objects.create(campaign=self.campaign, workplace=workplace)

    def pages(self) -> list[str]:
        return [self.event.public_url(), self.petition.public_url(),
                Form.objects.create(group=self.local, title="Sign up").public_url(),
                WorkingGroup.objects.create(group=self.local, name="Safety").public_url(),
                Network.objects.create(group=self.local, name="Rapid Response").public_url(),
                Pledge.objects.create(group=self.local, title="Strike pledge").public_url(),
                f"/organize/{self.local.slug}/", self.campaign.public_url()]

    def test_every_public_page_names_its_group_in_the_consent_box(self) -> None:
        for url in self.pages():
            with self.subTest(url=url):
                english = consent_label(self.client.get(url).content.decode())
                self.assertIn("Bean Street Workers United", english)
                self.assertNotIn("Turnout", english)
                self.assertIn("Msg & data rates may apply.", english)
                spanish = consent_label(self.client.get(url, headers={"accept-language": "es"}).content.decode())
                self.assertIn("Bean Street Workers United", spanish)
                self.assertIn("Pueden aplicarse tarifas", spanish)

    def test_the_consent_ledger_keeps_the_group_named_in_the_words_the_person_saw(self) -> None:
        self.client.post(self.petition.public_url(), {
            "given_name": "Rosa", "family_name": "Diaz", "phone": "206-555-0142", "sms_consent": "on"},
            headers={"accept-language": "es"})
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.event.public_url(), {
                "given_name": "Ana", "family_name": "Ruiz", "phone": "206-555-0143", "sms_consent": "on"})
        self.run_worker()
        self.settle_forms()
        petition = ConsentEvent.objects.get(channel="sms", address="+12065550142")
        self.assertEqual(petition.consent_text,
                         "Envíenme mensajes de texto sobre esta y otras acciones de Bean Street Workers United. "
                         "Pueden aplicarse tarifas de mensajes y datos. Responda STOP para dejar de recibirlos.")
        rsvp = ConsentEvent.objects.get(channel="sms", address="+12065550143")
        self.assertEqual(rsvp.consent_text, "Text me about this event and other actions from Bean Street Workers "
                                            "United. Msg & data rates may apply. Reply STOP to stop.")
