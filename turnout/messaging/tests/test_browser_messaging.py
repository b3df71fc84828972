"""In headless Chromium: an organizer texts the rapid-response list and watches it go out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from turnout.accounts.models import Role
from turnout.messaging import sending
from turnout.messaging.models import Message
from turnout.messaging.transports import simple
from turnout.people.services import add_tag, record_consent
from turnout.site.testing import make_group, make_person, make_staff
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(SMS_BACKEND="memory")
def test_an_organizer_texts_a_tag_and_sees_the_progress(page: Page, live_server: Any) -> None:  # noqa: F811
    simple.outbox.clear()
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER, first_name="Olivia")
    for n, consent in enumerate([True, True, False]):
        person = make_person(local, given_name=f"Member{n}", phone=f"+1206555014{n}", postal_code="98101")
        add_tag(person=person, group=local, name="rapid-response")
        if consent:
            record_consent(person=person, channel="sms", address=person.phones.get().number, action="opt_in",
                           source="form")
    log_in(page, live_server.url, "organizer@example.org")
    page.get_by_role("link", name="Messages").click()
    page.get_by_role("link", name="New message").click()
    page.get_by_label("Tag").fill("rapid-response")
    page.get_by_label("From").select_option(label="Local 8")
    page.locator("#id_body").fill("Rally at Westlake Park, 6pm. Reply Y if you can come")
    page.get_by_label("Message in Spanish").fill("Mitin en Westlake Park a las 6. Responde SÍ si vienes")
    page.get_by_label("Emergency").check()
    page.get_by_label("Why this cannot wait").fill("Layoff announcement this morning")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("reachable")).to_have_text("2 people will get it")
    expect(page.get_by_test_id("segments")).to_contain_text("GSM-7")
    page.screenshot(path=str(SHOTS / "message-preview.png"), full_page=True)
    page.get_by_role("button", name="Send now").click()
    # The worker's part, run here: dispatch what is due.
    message = Message.objects.get()
    sending.dispatch_due(message_id=message.pk)
    expect(page.get_by_test_id("sent")).to_have_text("2", timeout=10_000)  # the page refreshes itself
    expect(page.get_by_test_id("suppressed")).to_have_text("1")
    expect(page.get_by_test_id("status")).to_have_text("sent")
    page.screenshot(path=str(SHOTS / "message-progress.png"), full_page=True)
    assert sorted(s.to for s in simple.outbox) == ["+12065550140", "+12065550141"]


def test_an_admin_sets_the_groups_postal_address_and_texting_hours(page: Page, live_server: Any) -> None:  # noqa: F811
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    local = make_group("Local 8")
    admin = make_staff("admin@example.org", local, Role.ADMIN)
    log_in(page, live_server.url, "admin@example.org")
    device = TOTPDevice.objects.get(user=admin)
    page.get_by_label("Six-digit code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Turn on").click()
    page.goto(f"{live_server.url}{local.get_absolute_url()}")
    card = page.locator("#messaging")
    card.get_by_label("Postal address").fill("Local 8\n100 Union St, Seattle WA 98101")
    card.get_by_label("Texts may arrive from (hour)").fill("19")
    card.get_by_label("Texts may arrive until (hour)").fill("10")
    card.get_by_role("button", name="Save").click()
    expect(page.locator("#messaging")).to_contain_text("the end must come after the start")
    expect(page.locator("#messaging").get_by_label("Postal address")).to_have_value(
        "Local 8\n100 Union St, Seattle WA 98101")  # kept as typed
    page.locator("#messaging").get_by_label("Texts may arrive from (hour)").fill("10")
    page.locator("#messaging").get_by_label("Texts may arrive until (hour)").fill("18")
    page.locator("#messaging").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.locator("#messaging").get_by_label("Texts may arrive until (hour)")).to_have_value("18")
    page.screenshot(path=str(SHOTS / "group-messaging-settings.png"), full_page=True)
    local.refresh_from_db()
    assert (local.texts_from, local.texts_until) == (10, 18)
