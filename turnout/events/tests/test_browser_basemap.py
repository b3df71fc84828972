"""In headless Chromium: with no tile server configured, a map still draws land, coasts and state lines
from Turnout's own static files, and nothing is fetched from anywhere else."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from turnout.events import services
from turnout.events.models import Event, EventCampaign
from turnout.site.testing import make_group
from turnout.site.tests.test_browser import SHOTS, browser, page, phone  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_map_without_tiles_draws_the_shipped_basemap_and_asks_no_other_site(page: Page,  # noqa: F811
                                                                              live_server: Any) -> None:
    council = make_group("Metro Council")
    campaign = EventCampaign.objects.create(group=council, title="Protect the Results",
                                            local_date=timezone.localdate() + timedelta(days=10),
                                            local_start=time(17, 0), local_end=time(19, 0))
    for zip_code, venue in (("98104", "City Hall Park"), ("60602", "Daley Plaza"), ("80202", "Civic Center Park"),
                            ("10007", "Foley Square")):
        services.add_site(actor=None, campaign=campaign, event=Event(group=council, venue=venue, postal_code=zip_code))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}{campaign.public_url()}")
    box = page.get_by_test_id("map")
    expect(box).to_have_attribute("data-ready", "4")
    expect(box).to_have_attribute("data-basemap-layers", "2")  # the land, then the states
    # The states (about fifty shapes) and the land under them, in their own pane below the markers.
    shapes = box.locator(".leaflet-basemap-pane path")
    assert shapes.count() > 50, shapes.count()
    expect(box.locator(".leaflet-tile")).to_have_count(0)
    expect(box.locator("path.leaflet-interactive")).to_have_count(4)  # the sites, still on top
    here = live_server.url.split("/")[2]
    assert {url.split("/")[2] for url in requested} == {here}, requested
    assert any(url.endswith(".json") and "basemap" in url for url in requested)
    page.screenshot(path=str(SHOTS / "map-basemap.png"), full_page=True)


def test_one_event_on_a_phone_lies_on_the_basemap(phone: Page,  # noqa: F811
                                                                        live_server: Any) -> None:
    local = make_group("Local 8")
    services.save_event(actor=None, event=Event(group=local, title="Rally at Westlake Park", postal_code="98101",
                                                starts_at=timezone.now() + timedelta(days=2)))
    phone.goto(f"{live_server.url}/find/?zip=98104")
    box = phone.get_by_test_id("map")
    expect(box).to_have_attribute("data-basemap-layers", "2")
    expect(box).to_have_attribute("data-ready", "1")
    assert box.locator(".leaflet-basemap-pane path").count() > 50
    phone.screenshot(path=str(SHOTS / "map-basemap-phone.png"), full_page=True)
