"""In headless Chromium on a phone-sized screen: find an event by ZIP, RSVP, get the confirmation with the
join link, add it to the calendar; an organizer builds a 5 p.m.-local action across four time zones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import icalendar
import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from turnout.accounts.models import Role
from turnout.events import services
from turnout.events.models import Event, Rsvp
from turnout.messaging.transports import simple
from turnout.site.testing import make_group, make_staff, run_due_tasks
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    yield context.new_page()
    context.close()


@override_settings(SMS_BACKEND="memory")
def test_a_member_finds_an_event_by_zip_rsvps_and_gets_the_join_link(phone: Page, live_server: Any) -> None:
    simple.outbox.clear()
    local = make_group("Local 8")
    start = (timezone.now() + timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
    services.save_event(actor=None, event=Event(
        group=local, title="Daily info & action meeting", kind="virtual", postal_code="98101",
        join_url="https://meet.example/daily-local8", starts_at=start,
        description="What happened today and **what we do next**."))
    services.save_event(actor=None, event=Event(group=local, title="Boston rally", postal_code="02108",
                                                starts_at=start))
    hosts: set[str] = set()
    phone.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    phone.goto(f"{live_server.url}/find/")
    phone.get_by_label("ZIP code").fill("98104")
    phone.get_by_role("button", name="Search").click()
    expect(phone.get_by_role("link", name="Daily info & action meeting")).to_be_visible()
    expect(phone.get_by_test_id("map")).to_have_attribute("data-ready", "1")  # one marker, drawn by Leaflet
    expect(phone.locator("path.leaflet-interactive")).to_have_count(1)
    assert hosts == {live_server.url.split("/")[2]}, hosts  # no tiles configured: nothing left this server
    expect(phone.get_by_text("Boston rally")).to_have_count(0)
    phone.screenshot(path=str(SHOTS / "events-find.png"), full_page=True)
    phone.get_by_role("link", name="Daily info & action meeting").click()
    expect(phone.get_by_text("meet.example")).to_have_count(0)  # the link is only for people who RSVP
    phone.get_by_label("First name").fill("Rosa")
    phone.get_by_label("Email").fill("rosa@example.org")
    phone.get_by_label("Mobile phone").fill("(206) 555-0190")
    phone.get_by_label("Text me about this event").check()
    phone.screenshot(path=str(SHOTS / "events-rsvp-form.png"), full_page=True)
    phone.get_by_role("button", name="I'll be there").click()
    expect(phone.get_by_test_id("rsvp-status")).to_have_text("You're going!")
    expect(phone.get_by_test_id("join-link")).to_have_attribute("href", "https://meet.example/daily-local8")
    phone.screenshot(path=str(SHOTS / "events-rsvp-done.png"), full_page=True)
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Add to calendar").click()
    entry = icalendar.Calendar.from_ical(open(download.value.path(), "rb").read()).walk("VEVENT")[0]  # noqa: SIM115
    assert entry.decoded("DTSTART") == start
    assert "meet.example/daily-local8" in str(entry["DESCRIPTION"])
    run_due_tasks()  # the worker sends the confirmation
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]
    assert "https://meet.example/daily-local8" in mail.outbox[0].body
    assert [s.to for s in simple.outbox] == ["+12065550190"]
    assert Rsvp.objects.get().person.consent_events.filter(channel="sms", action="opt_in").exists()


def test_an_organizer_builds_a_five_pm_local_action_across_four_time_zones(page: Page, live_server: Any) -> None:  # noqa: F811
    local = make_group("National Coalition")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    log_in(page, live_server.url, "organizer@example.org")
    page.get_by_role("link", name="Events").click()
    page.get_by_role("link", name="New distributed action").click()
    page.get_by_label("Group").select_option(label="National Coalition")
    page.get_by_label("Title").fill("Protect the Results")
    page.get_by_label("Date at every site").fill("2026-11-04")
    page.get_by_label("Local start time at every site").fill("17:00")
    page.get_by_role("button", name="Save").click()
    for zip_code in ("10001", "60601", "80202", "98101"):
        page.get_by_label("ZIP code").fill(zip_code)
        page.get_by_role("button", name="Add site").click()
        expect(page.get_by_text("Site added")).to_be_visible()
    table = page.get_by_test_id("sites")
    for city, when, utc in (("New York", "Wed, Nov 4, 5 p.m. EST", "2026-11-04 22:00Z"),
                            ("Chicago", "Wed, Nov 4, 5 p.m. CST", "2026-11-04 23:00Z"),
                            ("Denver", "Wed, Nov 4, 5 p.m. MST", "2026-11-05 00:00Z"),
                            ("Seattle", "Wed, Nov 4, 5 p.m. PST", "2026-11-05 01:00Z")):
        row = table.locator("tr", has_text=city)
        expect(row).to_contain_text(when)
        expect(row).to_contain_text(utc)
    page.screenshot(path=str(SHOTS / "events-campaign.png"), full_page=True)
    page.get_by_role("link", name="Public page").click()
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("Find the nearest action: your ZIP code").fill("98402")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_test_id("site-when").first).to_have_text("Wed, Nov 4, 5 p.m. PST")  # Seattle, nearest
    expect(page.get_by_test_id("map")).to_have_attribute("data-ready", "4")
    page.screenshot(path=str(SHOTS / "events-campaign-public.png"), full_page=True)


def test_a_host_checks_people_in_offline_and_they_sync_once_back_online(browser: Browser, live_server: Any) -> None:  # noqa: F811
    local = make_group("Local 8")
    event = services.save_event(actor=None, event=Event(
        group=local, title="Picket at the north gate", postal_code="98101",
        starts_at=timezone.now() + timedelta(hours=1)))
    for name in ("Ana", "Beto", "Carla"):
        services.rsvp(event, services.RsvpRequest(given_name=name, email=f"{name.lower()}@example.org"))
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(f"{live_server.url}/host/{event.host_key}/")
    expect(phone.get_by_text("Carla")).to_be_visible()
    phone.wait_for_function("navigator.serviceWorker.controller !== null || "
                            "navigator.serviceWorker.ready.then(() => true)")
    phone.reload()  # now under the service worker, which keeps a copy of the page
    expect(phone.get_by_text("Carla")).to_be_visible()
    context.set_offline(True)  # the picket line has no signal
    phone.reload()  # the phone reopens the page without a connection: it comes from the cache
    expect(phone.get_by_text("Carla")).to_be_visible()
    for name in ("Ana", "Beto"):
        phone.locator(".roster-row", has_text=name).get_by_role("button", name="Check in").click()
    phone.locator(".roster-row", has_text="Ana").get_by_role("button").click(force=True)  # a nervous double tap
    phone.get_by_label("First name").fill("Dario")
    phone.get_by_label("Mobile phone").fill("206-555-0192")
    phone.get_by_label("They agree").check()
    phone.get_by_role("button", name="Add and check in").click()
    expect(phone.get_by_test_id("pending")).to_have_text("3")
    expect(phone.locator("#offline")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "events-host-offline.png"), full_page=True)
    assert Rsvp.objects.filter(checked_in_at__isnull=False).count() == 0  # nothing has reached the server
    context.set_offline(False)
    expect(phone.get_by_test_id("pending")).to_have_text("0", timeout=15_000)
    expect(phone.get_by_test_id("checked-in")).to_have_text("3")
    phone.screenshot(path=str(SHOTS / "events-host-synced.png"), full_page=True)
    assert sorted(Rsvp.objects.filter(checked_in_at__isnull=False).values_list("person__given_name", flat=True)) == [
        "Ana", "Beto", "Dario"]
    assert Rsvp.objects.filter(person__given_name="Dario").count() == 1
    context.close()
