"""The public pages, checked by axe-core in headless Chromium on a phone (390x844), in English and
Spanish: no serious or critical violation (missing labels, low contrast, no landmarks, no page
language, unnamed links...). axe-core comes from npm (package.json; `make test` installs it) and is
read from node_modules/ into each page: nothing is fetched from elsewhere.

One test per set of pages, each set's pages in both languages; one browser for the module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page

from turnout.actions.models import Form, FormQuestion, Petition
from turnout.events import services as events
from turnout.events.models import Event, EventCampaign, Shift
from turnout.hubs.models import Hub, HubItem
from turnout.mobilization.models import Network, Pledge
from turnout.organizing.models import Campaign, Employer, Unit, Workplace
from turnout.site.testing import make_group
from turnout.site.tests.helpers import REPO
from turnout.site.tests.test_browser import SHOTS, browser  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
LANGUAGES = {"en": "en-US", "es": "es-US"}
# What fails the test: the two worst of axe's four impacts.
BLOCKING = {"serious", "critical"}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.map(n => n.target.join(" "))}));
}"""


@pytest.fixture(scope="module")
def axe_path() -> str:
    """axe-core's script, or a failure that says how to get it: never a skip."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `npm ci` at the repository root (make test does).")
    return str(AXE)


@pytest.fixture
def phones(browser: Browser) -> Iterator[dict[str, Page]]:  # noqa: F811
    """A phone-sized page per language. The page's own Content-Security-Policy is bypassed only so
    that axe's script can be added to it; the CSP itself is checked by the other browser tests."""
    contexts = {lang: browser.new_context(viewport=PHONE, locale=locale, bypass_csp=True)
                for lang, locale in LANGUAGES.items()}
    yield {lang: context.new_page() for lang, context in contexts.items()}
    for context in contexts.values():
        context.close()


class Audit:
    """Violations gathered over a set of pages, reported together at the end."""

    def __init__(self, axe: str, base: str) -> None:
        self.axe, self.base, self.found, self.checked = axe, base, [], 0

    def check(self, page: Page, lang: str, path: str | None = None, shot: str = "") -> None:
        """Open `path` (or check the page as it is) and run axe over it."""
        if path is not None:
            response = page.goto(self.base + path)
            assert response is not None and response.ok, f"{path}: {response and response.status}"
        assert page.evaluate("document.documentElement.lang").startswith(lang), f"{page.url}: not in {lang}"
        page.add_script_tag(path=self.axe)
        for violation in page.evaluate(RUN_AXE):
            if violation["impact"] in BLOCKING:
                targets = "; ".join(violation["targets"][:5])
                self.found.append(f"{page.url.removeprefix(self.base)} [{lang}] {violation['id']} "
                                  f"({violation['impact']}): {violation['help']} — {targets}")
        self.checked += 1
        if shot:
            page.screenshot(path=str(SHOTS / f"a11y-{shot}-{lang}.png"), full_page=True)

    def assert_clean(self) -> None:
        assert self.checked, "no page was checked"
        assert not self.found, (f"axe-core found {len(self.found)} serious or critical violations:\n"
                                + "\n".join(self.found))


@pytest.fixture
def audit(axe_path: str, live_server: Any) -> Audit:
    return Audit(axe_path, live_server.url)


def _event(group: Any) -> Event:
    soon = (timezone.now() + timedelta(days=3)).replace(hour=18, minute=0, second=0, microsecond=0)
    event = events.save_event(actor=None, event=Event(
        group=group, title="Rally for a fair contract", postal_code="98101", venue="Westlake Park",
        starts_at=soon, capacity=50, visibility="public", description="Bring a sign and a friend."))
    Shift.objects.create(event=event, label="Marshals", starts_at=soon, capacity=5)
    events.add_question(actor=None, event=event, label="Do you need child care?", kind="choice",  # type: ignore[arg-type]
                        choices=["Yes", "No"], required=False)
    events.save_event(actor=None, event=Event(group=group, title="Online training", kind="virtual",
                                              time_zone="America/Los_Angeles", starts_at=soon, visibility="public"))
    return event


def _submit(page: Page) -> None:
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_event_pages(phones: dict[str, Page], audit: Audit) -> None:
    local = make_group("Local 8")
    event = _event(local)
    answer, _created = events.rsvp(event, events.RsvpRequest(given_name="Rosa", email="rosa@example.org"))
    campaign = EventCampaign.objects.create(group=local, title="Protect the Results", status="scheduled",
                                            local_date=(timezone.now() + timedelta(days=5)).date(),
                                            local_start=time(17, 0))
    events.add_site(actor=None, campaign=campaign, event=Event(group=local, postal_code="98101", venue="City Hall"))
    for lang, page in phones.items():
        audit.check(page, lang, event.public_url(), shot="event")
        _submit(page)  # nothing filled in: the form again, with what to fix
        audit.check(page, lang)
        audit.check(page, lang, f"{event.public_url()}embed/")
        audit.check(page, lang, answer.get_absolute_url())
        audit.check(page, lang, "/find/?zip=98104&miles=25", shot="find")
        audit.check(page, lang, campaign.public_url())
    audit.assert_clean()


def test_action_pages(phones: dict[str, Page], audit: Audit) -> None:
    local = make_group("Local 8")
    form = Form.objects.create(group=local, title="Sign up to volunteer", title_es="Inscríbase como voluntario")
    FormQuestion.objects.create(form=form, position=1, label="What can you help with?", kind="text")
    petition = Petition.objects.create(group=local, title="Fix the heat in Building 4", goal=50,
                                       petition_text="We demand heat.", targets="Facilities director")
    pledge = Pledge.objects.create(group=local, title="Protect the results", text="We will stand up.", goal=100)
    for lang, page in phones.items():
        audit.check(page, lang, form.public_url())
        audit.check(page, lang, pledge.public_url())
        audit.check(page, lang, f"{petition.public_url()}embed/")
        audit.check(page, lang, petition.public_url(), shot="petition")
        _submit(page)
        audit.check(page, lang)  # with what to fix
        page.fill("[name=given_name]", f"Ana {lang}")
        page.fill("[name=email]", f"ana-{lang}@example.org")
        page.fill("[name=postal_code]", "98101")
        _submit(page)
        page.wait_for_selector("[data-testid=thanks]")
        audit.check(page, lang, shot="thanks")  # the thank-you and share page
    audit.assert_clean()


def test_network_organizing_and_hub_pages(phones: dict[str, Page], audit: Audit) -> None:
    local = make_group("Local 8")
    network = Network.objects.create(group=local, name="Rapid Response", description="Be ready when it matters.")
    employer = Employer.objects.create(group=local, name="Bean Street Coffee", industry="food")
    workplace = Workplace.objects.create(group=local, employer=employer, name="Pike & 5th", postal_code="98101")
    campaign = Campaign.objects.create(group=local, name="Bean Street Workers United", employer=employer,
                                       union_name="Bean Street Workers United")
    Unit.objects.create(campaign=campaign, workplace=workplace)
    event = _event(local)
    hub = Hub.objects.create(group=local, slug="election", title="Election Response Resource Center",
                             title_es="Centro de recursos", intro="Everything in one place.", is_published=True)
    HubItem.objects.create(hub=hub, position=1, kind=HubItem.Kind.EVENTS, heading="Upcoming",
                           heading_es="Próximos eventos")
    HubItem.objects.create(hub=hub, position=2, kind=HubItem.Kind.LINK, heading="Know your rights",
                           url="https://union.example/rights")
    assert event.pk
    for lang, page in phones.items():
        audit.check(page, lang, network.public_url(), shot="network")
        audit.check(page, lang, f"/organize/{local.slug}/")
        _submit(page)
        audit.check(page, lang)  # with what to fix
        audit.check(page, lang, campaign.public_url(), shot="card")
        page.fill("[name=given_name]", "Rosa")
        page.fill("[name=family_name]", "Martinez")
        page.fill("[name=email]", f"rosa-{lang}@example.org")
        page.fill("[name=job_title]", "Barista")
        _submit(page)
        page.wait_for_selector("[name=signature]")
        audit.check(page, lang)  # the whole card, to sign
        audit.check(page, lang, f"/hub/{hub.slug}/")
    audit.assert_clean()


def test_the_audit_names_each_violation_it_finds(phones: dict[str, Page], audit: Audit) -> None:
    """The check can fail: a page with an unlabelled field and an image without words is reported
    rule by rule, with its impact and where it is."""
    page = phones["en"]
    page.goto(audit.base + "/find/")
    page.evaluate("""() => {
      const main = document.querySelector("main");
      main.insertAdjacentHTML("beforeend", '<input id="bare" type="text"><img id="wordless" src="/static/none.png">');
    }""")
    audit.check(page, "en")
    with pytest.raises(AssertionError) as failure:
        audit.assert_clean()
    report = str(failure.value)
    assert "/find/ [en] label (critical)" in report, report
    assert "#bare" in report and "image-alt (critical)" in report and "#wordless" in report, report
