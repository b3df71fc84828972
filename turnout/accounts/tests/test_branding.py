"""A group's public name, colour and logo: set by its admins in the console, shown on its public pages,
in its emails' From and signature and in its texts; Turnout's own name stays on the console."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from turnout.accounts import services
from turnout.accounts.branding import brand_for
from turnout.accounts.models import Group, GroupLogo
from turnout.actions.models import Petition
from turnout.messaging import outbox
from turnout.messaging import services as messaging
from turnout.messaging.models import Message
from turnout.messaging.transports import simple
from turnout.people.models import Person
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, audit_summaries


def picture(kind: str = "PNG", size: tuple[int, int] = (400, 200), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (29, 78, 137)).save(out, format=kind, **save)
    return out.getvalue()


class BrandingTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.login(self.admin)

    def brand(self, **fields: Any) -> Any:
        data = {"brand": "1", "name": "Transit Workers Local 8", "accent_color": "#1d4e89", **fields}
        return self.client.post(self.local.get_absolute_url(), data)

    def test_an_admin_names_colours_and_gives_a_logo_that_its_public_pages_show(self) -> None:
        """The console's form changes the group; the petition page shows the name, colour and logo."""
        response = self.brand(logo=SimpleUploadedFile("logo.png", picture(), content_type="image/png"))
        self.assertRedirects(response, self.local.get_absolute_url())
        self.local.refresh_from_db()
        self.assertEqual((self.local.public_name, self.local.accent_color), ("Transit Workers Local 8", "#1d4e89"))
        self.assertIn("Changed the public name, accent color, logo", audit_summaries(self.local))

        petition = Petition.objects.create(group=self.local, title="Count every vote", petition_text="Count them.")
        page = self.client.get(petition.public_url()).content.decode()
        self.assertIn("<title>Count every vote · Transit Workers Local 8</title>", page)
        self.assertIn('data-testid="brand">', page)
        self.assertIn('<link rel="stylesheet" href="/groups/local-8/brand.css?c=1d4e89">', page)
        style = self.client.get("/groups/local-8/brand.css?c=1d4e89")
        self.assertEqual(style["Content-Type"], "text/css; charset=utf-8")
        self.assertEqual(style.content.decode(), ":root { --brand: #1d4e89; --brand-dark: #173e6e; }\n")
        logo_url = brand_for(self.local).logo_url
        self.assertIn(f'<img src="{logo_url}"', page)

        self.client.logout()  # a logo is public, like the page it is on
        logo = self.client.get(logo_url)
        self.assertEqual((logo.status_code, logo["Content-Type"]), (200, "image/png"))
        self.assertEqual(logo["X-Content-Type-Options"], "nosniff")
        self.assertEqual(Image.open(io.BytesIO(logo.content)).size, (320, 160))  # redrawn small

    def test_the_console_keeps_turnouts_own_name(self) -> None:
        self.brand()
        page = self.client.get(self.local.get_absolute_url()).content.decode()
        self.assertIn("· Turnout</title>", page)
        self.assertIn('<a class="brand" href="/">Turn<span>out</span></a>', page)
        self.assertNotIn("brand.css", page)

    def test_a_colour_that_is_not_one_or_too_light_for_white_text_is_refused_with_what_to_fix(self) -> None:
        for typed, error in (("blue", "Write the colour as # and six hexadecimal digits"),
                             ("#ffe066", "White text on this colour is hard to read")):
            response = self.brand(accent_color=typed)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, error)
            self.assertContains(response, f'value="{typed}"')  # what was typed is kept
        self.local.refresh_from_db()
        self.assertEqual((self.local.name, self.local.accent_color), ("Local 8", ""))
        self.assertContains(self.client.get(self.local.get_absolute_url()), "<h1>Local 8 ")  # the page around it

    def test_a_colour_without_its_hash_is_taken(self) -> None:
        self.brand(accent_color="1D4E89")
        self.local.refresh_from_db()
        self.assertEqual(self.local.accent_color, "#1d4e89")

    def test_a_logo_that_is_not_a_picture_too_big_or_an_svg_is_refused(self) -> None:
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        for upload, error in (
                (SimpleUploadedFile("logo.png", b"not a picture at all", content_type="image/png"),
                 "This file is not a picture Turnout can read"),
                (SimpleUploadedFile("logo.svg", svg, content_type="image/svg+xml"),
                 "This file is not a picture Turnout can read"),
                (SimpleUploadedFile("logo.bmp", picture("BMP"), content_type="image/bmp"),
                 "Send the logo as a PNG, JPEG, WebP or GIF picture"),
                (SimpleUploadedFile("logo.png", picture(size=(5000, 4000)), content_type="image/png"),
                 "The logo is too large"),
                (SimpleUploadedFile("logo.png", b"\x89PNG" + b"0" * (1024 * 1024 + 1), content_type="image/png"),
                 "The logo is larger than 1 MB")):
            response = self.brand(logo=upload)
            self.assertEqual(response.status_code, 200, upload.name)
            self.assertContains(response, error)
        self.assertFalse(GroupLogo.objects.exists())

    def test_a_logo_keeps_nothing_of_the_uploaded_files_metadata(self) -> None:
        """A phone photo's EXIF (where it was taken) is not kept: the logo is drawn again."""
        exif = Image.Exif()
        exif[0x010F] = "Phone maker"  # Make
        self.brand(logo=SimpleUploadedFile("logo.jpg", picture("JPEG", exif=exif.tobytes()), content_type="image/jpeg"))
        stored = Image.open(io.BytesIO(bytes(GroupLogo.objects.get(group=self.local).image)))
        self.assertEqual((stored.format, dict(stored.getexif())), ("PNG", {}))

    def test_an_organizer_cannot_change_the_brand_and_another_groups_admin_cannot_see_it(self) -> None:
        self.login(self.organizer)
        self.assertEqual(self.brand().status_code, 403)
        self.login(self.outsider)
        self.assertEqual(self.brand().status_code, 404)
        self.assertEqual(Group.objects.get(pk=self.local.pk).name, "Local 8")

    def test_the_admin_removes_the_logo(self) -> None:
        services.update_group_brand(actor=self.admin, group=self.local, name="Local 8", accent_color="",
                                    logo=(picture(), 400, 200))
        self.brand(remove_logo="on")
        self.assertFalse(GroupLogo.objects.exists())
        self.assertEqual(self.client.get("/groups/local-8/logo.png").status_code, 404)


# 11 a.m. in Seattle: a text is not held for quiet hours.
@time_machine.travel(datetime(2026, 11, 4, 19, tzinfo=UTC), tick=False)
@override_settings(SMS_BACKEND="memory", DEFAULT_FROM_EMAIL="Turnout <turnout@union.example>")
class BrandedMessagesTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        services.update_group_brand(actor=self.admin, group=self.local, name="Transit Workers Local 8",
                                    accent_color="#1d4e89")
        self.local.refresh_from_db()

    def send(self, channel: str, body: str) -> Message:
        message = Message.objects.create(group=self.local, channel=channel, subject="Rally Thursday", body=body)
        outbox.materialize(message, Person.objects.visible_to(self.organizer))
        outbox.dispatch(message)
        return message

    def test_an_email_comes_from_and_is_signed_by_the_group(self) -> None:
        record_consent(person=self.member, channel="email", address="maria@example.org", action="opt_in",
                       source="form", text="Email me")
        self.send("email", "Hi {first_name}, join us at 6.")
        sent = mail.outbox[0]
        self.assertEqual(sent.from_email, "Transit Workers Local 8 <turnout@union.example>")
        self.assertIn("\n--\nTransit Workers Local 8\n", sent.body)
        self.assertNotIn("Turnout", sent.body)

    def test_a_first_text_and_the_answer_to_help_name_the_group(self) -> None:
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form",
                       text="Text me")
        self.send("sms", "Rally at 6")
        self.assertEqual(simple.outbox[0].body, "Rally at 6\nTransit Workers Local 8: reply STOP to stop")
        with self.captureOnCommitCallbacks(execute=True):
            messaging.receive_sms(from_number="+12065550123", body="HELP", provider_id="help-1")
        self.assertTrue(simple.outbox[1].body.startswith("Transit Workers Local 8. Reply STOP to stop texts."))
