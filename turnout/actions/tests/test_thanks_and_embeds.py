"""The thank-you page counts the others who stand behind an action in proper plural forms (English
and Spanish); the embed snippets staff copy to another site keep any title to an attribute."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

from django.test import override_settings
from django.utils import timezone

from turnout.actions.models import Form, Petition
from turnout.events.models import Event
from turnout.events.services import save_event
from turnout.mobilization.models import Pledge
from turnout.site.testing import TurnoutTestCase

HOSTILE = 'Fair pay "now" <script>alert(1)</script> & more'


class _Elements(HTMLParser):
    """Every element's tag and attributes, and the text of each textarea, as a browser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.textareas: dict[str, str] = {}
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "textarea":
            self._in = dict(attrs).get("id") or ""
            self.textareas[self._in] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self.textareas[self._in] += data


@override_settings(SMS_BACKEND="memory")
class StandingTogetherTests(TurnoutTestCase):
    def sign(self, petition: Petition, name: str, lang: str = "en") -> Any:
        return self.client.post(petition.public_url(), {"given_name": name, "email": f"{name.lower()}@example.org",
                                                        "postal_code": "98101"}, headers={"accept-language": lang})

    def test_the_first_signer_the_second_and_the_third(self) -> None:
        # A signature is counted once the worker has settled it: the page claims only what is
        # true whether the person is new, signed before, or is one of a crowd still being settled.
        petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Heat now.")
        self.assertContains(self.sign(petition, "Ana"), "You are among the first to stand behind “Fix the heat”.")
        self.assertContains(self.sign(petition, "Ben"), "You are among the first to stand behind “Fix the heat”.")
        self.settle_forms()
        third = self.sign(petition, "Cy")
        self.assertContains(third, "2 people stand behind “Fix the heat” so far.")
        self.settle_forms()
        self.assertContains(self.sign(petition, "Ana"), "3 people stand behind “Fix the heat” so far.")
        self.settle_forms()
        self.assertEqual(petition.signatures.count(), 3)  # Ana again: still one signature
        self.assertContains(self.client.get(petition.public_url()), "3 people have signed")

    def test_in_spanish(self) -> None:
        petition = Petition.objects.create(group=self.local, title="Calefacción", petition_text="Ya.")
        self.assertContains(self.sign(petition, "Ana", "es"), "Usted está entre las primeras personas en respaldar")
        self.settle_forms()
        self.assertContains(self.sign(petition, "Ben", "es"), "Hasta ahora 1 persona respalda “Calefacción”.")
        self.settle_forms()
        self.assertContains(self.sign(petition, "Cy", "es"), "Hasta ahora 2 personas respaldan “Calefacción”.")

    def test_a_pledge_says_it_the_same_way(self) -> None:
        pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We pledge.")
        self.client.post(pledge.public_url(), {"given_name": "Ana", "email": "ana@example.org"})
        self.settle_forms()
        response = self.client.post(pledge.public_url(), {"given_name": "Ben", "email": "ben@example.org"})
        self.assertContains(response, "1 person stands behind “Protect the results” so far.")


class EmbedSnippetTests(TurnoutTestCase):
    def assert_snippets_keep_the_title(self, staff_page: str) -> None:
        page = _Elements(self.client.get(staff_page).content.decode())
        snippets = {name: text for name, text in page.textareas.items() if name.startswith("embed-")}
        self.assertEqual(set(snippets), {"embed-script", "embed-iframe"})
        for name, snippet in snippets.items():
            pasted = _Elements(snippet)  # what another site's page makes of the copied snippet
            tags = [tag for tag, _attrs in pasted.elements]
            self.assertEqual(tags, ["div", "script"] if name == "embed-script" else ["iframe"], snippet)
            titled = pasted.elements[0][1]
            self.assertEqual(titled.get("data-title") or titled.get("title"), HOSTILE)
            self.assertNotIn("alert", pasted.elements[-1][1].get("src") or "")

    def test_a_petition_form_pledge_and_event_snippet(self) -> None:
        self.login(self.organizer)
        petition = Petition.objects.create(group=self.local, title=HOSTILE, petition_text="x")
        self.assert_snippets_keep_the_title(petition.get_absolute_url())
        form = Form.objects.create(group=self.local, title=HOSTILE)
        self.assert_snippets_keep_the_title(form.get_absolute_url())
        pledge = Pledge.objects.create(group=self.local, title=HOSTILE, text="x")
        self.assert_snippets_keep_the_title(pledge.get_absolute_url())
        event = save_event(actor=None, event=Event(group=self.local, title=HOSTILE, postal_code="98101",
                                                   starts_at=timezone.now() + timedelta(days=2)))
        self.assert_snippets_keep_the_title(event.get_absolute_url())

    def test_the_embedded_page_itself_escapes_the_title(self) -> None:
        petition = Petition.objects.create(group=self.local, title=HOSTILE, petition_text="x")
        page = self.client.get(f"{petition.public_url()}embed/").content.decode()
        self.assertNotIn("<script>alert(1)</script>", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page)
