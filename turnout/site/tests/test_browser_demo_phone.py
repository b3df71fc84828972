"""In headless Chromium, in the demo's settings: an activation's text shows on the demo phone, the
organizer answers YES as the member, and the live board counts the yes as it would a gateway's."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from turnout.accounts.models import Role
from turnout.events.models import Event, Rsvp
from turnout.events.services import save_event
from turnout.messaging.models import InboundMessage
from turnout.mobilization import services
from turnout.mobilization.models import Activation, Member, Network, Response
from turnout.people.services import record_consent
from turnout.site.testing import make_group, make_person, make_staff, run_due_tasks
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page, phone  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_settings() -> Iterator[Path]:
    """What `turnout demo` runs with: the file transport in its own var/, and the demo phone on."""
    with tempfile.TemporaryDirectory() as var, override_settings(
            DEMO_PHONE=True, SMS_BACKEND="file", VAR_DIR=Path(var), SMS_HTTP_SECRET="derived-demo-secret"):
        yield Path(var)


def test_an_activation_text_reaches_the_demo_phone_and_a_yes_typed_there_reaches_the_board(
        demo_settings: Path, page: Page, phone: Page, live_server: Any) -> None:  # noqa: F811
    local = make_group("Transit Workers Local 587")
    organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
    network = Network.objects.create(group=local, name="Rapid Response Network")
    rosa = make_person(local, given_name="Rosa", family_name="Reyes", phone="+12065550142", postal_code="98104")
    record_consent(person=rosa, channel="sms", address="+12065550142", action="opt_in", source="form",
                   text="Text me when the network is called on")
    Member.objects.create(network=network, person=rosa, travel_miles=10)
    rally = save_event(actor=None, event=Event(group=local, title="Rally at Westlake Park", venue="Westlake Park",
                                               postal_code="98101", starts_at=timezone.now() + timedelta(hours=6)))
    activation = Activation.objects.create(
        network=network, title="Westlake rally", body="Rally at Westlake Park, 6pm. Reply YES if you can come.",
        event=rally, ignore_quiet_hours=True, override_reason="The rally is tonight")
    services.activate(actor=organizer, activation=activation)
    run_due_tasks()  # the worker sends the text, through the file transport
    assert (demo_settings / "sms" / "outbox.jsonl").exists()

    log_in(page, live_server.url, "organizer@example.org")
    page.get_by_role("link", name="Demo phone").click()
    thread = page.get_by_test_id("thread")
    expect(thread).to_have_count(1)
    expect(thread).to_contain_text("Rosa Reyes")
    thread.click()
    expect(page.get_by_test_id("text")).to_contain_text("Rally at Westlake Park, 6pm. Reply YES if you can come.")
    expect(page.get_by_test_id("text")).to_contain_text("Transit Workers Local 587: reply STOP to stop")
    page.get_by_label("Reply as this member").fill("YES")
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("reply").locator(".body")).to_have_text("YES")
    page.screenshot(path=str(SHOTS / "demo-phone.png"), full_page=True)

    # It came in through the gateway hook, as a real reply does; the worker acts on it.
    inbound = InboundMessage.objects.get()
    assert (inbound.from_number, inbound.body, inbound.provider_id.startswith("demo-")) == ("+12065550142", "YES",
                                                                                             True)
    run_due_tasks()
    page.goto(f"{live_server.url}{activation.get_absolute_url()}")
    expect(page.get_by_test_id("yes")).to_have_text("1")
    expect(page.get_by_test_id("yeses")).to_contain_text("Rosa")
    assert Response.objects.get().answer == "yes"
    assert Rsvp.objects.get(event=rally).person == rosa

    # The same page on a phone.
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live_server.url}/demo/phone/?number=%2B12065550142")
    expect(phone.get_by_test_id("reply")).to_have_count(1)
    phone.screenshot(path=str(SHOTS / "demo-phone-390.png"), full_page=True)
