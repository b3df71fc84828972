"""In headless Chromium: a member joins the network on a phone (in Spanish), an organizer activates it,
the member's "Y" arrives through the http gateway hook and shows on the live board, and an admin pulls a
standby plan's trigger through its confirmation screen."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from turnout.accounts.models import Role
from turnout.events.models import Event, EventCampaign, Rsvp, Status
from turnout.events.services import save_event
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.mobilization.forms import event_choice_label
from turnout.mobilization.models import (
    Activation,
    Member,
    Network,
    Plan,
    Pledge,
    Response,
    Signature,
)
from turnout.people.services import record_consent
from turnout.site.testing import make_group, make_person, make_staff, run_due_tasks
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page, phone  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "gateway-secret"


def text_in(base: str, number: str, body: str, provider_id: str) -> None:
    """What the SMS gateway does when a member replies: a signed POST to the inbound hook."""
    raw = json.dumps({"id": provider_id, "from": number, "to": "+12065550000", "body": body}).encode()
    request = urllib.request.Request(f"{base}/hooks/sms/http/inbound", data=raw, method="POST", headers={
        "Content-Type": "application/json", "X-Turnout-Signature": signature(raw, SECRET)})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET)
def test_join_on_a_phone_activate_and_a_texted_yes_reaches_the_live_board(phone: Page, page: Page,  # noqa: F811
                                                                           live_server: Any) -> None:
    simple.outbox.clear()
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    network = Network.objects.create(group=local, name="Rapid Response Network")
    rally = save_event(actor=None, event=Event(group=local, title="Rally at Westlake Park", venue="Westlake Park",
                                               postal_code="98101", starts_at=timezone.now() + timedelta(hours=6)))

    # A member joins on her phone, in Spanish.
    phone.goto(f"{live_server.url}{network.public_url()}")
    phone.get_by_label("Nombre").fill("Rosa")
    phone.get_by_label("Teléfono celular").fill("(206) 555-0142")
    phone.get_by_label("Envíenme mensajes de texto cuando").check()
    phone.get_by_label("Código postal").fill("98104")
    phone.get_by_label("¿Qué tan lejos puede ir?").select_option("10")
    phone.get_by_label("Primeros auxilios").check()
    phone.get_by_label("Fines de semana").check()
    phone.screenshot(path=str(SHOTS / "mobilize-join.png"), full_page=True)
    phone.get_by_role("button", name="Unirse").click()
    expect(phone.get_by_test_id("joined")).to_have_text("Ya es parte de la red")
    member = Member.objects.get(network=network)
    assert (member.skills, member.person.language) == (",medic,", "es")

    # The organizer activates everyone within 5 miles of the rally, in the middle of the night if need be.
    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}{network.get_absolute_url()}")
    page.get_by_role("link", name="Activate the network").click()
    page.get_by_label("Title").fill("Westlake rally")
    page.locator("#id_body").fill("Rally at Westlake Park, 6pm. Reply Y if you can come, N if not.")
    page.get_by_label("Message in Spanish").fill("Manifestación en Westlake Park, 6pm. Responda SI o NO.")
    page.get_by_label("Linked event").select_option(label=event_choice_label(rally))
    page.get_by_label("Action ZIP code").fill("98101")
    page.get_by_label("Within (miles):", exact=True).fill("5")
    page.get_by_label("Emergency: send during quiet hours").check()
    page.get_by_label("Why this cannot wait").fill("The rally is tonight")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview-members")).to_have_text("1")
    expect(page.get_by_test_id("preview-textable")).to_have_text("1")
    page.screenshot(path=str(SHOTS / "mobilize-preview.png"), full_page=True)
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("asked")).to_have_text("0")  # chosen; nothing has gone out yet
    run_due_tasks()  # the worker sends the texts
    expect(page.get_by_test_id("asked")).to_have_text("1", timeout=10_000)
    assert [(s.to, s.body.startswith("Manifestación")) for s in simple.outbox] == [("+12065550142", True)]

    # She answers "Sí" by text; the board shows it without a reload.
    text_in(live_server.url, "+12065550142", "Sí", "gw-reply-1")
    run_due_tasks()  # the worker acts on the reply
    expect(page.get_by_test_id("yes")).to_have_text("1", timeout=10_000)
    expect(page.get_by_test_id("yeses")).to_contain_text("Rosa")
    page.screenshot(path=str(SHOTS / "mobilize-board.png"), full_page=True)
    assert Response.objects.get().answer == "yes"
    assert Rsvp.objects.get(event=rally).person == member.person


def test_an_admin_pulls_a_plans_trigger_through_its_confirmation(page: Page, live_server: Any) -> None:  # noqa: F811
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    coalition = make_group("Election Coalition")
    admin = make_staff("admin@example.org", coalition, Role.ADMIN)
    site = save_event(actor=None, event=Event(group=coalition, title="Count every vote — Phoenix", postal_code="85004",
                                              status=Status.STANDBY, standby_condition="the results are not respected",
                                              starts_at=timezone.now() + timedelta(days=20)))
    pledge = Pledge.objects.create(group=coalition, title="Protect the results", text="We will.")
    signer = make_person(coalition, given_name="Pablo", postal_code="85004", email="pablo@example.org")
    record_consent(person=signer, channel="email", address="pablo@example.org", action="opt_in", source="form")
    Signature.objects.create(pledge=pledge, person=signer)
    plan = Plan.objects.create(group=coalition, name="Count every vote", condition="the results are not respected",
                               subject="It is on", body="It is on: 5 p.m. tomorrow at your site.")
    plan.events.add(site)
    plan.pledges.add(pledge)

    page.goto(f"{live_server.url}{site.public_url()}")
    expect(page.get_by_text("On standby")).to_be_visible()
    log_in(page, live_server.url, "admin@example.org")
    page.get_by_label("Six-digit code").fill(f"{totp(TOTPDevice.objects.get(user=admin).bin_key):06d}")
    page.get_by_role("button", name="Turn on").click()  # admins turn on two-factor at first login
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    page.get_by_test_id("trigger").click()
    confirmation = page.get_by_test_id("confirmation")
    expect(confirmation.get_by_test_id("summary-events")).to_have_text("1")
    expect(confirmation.get_by_test_id("summary-emailed")).to_have_text("1")
    expect(confirmation).to_contain_text("America/Phoenix")
    page.screenshot(path=str(SHOTS / "mobilize-trigger-confirm.png"), full_page=True)
    page.get_by_label("Type the plan's name to confirm").fill("Count every vote")
    page.get_by_test_id("confirm-trigger").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("triggered")
    expect(page.get_by_test_id("plan-outcome")).to_contain_text("1 events went live")
    page.screenshot(path=str(SHOTS / "mobilize-triggered.png"), full_page=True)
    page.goto(f"{live_server.url}{site.public_url()}")
    expect(page.get_by_text("On standby")).to_have_count(0)
    assert Event.objects.get(pk=site.pk).status == Status.SCHEDULED
    assert Plan.objects.get().status == Plan.Status.TRIGGERED


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET)
def test_a_spanish_member_gets_the_what_where_and_when_the_organizer_wrote_in_english(
        page: Page, browser: Any, live_server: Any) -> None:  # noqa: F811
    """The organizer writes only the English; the preview shows both languages; the Spanish member's
    text carries the action, with how to answer in Spanish."""
    simple.outbox.clear()
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    network = Network.objects.create(group=local, name="Rapid Response Network")
    for name, number, language in (("Rosa", "+12065550142", "es"), ("Maria", "+12065550123", "en")):
        person = make_person(local, given_name=name, postal_code="98101", phone=number)
        person.language = language
        person.save(update_fields=["language"])
        record_consent(person=person, channel="sms", address=number, action="opt_in", source="form",
                       text="Text me when the network is called on")
        Member.objects.create(network=network, person=person, travel_miles=25)
    what = "Hi {{ first_name }}: picket at Bean Street Coffee, 401 Pine St, Seattle, today at 5pm."

    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}{network.get_absolute_url()}")
    page.get_by_role("link", name="Activate the network").click()
    page.get_by_label("Title").fill("Picket at Bean Street")
    expect(page.get_by_label("Message in Spanish")).to_have_value("")  # nothing prefilled to stand for a message
    page.locator("#id_body").fill(what)
    page.get_by_label("Emergency: send during quiet hours").check()
    page.get_by_label("Why this cannot wait").fill("The picket is today")
    page.screenshot(path=str(SHOTS / "mobilize-activation-form.png"), full_page=True)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview-text-en")).to_contain_text(
        "Hi Maria: picket at Bean Street Coffee, 401 Pine St, Seattle, today at 5pm.")
    expect(page.get_by_test_id("preview-text-en")).to_contain_text("Reply Y if you can come, N if you cannot.")
    expect(page.get_by_test_id("preview-text-es")).to_contain_text("Hi Rosa: picket at Bean Street Coffee")
    expect(page.get_by_test_id("preview-text-es")).to_contain_text("Responda SI si puede venir, NO si no puede.")
    expect(page.get_by_test_id("preview-es")).to_contain_text("Texted to 1 person")
    expect(page.get_by_test_id("segments-es")).to_contain_text("segment")
    page.screenshot(path=str(SHOTS / "mobilize-activation-preview.png"), full_page=True)
    preview_url = page.url
    small = browser.new_page(viewport={"width": 390, "height": 844})
    small.context.add_cookies(page.context.cookies())
    small.goto(preview_url)
    small.screenshot(path=str(SHOTS / "mobilize-activation-preview-phone.png"), full_page=True)
    small.goto(f"{live_server.url}{network.get_absolute_url()}activate/")
    small.screenshot(path=str(SHOTS / "mobilize-activation-form-phone.png"), full_page=True)
    small.close()
    page.get_by_test_id("send").click()
    run_due_tasks()  # the worker sends the texts
    received = {s.to: s.body for s in simple.outbox}
    assert received["+12065550142"].startswith(
        "Hi Rosa: picket at Bean Street Coffee, 401 Pine St, Seattle, today at 5pm.\n"
        "Responda SI si puede venir, NO si no puede."), received
    assert received["+12065550123"].startswith("Hi Maria: picket at Bean Street Coffee"), received
    expect(page.get_by_test_id("asked")).to_have_text("2", timeout=10_000)
    assert Activation.objects.get().status == "sent"


def _admin_logged_in(tab: Page, base: str, admin: Any) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    log_in(tab, base, admin.email)
    tab.get_by_label("Six-digit code").fill(f"{totp(TOTPDevice.objects.get(user=admin).bin_key):06d}")
    tab.get_by_role("button", name="Turn on").click()  # admins turn on two-factor at first login


def _next_six_utc() -> datetime:
    """The next 06:00 UTC: late evening on the West Coast, the small hours in New York, quiet hours everywhere."""
    now = timezone.now().astimezone(UTC)
    six = now.replace(hour=6, minute=0, second=0, microsecond=0)
    return six if six > now else six + timedelta(days=1)


@override_settings(SMS_BACKEND="memory")
def test_the_trigger_confirmation_shows_per_zone_who_is_told_now_and_who_waits(
        page: Page, phone: Page, live_server: Any) -> None:  # noqa: F811
    with time_machine.travel(_next_six_utc(), tick=True):
        coalition = make_group("Election Coalition")
        admin = make_staff("admin@example.org", coalition, Role.ADMIN)
        campaign = EventCampaign.objects.create(group=coalition, title="Count every vote", status=Status.STANDBY,
                                                standby_condition="the count is stopped",
                                                local_date=(timezone.now() + timedelta(days=10)).date(),
                                                local_start=time(17, 0))
        for zip_code, city in (("10001", "New York"), ("98101", "Seattle"), ("85004", "Phoenix")):
            save_event(actor=None, event=Event(
                group=coalition, campaign=campaign, title=f"Count every vote — {city}", venue=f"{city} City Hall",
                postal_code=zip_code, status=Status.STANDBY, standby_condition="the count is stopped",
                starts_at=timezone.now() + timedelta(days=10)))
        pledge = Pledge.objects.create(group=coalition, title="Protect the results", text="We will.")
        for name, zip_code, number in (("Nina", "10001", "+12125550111"), ("Sam", "98101", "+12065550122")):
            person = make_person(coalition, given_name=name, postal_code=zip_code, phone=number)
            record_consent(person=person, channel="sms", address=number, action="opt_in", source="form")
            Signature.objects.create(pledge=pledge, person=person)
        pablo = make_person(coalition, given_name="Pablo", postal_code="85004", email="pablo@example.org")
        record_consent(person=pablo, channel="email", address="pablo@example.org", action="opt_in", source="form")
        Signature.objects.create(pledge=pledge, person=pablo)
        plan = Plan.objects.create(group=coalition, name="Count every vote", condition="the count is stopped",
                                   subject="It is on", body="It is on.", body_es="Ya empezó.",
                                   start_days_after=1, start_local_time=time(17, 0))
        plan.campaigns.add(campaign)
        plan.pledges.add(pledge)

        _admin_logged_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}{plan.get_absolute_url()}")
        page.get_by_test_id("trigger").click()
        confirmation = page.get_by_test_id("confirmation")
        expect(confirmation.get_by_test_id("summary-texted")).to_have_text("2")
        expect(confirmation.get_by_test_id("summary-emailed")).to_have_text("1")
        rows = confirmation.get_by_test_id("zone-row")
        expect(rows.filter(has_text="America/Los_Angeles")).to_contain_text("waits for quiet hours to end")
        expect(rows.filter(has_text="America/Los_Angeles")).to_contain_text("9 a.m. P")
        expect(rows.filter(has_text="America/New_York")).to_contain_text("9 a.m. E")
        expect(rows.filter(has_text="America/Phoenix")).to_contain_text("now")
        expect(confirmation.get_by_test_id("sample-es")).to_contain_text("su sitio es Count every vote")
        page.screenshot(path=str(SHOTS / "mobilize-trigger-zones.png"), full_page=True)
        phone.context.add_cookies(page.context.cookies())
        phone.goto(page.url)
        expect(phone.get_by_test_id("confirmation")).to_be_visible()
        phone.screenshot(path=str(SHOTS / "mobilize-trigger-zones-phone.png"), full_page=True)

        page.get_by_label("Type the plan's name to confirm").fill("Count every vote")
        page.get_by_test_id("confirm-trigger").click()
        expect(page.get_by_test_id("plan-status")).to_have_text("triggered")
        page.goto(f"{live_server.url}{campaign.public_url()}")
        expect(page.get_by_test_id("its-on")).to_contain_text("It's on.")
        expect(page.get_by_text("On standby")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "campaign-its-on.png"), full_page=True)
        phone.context.clear_cookies()  # the public, in Spanish
        phone.goto(f"{live_server.url}{campaign.public_url()}")
        expect(phone.get_by_test_id("its-on")).to_contain_text("Ya empezó.")
        phone.screenshot(path=str(SHOTS / "campaign-its-on-phone.png"), full_page=True)
