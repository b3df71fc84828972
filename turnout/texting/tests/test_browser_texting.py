"""In headless Chromium, on a phone: a volunteer joins by the invitation link, sends ten first texts
one click or key at a time, sees a reply arrive by itself, answers it, and opts someone out."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings
from playwright.sync_api import Browser, Page, expect

from turnout.accounts.models import Role
from turnout.messaging import services as messaging_services
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.people.models import Person, Subscription
from turnout.people.services import add_tag, record_consent
from turnout.site.testing import make_group, make_person, make_staff, run_due_tasks
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page  # noqa: F401  (fixtures)
from turnout.texting import services
from turnout.texting.models import Conversation, TextingCampaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "gateway-secret"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844})
    handset = context.new_page()
    yield handset
    context.close()


def no_sideways_scrolling(screen: Page) -> None:
    assert screen.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, SMS_SENDERS=["+12065550000"])
def test_a_texter_on_a_phone_sends_answers_and_opts_out(phone: Page, live_server: Any) -> None:
    simple.outbox.clear()
    # Noon in Seattle, where the contacts are: outside quiet hours. The clock runs on from there.
    with time_machine.travel(datetime(2031, 3, 12, 19, 0, tzinfo=UTC), tick=True):
        local = make_group("Local 8")
        organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
        for n in range(12):
            person = make_person(local, given_name=f"Member{n:02d}", phone=f"+120655501{n:02d}", postal_code="98101")
            record_consent(person=person, channel="sms", address=person.phones.get().number, action="opt_in",
                           source="form")
        campaign = services.create_campaign(actor=organizer, group=local, fields={
            "title": "Rally turnout", "senders": ["+12065550000"],
            "script": "Hi {first_name}, it's {texter_first_name} with Local 8. Can you make the rally Friday at 6? "
                      "Reply STOP to opt out."})
        services.add_question(actor=organizer, campaign=campaign, prompt="Coming Friday?",
                              choices="Yes | rally-yes | Great, {first_name}! Doors open at 5:30.\nNo\nMaybe")
        services.add_canned(actor=organizer, campaign=campaign, title="Kids welcome",
                            body="Yes, families are welcome, {first_name}!")
        services.launch(actor=organizer, campaign=campaign, audience=Person.objects.all())
        _invite, key = services.invite(actor=organizer, campaign=campaign)

        phone.goto(f"{live_server.url}/t/join/{key}/")
        phone.get_by_label("Your name").fill("Terry Volunteer")
        phone.get_by_role("button", name="Start texting").click()
        expect(phone.get_by_text("Bookmark this page")).to_be_visible()
        phone.get_by_label("How many contacts").select_option("25")
        phone.get_by_test_id("take").click()
        expect(phone.get_by_test_id("left")).to_have_text("12")
        expect(phone.get_by_test_id("script")).to_contain_text("it's Terry with Local 8")
        phone.screenshot(path=str(SHOTS / "texter-phone-next.png"), full_page=True)
        no_sideways_scrolling(phone)
        for n in range(10):
            if n % 2:
                phone.get_by_test_id("send").click()
            else:
                expect(phone.get_by_test_id("send")).to_be_focused()
                phone.keyboard.press("Enter")  # one key, one text
            expect(phone.get_by_test_id("left")).to_have_text(str(11 - n))
        while run_due_tasks():  # the worker's part: dispatch what the clicks queued
            pass
        assert len(simple.outbox) == 10
        assert len({text.to for text in simple.outbox}) == 10

        # A reply comes back through the signed gateway and appears without reloading the page.
        replier = Conversation.objects.filter(status="sent").select_related("person").order_by("pk").first()
        raw = json.dumps({"id": "in-1", "from": replier.person.phones.get().number, "to": "+12065550000",
                          "body": "I'll be there! Can I bring my daughter?"}).encode()
        request = urllib.request.Request(f"{live_server.url}/hooks/sms/http/inbound", data=raw, headers={
            "Content-Type": "application/json", "X-Turnout-Signature": signature(raw, SECRET)})
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200
        messaging_services.offer_waiting()  # the worker offers the stored reply to the apps
        conversation = phone.get_by_test_id("conversation")
        expect(conversation).to_contain_text("Can I bring my daughter?", timeout=3_000)
        expect(phone.get_by_test_id("reply-count")).to_have_text("1")
        phone.screenshot(path=str(SHOTS / "texter-phone-reply.png"), full_page=True)
        no_sideways_scrolling(phone)
        # The texter records the answer: the person is tagged, and the reply box holds the next text.
        conversation.get_by_role("button", name="Yes").click()
        conversation = phone.get_by_test_id("conversation")
        expect(conversation.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
        expect(conversation.get_by_label("Reply")).to_have_value(
            f"Great, {replier.person.given_name}! Doors open at 5:30.")
        assert replier.person.taggings.filter(tag__name="rally-yes").exists()
        phone.screenshot(path=str(SHOTS / "texter-phone-survey.png"), full_page=True)
        # The question about children gets the canned response.
        conversation.get_by_label("Reply").fill("")
        conversation.get_by_label("Or a canned response").select_option(label="Kids welcome")
        conversation.get_by_role("button", name="Send reply").click()
        expect(phone.get_by_test_id("reply-count")).to_have_text("0")
        while run_due_tasks():
            pass
        assert simple.outbox[-1].body == f"Yes, families are welcome, {replier.person.given_name}!"

        # A second reply, and this one wants no more texts: the texter's button opts them out.
        raw = json.dumps({"id": "in-2", "from": replier.person.phones.get().number, "to": "+12065550000",
                          "body": "Actually please don't text me at work"}).encode()
        request = urllib.request.Request(f"{live_server.url}/hooks/sms/http/inbound", data=raw, headers={
            "Content-Type": "application/json", "X-Turnout-Signature": signature(raw, SECRET)})
        urllib.request.urlopen(request).close()
        messaging_services.offer_waiting()
        expect(conversation).to_contain_text("don't text me at work", timeout=3_000)
        conversation.get_by_role("button", name="Opt out").click()
        expect(phone.get_by_text("they will get no more texts")).to_be_visible()
        assert replier.person.phones.get().sms_status == Subscription.UNSUBSCRIBED


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, SMS_SENDERS=["+12065550000"])
def test_a_supervisor_launches_watches_the_board_and_reassigns(page: Page, live_server: Any) -> None:  # noqa: F811
    with time_machine.travel(datetime(2031, 3, 12, 19, 0, tzinfo=UTC), tick=True):
        local = make_group("Local 8")
        make_staff("organizer@example.org", local, Role.ORGANIZER)
        for n in range(4):
            person = make_person(local, given_name=f"Member{n}", phone=f"+120655502{n:02d}", postal_code="98101")
            record_consent(person=person, channel="sms", address=person.phones.get().number, action="opt_in",
                           source="form")
            add_tag(person=person, group=local, name="stewards")
        log_in(page, live_server.url, "organizer@example.org")
        page.get_by_role("link", name="Texts & calls").click()
        page.get_by_role("link", name="New texting campaign").click()
        expect(page.get_by_label("From")).to_contain_text("Everyone the filters match")
        page.screenshot(path=str(SHOTS / "texting-new-campaign.png"), full_page=True)
        page.get_by_label("Tag").fill("stewards")
        page.get_by_label("Title").fill("Stewards' meeting")
        page.locator("#id_from_group").select_option(label="Local 8")
        page.locator("#id_script").fill("Hi {first_name}, {texter_first_name} here. Stewards meet "
                                                          "Tuesday at 6.")
        page.get_by_role("button", name="Save and check").click()
        problems = page.get_by_test_id("problems")
        expect(problems).to_contain_text("must name the organization")
        expect(page.get_by_test_id("reachable")).to_have_text("4 numbers will be texted")
        campaign = TextingCampaign.objects.get()
        services.update_campaign(actor=campaign.created_by, campaign=campaign, fields={
            "script": "Hi {first_name}, {texter_first_name} with Local 8 here. Stewards meet Tuesday at 6. "
                      "Reply STOP to opt out."})
        page.reload()
        page.get_by_role("button", name="Launch").click()
        expect(page.get_by_test_id("contacts")).to_have_text("4")
        page.get_by_role("button", name="Make an invitation link").click()
        link = page.get_by_test_id("invite-link").inner_text()
        ann, _key = services.join(key=link.rstrip("/").rsplit("/", 1)[-1], name="Ann Texter")
        bo, _key = services.join(key=services.invite(actor=campaign.created_by, campaign=campaign)[1], name="Bo")
        services.take_batch(texter=ann, size=4)
        for conversation in Conversation.objects.filter(texter=ann).order_by("pk")[:2]:
            services.send_first(texter=ann, conversation_id=conversation.pk)
        while run_due_tasks():
            pass
        replier = Conversation.objects.filter(texter=ann, status="sent").order_by("pk").first()
        with transaction.atomic():  # as the worker offers a reply
            services.receive(replier.person.inbound.create(from_number=replier.person.phones.get().number,
                                                           body="What room?"))
        # The board counts by itself (it refreshes every few seconds).
        expect(page.get_by_test_id("sent")).to_have_text("2", timeout=10_000)
        expect(page.get_by_test_id("needs-reply")).to_have_text("1", timeout=10_000)
        page.screenshot(path=str(SHOTS / "texting-board.png"), full_page=True)
        page.reload()
        waiting = page.locator("#waiting-replies")
        waiting.get_by_label(re.compile("Member")).check()
        waiting.get_by_label("Move to").select_option(label="Bo")
        waiting.get_by_role("button", name="Reassign").click()
        expect(page.get_by_text("Moved 1 conversation.")).to_be_visible()
        page.screenshot(path=str(SHOTS / "texting-board.png"), full_page=True)
        replier.refresh_from_db()
        assert replier.texter == bo
