"""The Content-Security-Policy: on every response, enforced, with a fresh nonce each time; framable
only where a page is meant to be embedded; templates that need nothing inline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone

from turnout.actions.models import Form, Petition
from turnout.events.models import Event
from turnout.events.services import save_event
from turnout.site.testing import TurnoutTestCase
from turnout.site.tests.helpers import REPO

POLICY = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
          "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


class PolicyTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.event = save_event(actor=None, event=Event(group=self.local, title="Rally", postal_code="98101",
                                                        starts_at=timezone.now() + timedelta(days=3)))

    def test_a_public_page_carries_the_policy_with_its_own_nonce(self) -> None:
        """The enforced header (not report-only) names the nonce that the page's <script> tags carry."""
        response = self.client.get(self.event.public_url())
        header = response["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", header).group(1)  # type: ignore[union-attr]
        self.assertEqual(header, POLICY.format(nonce=nonce))
        self.assertNotIn("Content-Security-Policy-Report-Only", response)
        self.assertIn(f'nonce="{nonce}"', response.text)

    def test_the_nonce_changes_with_every_request(self) -> None:
        """Two loads of the same page, by the same staffer, get two different nonces."""
        self.login(self.organizer)
        nonces = {re.search(r"'nonce-([^']+)'", self.client.get("/")["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
                  for _ in range(3)}
        self.assertEqual(len(nonces), 3)

    def test_every_kind_of_response_carries_it(self) -> None:
        """Console pages, a 404, the login page, JSON, the host's service worker: all under the policy."""
        self.login(self.organizer)
        for path in ("/people/", "/events/", "/no-such-page/", "/accounts/login/", "/health",
                     f"/host/{self.event.host_key}/sw.js"):
            with self.subTest(path=path):
                header = self.client.get(path)["Content-Security-Policy"]
                self.assertIn("default-src 'self'", header)
                self.assertIn("frame-ancestors 'none'", header)

    def test_the_csrf_failure_page_styles_itself_with_the_nonce(self) -> None:
        """Django's own CSRF page has an inline <style>; it carries the nonce the header allows."""
        client = Client(enforce_csrf_checks=True)
        response = client.post("/accounts/login/", {"username": "x", "password": "y"})
        self.assertEqual(response.status_code, 403)
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
        self.assertIn(f'<style nonce="{nonce}">', response.text)

    def test_embeds_may_be_framed_by_any_site_and_nothing_else_may(self) -> None:
        """…/embed/ pages answer frame-ancestors *, without X-Frame-Options; their public page is not framable."""
        petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Heat now.")
        for page in (self.event.public_url(), petition.public_url()):
            with self.subTest(page=page):
                embed = self.client.get(f"{page}embed/")
                self.assertEqual(directives(embed["Content-Security-Policy"])["frame-ancestors"], ["*"])
                self.assertNotIn("X-Frame-Options", embed)
                public = self.client.get(page)
                self.assertEqual(directives(public["Content-Security-Policy"])["frame-ancestors"], ["'none'"])
                self.assertEqual(public["X-Frame-Options"], "DENY")

    def test_a_form_that_sends_people_on_may_post_to_that_site(self) -> None:
        """A form with an address to go to after submitting lets its page's form go there, and only there."""
        form = Form.objects.create(group=self.local, title="Sign up", redirect_url="https://local8.example/thanks")
        for page in (form.public_url(), f"{form.public_url()}embed/"):
            with self.subTest(page=page):
                policy = directives(self.client.get(page)["Content-Security-Policy"])
                self.assertEqual(policy["form-action"], ["'self'", "https://local8.example"])
        plain = Form.objects.create(group=self.local, title="Updates")
        self.assertEqual(directives(self.client.get(plain.public_url())["Content-Security-Policy"])["form-action"],
                         ["'self'"])


class MapTilesTests(TurnoutTestCase):
    def settings_with(self, **env: str) -> dict[str, list[str]]:
        """SECURE_CSP as a fresh process reads it from the environment."""
        code = "import json; from django.conf import settings; print(json.dumps(settings.SECURE_CSP))"
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "turnout.settings", **env})
        return dict(json.loads(result.stdout))

    def test_images_may_come_from_the_configured_tile_server(self) -> None:
        """The tile server's origin joins img-src (Leaflet's {s} as any subdomain); nothing else widens."""
        policy = self.settings_with(TURNOUT_MAP_TILES_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png")
        self.assertEqual(policy["img-src"], ["'self'", "data:", "https://*.tile.example.org"])
        self.assertEqual(policy["default-src"], ["'self'"])
        self.assertEqual(settings.SECURE_CSP["img-src"], ["'self'", "data:"])  # none configured here


class TemplateTests(TurnoutTestCase):
    def test_no_template_has_inline_script_handlers_or_styles(self) -> None:
        """The policy would refuse them: behaviour goes in static files, sizes in data- attributes."""
        inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
        found = [f"{path.relative_to(REPO)}: {match.group(0)}"
                 for path in sorted((REPO / "turnout").glob("**/templates/**/*.html"))
                 for match in inline.finditer(path.read_text())]
        self.assertEqual(found, [])
