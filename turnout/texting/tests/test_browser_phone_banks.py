"""In headless Chromium: an organizer writes and launches a phone bank in the console; a caller on a
phone joins by the link and goes through five contacts, recording results and survey answers, while
the organizer's board counts the calls."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from turnout.accounts.models import Role
from turnout.people.models import ContactResult
from turnout.people.services import add_tag
from turnout.site.testing import make_group, make_person, make_staff
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page  # noqa: F401  (fixtures)
from turnout.texting.models import Conversation, SurveyResponse, TextingCampaign
from turnout.texting.tests.test_browser_texting import no_sideways_scrolling, phone  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_organizer_launches_a_phone_bank_and_a_caller_on_a_phone_calls_five(
        page: Page, phone: Page, live_server: Any) -> None:  # noqa: F811
    # Noon in Seattle, where the members are: calling hours. The clock runs on from there.
    with time_machine.travel(datetime(2031, 3, 12, 19, 0, tzinfo=UTC), tick=True):
        local = make_group("Local 8")
        make_staff("organizer@example.org", local, Role.ORGANIZER)
        for n in range(8):
            person = make_person(local, given_name=f"Member{n:02d}", phone=f"+120655501{n:02d}", postal_code="98101")
            add_tag(person=person, group=local, name="strike-vote")

        log_in(page, live_server.url, "organizer@example.org")
        page.get_by_role("link", name="Texts & calls").click()
        page.get_by_role("link", name="New phone bank").click()
        page.get_by_label("Tag").fill("strike-vote")
        page.get_by_label("Title").fill("Strike vote calls")
        page.locator("#id_script").fill("Hi {first_name}, this is {texter_first_name} from Local 8. "
                                                     "The strike vote is Tuesday.")
        page.get_by_role("button", name="Save and check").click()
        expect(page.get_by_test_id("reachable")).to_have_text("8 people will be called")
        page.get_by_label("Question").fill("Will you vote yes?")
        page.get_by_label("Answers").fill("Yes | vote-yes | Thank them: polls open at 7.\nNo\nUnsure")
        page.get_by_role("button", name="Add the question").click()
        page.get_by_role("button", name="Launch").click()
        expect(page.get_by_test_id("status")).to_have_text("live")
        page.get_by_role("button", name="Make an invitation link").click()
        link = page.get_by_test_id("invite-link").inner_text()

        phone.goto(link)
        phone.get_by_label("Your name").fill("Terry Caller")
        phone.get_by_role("button", name="Start calling").click()
        phone.get_by_test_id("next-contact").click()
        expect(phone.get_by_test_id("dial")).to_have_attribute("href", re.compile(r"^tel:\+1206555"))
        expect(phone.get_by_test_id("script")).to_contain_text("this is Terry from Local 8")
        phone.screenshot(path=str(SHOTS / "caller-phone.png"), full_page=True)
        no_sideways_scrolling(phone)
        outcomes = [("Talked", "Yes"), ("Not home", None), ("Talked", "No"), ("Refused", None), ("Talked", "Unsure")]
        for n, (result, answer) in enumerate(outcomes, start=1):
            if answer:
                phone.get_by_label(answer, exact=True).check()
            phone.get_by_label(result, exact=True).check()
            phone.get_by_test_id("save-next").click()
            expect(phone.get_by_test_id("made")).to_have_text(f"{n} call made" if n == 1 else f"{n} calls made")
            if n < 5:
                expect(phone.get_by_test_id("dial")).to_be_visible()
        no_sideways_scrolling(phone)

        campaign = TextingCampaign.objects.get()
        assert ContactResult.objects.filter(channel="call").count() == 5
        assert sorted(SurveyResponse.objects.values_list("choice__label", flat=True)) == ["No", "Unsure", "Yes"]
        assert Conversation.objects.filter(campaign=campaign, status="waiting", retry_at__isnull=False).count() == 1
        page.reload()
        expect(page.get_by_test_id("sent")).to_have_text("5")
        expect(page.get_by_test_id("reached")).to_have_text("3")
        expect(page.get_by_test_id("call-again")).to_have_text("1")
        expect(page.get_by_test_id("online")).to_have_text("1 / 1")
        expect(page.get_by_test_id("results").first).to_contain_text("Yes")
        page.screenshot(path=str(SHOTS / "phone-bank-board.png"), full_page=True)
