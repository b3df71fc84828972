"""In headless Chromium, on a desktop and a phone: every page the demo data leads to passes the
Content-Security-Policy, public and console alike; embeds work in another site's frame and nothing
else does; a form may send people on to another site; maps load their tiles. Every browser test
also fails on any refusal (conftest.py); these tests visit the pages no flow of theirs reaches."""

from __future__ import annotations

import base64
import http.server
import re
import threading
from collections import deque
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from turnout.accounts.models import Role, User
from turnout.actions import services as actions
from turnout.actions.models import Form, Petition
from turnout.events import services as events
from turnout.events.models import Event
from turnout.messaging.email import unsubscribe_token
from turnout.mobilization import services as mobilization
from turnout.mobilization.models import Activation, Network
from turnout.site.demo import load_demo
from turnout.site.testing import make_group, make_person, make_staff
from turnout.site.tests import csp_watch
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Pages a visitor without an account reaches (the rest are the console's).
PUBLIC = re.compile(r"^/(e|f|s|p|w|c|n|r|res|hub|organize|card|host|qr|find|u)/|^/accounts/(login|password-reset)/")
EMBEDDABLE = re.compile(r"^/[efspw]/[0-9a-f-]{36}/$")
# Not pages: downloads, feeds, documents, the API (tokens, not sessions), hooks. Two-factor set-up
# would replace the authenticator this session is verified with (its own browser test covers it).
NOT_PAGES = re.compile(r"\.(csv|pdf|ics|json|svg|txt|js)$|/export|/document$|/files/|^/(static|hooks)/"
                       r"|^/api/v2/(?!docs)|^/accounts/(logout|two-factor)")
SHOWN = {  # pages kept as screenshots (test-artifacts/csp-*.png), on both screens
    "dashboard": r"^/$", "people": r"^/people/$", "person": r"^/people/<id>/$", "event-public": r"^/e/<id>/$",
    "organizing-campaign": r"^/organizing/campaigns/<id>/$", "organizing-unit": r"^/organizing/units/<id>/$",
    "events-campaign": r"^/events/campaigns/<id>/$", "petition": r"^/s/<id>/$", "board": r"^/mobilize/activations/<id>/$",
}
TILE = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def shape(url: str) -> str:
    """A page's kind: its path with ids as <id>, and the names of its query's fields."""
    parts = urlsplit(url)
    path = re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}(?=/|$)", "/<id>", parts.path)
    path = re.sub(r"/(\d+|[A-Za-z0-9_-]{16,})(?=/|$)", "/<id>", path)
    fields = sorted({field.split("=")[0] for field in parts.query.split("&") if field})
    return path + ("?" + "&".join(fields) if fields else "")


def visit(tab: Page, url: str, screen: str) -> list[str] | None:
    """Open one page, check its header, and answer what the policy refused on it (None when the
    link was a download, not a page). A few pages are kept as screenshots to look at."""
    try:
        response = tab.goto(url)
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            return None
        raise
    assert response is not None, url
    if "text/html" in response.headers.get("content-type", ""):
        assert "default-src 'self'" in response.headers.get("content-security-policy", ""), url
    for name, kind in SHOWN.items():
        if re.match(kind, shape(url)):
            tab.screenshot(path=str(SHOTS / f"csp-{name}-{screen}.png"), full_page=True)
    return csp_watch.take()


def crawl(tab: Page, base: str, start: list[str], limit: int = 400) -> tuple[list[str], dict[str, list[str]]]:
    """One page of each kind reachable by links from `start`, breadth first, on a desktop screen;
    and what the policy refused on each."""
    queue, kinds, pages, refused = deque(start), set(), [], {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        path = urlsplit(url).path
        if shape(url) in kinds or NOT_PAGES.search(path):
            continue
        kinds.add(shape(url))
        if (seen := visit(tab, url, "desktop")) is None:
            continue
        pages.append(url)
        if seen:
            refused[url] = seen
        links = tab.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        queue.extend(link.split("#")[0] for link in links if link.startswith(base + "/"))
        if EMBEDDABLE.match(path):
            queue.append(f"{base}{path}embed/")
    return pages, refused


def look_over(tab: Page, urls: list[str], screen: str) -> dict[str, list[str]]:
    """What the policy refused, by page, on each of `urls`."""
    return {url: seen for url in urls if (seen := visit(tab, url, screen))}


def new_context(browser: Browser, base: str, viewport: dict[str, int], user: User | None = None,  # noqa: F811
                **options: Any) -> BrowserContext:
    """A browser on a screen this size, signed in as `user` with two-factor done (signing in has
    tests of its own), or signed in to nothing."""
    context = browser.new_context(viewport=viewport, **options)
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.session
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="csp", defaults={"confirmed": True})
        session["otp_device_id"] = device.persistent_id
        session.save()
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key or "", "url": base}])
    return context


@override_settings(SMS_BACKEND="memory")
def test_every_page_of_the_demo_passes_the_policy_on_a_desktop_and_a_phone(browser: Browser,  # noqa: F811
                                                                          live_server: Any) -> None:
    """One page of each kind, found by following links as the council's admin on a desktop, then
    again on a phone; the public ones also as a visitor on a phone in Spanish. Each carries the
    header, and the policy refuses nothing on any of them."""
    load_demo()
    admin = User.objects.get(email="admin@demo.turnout.local")
    rally = Event.objects.get(title="Rally for a fair contract")
    answer, _ = events.rsvp(rally, events.RsvpRequest(given_name="Rosa", email="rosa@example.org"))
    # Something in every bar chart: a campaign site's RSVPs by day, a petition's progress.
    events.rsvp(Event.objects.filter(campaign__isnull=False).first(), events.RsvpRequest(given_name="Ana"))
    actions.sign_petition(Petition.objects.get(), events.RsvpRequest(given_name="Ana", email="ana@example.org"))
    activation = Activation.objects.create(network=Network.objects.get(group__slug="transit-587"),
                                           title="Westlake rally", body="Rally at 6pm. Reply Y or N.", event=rally)
    mobilization.activate(actor=admin, activation=activation)
    base = live_server.url

    desktop = new_context(browser, base, DESKTOP, admin)
    pages, refused = crawl(desktop.new_page(), base, [f"{base}/", f"{base}{reverse('public_rsvp', args=[answer.key])}",
                                                      f"{base}/no-such-page/"])
    desktop.close()
    console = [url for url in pages if not PUBLIC.match(urlsplit(url).path)]
    public = [url for url in pages if PUBLIC.match(urlsplit(url).path)]
    phone = new_context(browser, base, PHONE, admin)
    refused |= look_over(phone.new_page(), console, "phone")
    phone.close()
    # A member's phone, in Spanish; with the public pages that emails and posters lead to.
    visitor = new_context(browser, base, PHONE, locale="es-US")
    unlinked = ["/accounts/login/", "/accounts/password-reset/", "/organize/transit-587/",
                reverse("unsubscribe", args=[unsubscribe_token("rosa@example.org")])]
    refused |= look_over(visitor.new_page(), [*public, *(base + path for path in unlinked)], "phone")
    visitor.close()
    assert refused == {}
    assert len(console) >= 60 and len(public) >= 15, (console, public)  # the crawl found the whole site


def test_the_policy_refuses_injected_code_and_the_tests_notice(page: Page, live_server: Any) -> None:  # noqa: F811
    """Markup slipped into a page runs no script, applies no style and loads nothing from elsewhere;
    each refusal reaches the list every browser test is checked against."""
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_console_message(lambda message: "img-src" in message.text):
        page.evaluate("""() => {
            document.body.insertAdjacentHTML("beforeend",
                '<p id="injected" style="color: red" onclick="document.title = 1">x</p><img src="https://evil.example/x.png">');
            const script = document.createElement("script");
            script.textContent = "document.title = 'pwned'";
            document.head.append(script);
        }""")
    page.locator("#injected").click()
    expect(page).not_to_have_title("pwned")
    expect(page).not_to_have_title("1")
    expect(page.locator("#injected")).not_to_have_css("color", "rgb(255, 0, 0)")
    refused = " ".join(csp_watch.take())
    for directive in ("script-src-elem", "script-src-attr", "style-src-attr", "img-src"):
        assert directive in refused, (directive, refused)


class _OtherSite(http.server.BaseHTTPRequestHandler):
    """Another organization's site: a page (with frames of Turnout's pages), and map tiles."""

    html: ClassVar[bytes] = b""

    def do_GET(self) -> None:
        tile = self.path.endswith(".png")
        self.send_response(200)
        self.send_header("Content-Type", "image/png" if tile else "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(TILE if tile else self.html)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def other_site() -> Iterator[str]:
    """Its address, on 127.0.0.1 where Turnout is on localhost: another origin."""
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OtherSite)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()


def test_another_site_may_frame_an_embed_and_nothing_else(page: Page, live_server: Any,  # noqa: F811
                                                           other_site: str) -> None:
    """The embed shows in the other site's frame; the same event's own page is refused there."""
    event = events.save_event(actor=None, event=Event(group=make_group("Local 8"), title="Rally", postal_code="98101",
                                                      starts_at=timezone.now() + timedelta(days=3)))
    public = f"{live_server.url}{event.public_url()}"
    _OtherSite.html = (f'<!doctype html><h1>Coalition news</h1><iframe id="embed" src="{public}embed/"></iframe>'
                       f'<iframe id="page" src="{public}"></iframe>').encode()
    with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        page.goto(other_site)
    expect(page.frame_locator("#embed").get_by_label("First name")).to_be_visible()
    assert page.frame_locator("#page").get_by_label("First name").count() == 0
    refused = csp_watch.take()
    assert len(refused) == 1 and "frame-ancestors 'none'" in refused[0], refused


def test_a_form_sends_people_on_to_the_site_it_names(page: Page, live_server: Any, other_site: str) -> None:  # noqa: F811
    """A form whose staff chose an address to go to after submitting gets there, framed or not."""
    _OtherSite.html = b"<!doctype html><h1>Welcome to the campaign</h1>"
    form = Form.objects.create(group=make_group("Local 8"), title="Sign up", redirect_url=f"{other_site}/welcome")
    for page_url in (form.public_url(), f"{form.public_url()}embed/"):
        page.goto(f"{live_server.url}{page_url}")
        page.get_by_label("First name").fill("Rosa")
        page.get_by_label("Email").fill("rosa@example.org")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", name="Welcome to the campaign")).to_be_visible()
        assert page.url == f"{other_site}/welcome"


def test_a_map_loads_its_tiles_from_the_configured_server(page: Page, live_server: Any,  # noqa: F811
                                                            other_site: str) -> None:
    """Tiles from the operator's tile server, zoomed in and out (Leaflet blanks the tiles it drops)."""
    tiles = f"{other_site}/{{z}}/{{x}}/{{y}}.png"
    policy = {**settings.SECURE_CSP, "img-src": [*settings.SECURE_CSP["img-src"], other_site]}  # as settings make it
    events.save_event(actor=None, event=Event(group=make_group("Local 8"), title="Rally", postal_code="98101",
                                              starts_at=timezone.now() + timedelta(days=3)))
    with override_settings(MAP_TILES_URL=tiles, MAP_TILES_ATTRIBUTION="Test tiles", SECURE_CSP=policy):
        page.goto(f"{live_server.url}/find/?zip=98104")
        expect(page.get_by_test_id("map")).to_have_attribute("data-ready", "1")
        expect(page.locator("img.leaflet-tile-loaded").first).to_be_visible()
        for _ in range(3):
            page.get_by_role("button", name="Zoom in").click()
            page.get_by_role("button", name="Zoom out").click()
        expect(page.get_by_text("Test tiles")).to_be_visible()
        page.screenshot(path=str(SHOTS / "csp-map-tiles.png"), full_page=True)


def test_what_inline_handlers_did_static_script_does(page: Page, live_server: Any) -> None:  # noqa: F811
    """Language and filter selects submit themselves, the consent form follows its address, the share
    link copies, and bars take their sizes: from turnout.js, with nothing inline."""
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    person = make_person(local, given_name="Maria", email="maria@example.org", phone="+12065550123")
    petition = Petition.objects.create(group=local, title="Fix the heat", goal=4, petition_text="Heat now.")
    base = live_server.url

    page.goto(f"{base}{petition.public_url()}")
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("button", name="Firmar la petición")).to_be_visible()
    page.get_by_label("Nombre:", exact=True).fill("Rosa")
    page.get_by_label("Correo electrónico").fill("rosa@example.org")
    page.get_by_role("button", name="Firmar la petición").click()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copiar").click()
    expect(page.get_by_role("button", name="Copiado")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == page.get_by_test_id("share-url").input_value()
    actions.settle_waiting()  # what the worker does with the signature the page kept
    page.goto(f"{base}{petition.public_url()}")
    assert page.locator(".progress > span").evaluate("bar => bar.style.width") == "25%"  # 1 of 4

    page.goto(f"{base}/accounts/login/")
    page.locator("#lang").select_option("en")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    log_in(page, base, "organizer@example.org")
    page.goto(f"{base}{person.get_absolute_url()}")
    page.get_by_text("Record an opt-out or opt-in they told you about").click()
    page.locator("#c-addr").select_option(label="(206) 555-0123")
    expect(page.locator("input[name=channel]")).to_have_value("sms")
    page.goto(f"{base}/organizing/")
    page.locator("#status").select_option("all")
    expect(page).to_have_url(re.compile(r"status=all"))
