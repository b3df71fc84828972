"""In headless Chromium: an organizer makes an API token, uses it, and registers a webhook."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from turnout.accounts.models import Role
from turnout.site.testing import make_group, make_person, make_staff
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_organizer_makes_a_token_and_a_webhook(page: Page, live_server: Any) -> None:  # noqa: F811
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER, first_name="Olivia")
    make_person(local, given_name="Maria", email="maria@example.org")
    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}/accounts/preferences/")
    page.get_by_label("What the token is for").fill("Parsons sync")
    page.get_by_label("Group").select_option(label="Local 8")
    page.get_by_role("button", name="Create a token").click()
    key = page.get_by_test_id("new-token-key").inner_text().strip()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    page.screenshot(path=str(SHOTS / "api-token.png"), full_page=True)

    request = urllib.request.Request(f"{live_server.url}/api/v2/people", headers={"OSDI-API-Token": key})
    with urllib.request.urlopen(request) as response:
        people = json.load(response)["_embedded"]["osdi:people"]
    assert [p["given_name"] for p in people] == ["Maria"]

    page.goto(f"{live_server.url}/accounts/preferences/")  # the list shows the name, never the key again
    expect(page.get_by_role("cell", name="Parsons sync")).to_be_visible()
    assert key not in page.content()

    page.get_by_role("link", name="API", exact=True).click()
    page.get_by_label("URL").fill("https://crm.example.org/turnout-hook")
    page.get_by_label("Group").select_option(label="Local 8")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_test_id("webhook-secret")).to_be_visible()
    expect(page.get_by_text("Nothing sent yet.")).to_be_visible()
    page.screenshot(path=str(SHOTS / "api-webhook.png"), full_page=True)
    page.get_by_role("link", name="← Webhooks").click()
    expect(page.get_by_role("link", name="https://crm.example.org/turnout-hook")).to_be_visible()

    page.get_by_role("link", name="Action Network-compatible API").click()
    expect(page.get_by_role("heading", name="Turnout API")).to_be_visible()
    expect(page.locator("#endpoints")).to_contain_text("/people/{person_id}")
    page.screenshot(path=str(SHOTS / "api-docs.png"), full_page=True)
