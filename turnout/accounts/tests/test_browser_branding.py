"""In headless Chromium: a group's public page wears its name, logo and colour (within the
Content-Security-Policy, which fails any browser test it refuses)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from turnout.accounts import services
from turnout.accounts.branding import redraw_logo
from turnout.accounts.models import Role
from turnout.mobilization.models import Pledge
from turnout.site.testing import make_group, make_staff
from turnout.site.tests.test_browser import SHOTS, browser, page, phone  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logo() -> bytes:
    picture = Image.new("RGB", (480, 160), (29, 78, 137))
    ImageDraw.Draw(picture).rectangle((40, 40, 440, 120), fill=(255, 255, 255))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_a_pledge_page_wears_its_groups_name_logo_and_colour(screen: str, request: Any, live_server: Any) -> None:
    browser_page: Page = request.getfixturevalue(screen)
    council = make_group("Metro Labor Council")
    admin = make_staff("admin@example.org", council, Role.ADMIN)
    services.update_group_brand(actor=admin, group=council, name="Metro Labor Council", accent_color="#1d4e89",
                                logo=redraw_logo(logo()))
    pledge = Pledge.objects.create(group=council, title="Protect the Results", goal=1000,
                                   text="We will refuse to accept results until all votes are counted.")
    browser_page.goto(f"{live_server.url}{pledge.public_url()}")
    expect(browser_page).to_have_title("Protect the Results · Metro Labor Council")
    brand = browser_page.get_by_test_id("brand")
    expect(brand).to_have_text("Metro Labor Council")
    assert brand.locator("img").evaluate("img => img.complete && img.naturalWidth") == 480
    button = browser_page.locator("main button[type=submit]").first
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(29, 78, 137)"
    browser_page.screenshot(path=str(SHOTS / f"branded-pledge-{screen}.png"), full_page=True)
