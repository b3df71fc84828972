"""In headless Chromium: a canvasser on a phone downloads a turf, loses signal (network emulation),
knocks ten doors, gets signal back and the results sync by themselves; the organizer's map and
turf table show the progress."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from turnout.accounts.models import Role
from turnout.people.models import Person
from turnout.site.testing import make_group, make_person, make_staff, run_due_tasks
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page  # noqa: F401  (fixtures)
from turnout.texting import doors, services
from turnout.texting.models import DoorResult, Turf
from turnout.texting.tests.test_browser_texting import no_sideways_scrolling, phone  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_canvasser_records_ten_doors_offline_and_they_sync_when_back_online(
        page: Page, phone: Page, live_server: Any) -> None:  # noqa: F811
    with time_machine.travel(datetime(2031, 3, 12, 19, 0, tzinfo=UTC), tick=True):
        local = make_group("Local 8")
        organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
        for n in range(14):
            person = make_person(local, given_name=f"Member{n:02d}", postal_code="98101")
            person.address_line1 = f"{100 + n} Pine St"
            person.latitude, person.longitude = 47.6100 + n * 0.0002, -122.3400 + (n % 2) * 0.0003
            person.save()
        campaign = services.create_campaign(actor=organizer, group=local, fields={
            "title": "Strike vote doors", "channel": "door",
            "script": "Hi {first_name}, I'm {texter_first_name} from Local 8. The strike vote is Tuesday."})
        services.add_question(actor=organizer, campaign=campaign, prompt="Will you vote yes?", choices="Yes\nNo")
        services.launch(actor=organizer, campaign=campaign, audience=Person.objects.all())
        doors.cut(actor=organizer, campaign=campaign, doors=20)
        _invite, key = services.invite(actor=organizer, campaign=campaign)

        phone.goto(f"{live_server.url}/t/join/{key}/")
        phone.get_by_label("Your name").fill("Ann Canvasser")
        phone.get_by_role("button", name="Start canvassing").click()
        expect(phone.get_by_text("No turf yet")).to_be_visible()
        canvasser = campaign.texters.get()
        doors.assign(actor=organizer, turf=Turf.objects.get(), canvassers=[canvasser])
        phone.reload()
        phone.get_by_test_id("download").click()
        expect(phone.locator(".household")).to_have_count(14)
        expect(phone.locator("#canvass")).to_have_attribute("data-offline-ready", "true")

        phone.context.set_offline(True)
        phone.reload()  # with no signal the app still opens: its service worker kept it
        phone.get_by_test_id("download").click()  # "Open": the turf kept on the phone
        expect(phone.locator(".household")).to_have_count(14)
        for n in range(10):
            phone.get_by_test_id("person").nth(n).click()
            expect(phone.locator("#door-script")).to_contain_text("I'm Ann from Local 8.")
            if n % 3 == 0:
                phone.get_by_label("Yes", exact=True).check()
            phone.get_by_label("Not home" if n % 2 else "Talked", exact=True).check()
            phone.get_by_test_id("save-door").click()
            expect(phone.get_by_test_id("sync-status")).to_contain_text(
                "1 result waiting" if n == 0 else f"{n + 1} results waiting")
        expect(phone.get_by_test_id("sync-status")).to_contain_text("No signal")
        phone.screenshot(path=str(SHOTS / "canvasser-offline.png"), full_page=True)
        no_sideways_scrolling(phone)
        assert not DoorResult.objects.exists()

        phone.context.set_offline(False)  # back online: the app syncs by itself
        expect(phone.get_by_test_id("sync-status")).to_have_text("Nothing waiting to sync.")
        assert DoorResult.objects.count() == 10
        assert DoorResult.objects.filter(flagged=True).count() == 0

        log_in(page, live_server.url, "organizer@example.org")
        page.goto(f"{live_server.url}{campaign.get_absolute_url()}")
        expect(page.get_by_test_id("turf-knocked")).to_have_text("10")
        expect(page.get_by_test_id("knocked")).to_have_text("10")
        expect(page.get_by_test_id("turf-map")).to_have_attribute("data-ready", "true")
        expect(page.locator(".turf-map path.leaflet-interactive")).to_have_count(14)
        page.screenshot(path=str(SHOTS / "door-campaign-map.png"), full_page=True)


def test_a_coworker_walks_the_shop_and_the_organizer_reads_each_one_on_one(
        page: Page, phone: Page, live_server: Any) -> None:  # noqa: F811
    from turnout.organizing.models import Area, Campaign, Employer, Unit, Worker, Workplace

    with time_machine.travel(datetime(2031, 3, 12, 19, 0, tzinfo=UTC), tick=True):
        local = make_group("Local 8")
        organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
        workplace = Workplace.objects.create(group=local, name="Pike", postal_code="98101",
                                             employer=Employer.objects.create(group=local, name="Bean Street"))
        organizing = Campaign.objects.create(group=local, name="Bean Street Workers", union_name="Local 8")
        unit = Unit.objects.create(campaign=organizing, workplace=workplace)
        kitchen = Area.objects.create(workplace=workplace, kind="department", name="Kitchen")
        kim = Worker.objects.create(unit=unit, person=make_person(local, given_name="Kim"), department=kitchen)
        Worker.objects.create(unit=unit, person=make_person(local, given_name="Lee"), department=kitchen)
        campaign = services.create_campaign(actor=organizer, group=local, fields={
            "title": "Walk the shop", "channel": "door", "audience": {"source": f"roster:{organizing.public_id}"},
            "script": "Hi {first_name}, it's {texter_first_name} from the kitchen."})
        services.launch(actor=organizer, campaign=campaign, audience=Person.objects.filter(worker_roles__unit=unit))
        doors.cut(actor=organizer, campaign=campaign, doors=20)
        _invite, key = services.invite(actor=organizer, campaign=campaign)
        phone.goto(f"{live_server.url}/t/join/{key}/")
        phone.get_by_label("Your name").fill("Ann Coworker")
        phone.get_by_role("button", name="Start canvassing").click()
        doors.assign(actor=organizer, turf=Turf.objects.get(), canvassers=[campaign.texters.get()])
        phone.reload()
        phone.get_by_test_id("download").click()
        expect(phone.get_by_test_id("households")).to_contain_text("Pike · Kitchen")
        phone.get_by_test_id("person").filter(has_text="Kim").click()
        expect(phone.get_by_label("2 — Supporter")).to_be_hidden()  # asked once they say they talked
        phone.get_by_label("Talked", exact=True).check()
        phone.get_by_label("2 — Supporter").check()
        phone.get_by_label("Next step (optional)").fill("Ask Kim to talk to the dish crew")
        phone.screenshot(path=str(SHOTS / "canvasser-workplace.png"), full_page=True)
        no_sideways_scrolling(phone)
        phone.get_by_test_id("save-door").click()
        expect(phone.get_by_test_id("sync-status")).to_have_text("Nothing waiting to sync.")

        run_due_tasks()  # the worker writes the walk into the organizing campaign
        log_in(page, live_server.url, "organizer@example.org")
        page.goto(f"{live_server.url}/organizing/workers/{kim.public_id}/")
        expect(page.locator("body")).to_contain_text("Ask Kim to talk to the dish crew")
        expect(page.locator("body")).to_contain_text("Ann Coworker (door knocking: Walk the shop)")
        kim.refresh_from_db()
        assert kim.support == 2
