"""In headless Chromium: a worker fills a sign-up form on a phone in Spanish; a coworker signs a
petition through a share link and the sharer is credited; an organization endorses a resolution
and the roll-up moves once staff approve; a form embedded on another local site records into the
same submissions without any cookie."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from turnout.accounts.models import Role
from turnout.actions.models import (
    Endorsement,
    Form,
    FormQuestion,
    Petition,
    Resolution,
    Submission,
)
from turnout.actions.services import settle_waiting
from turnout.people.models import Person
from turnout.sharing.models import Referral
from turnout.site.testing import make_group, make_staff
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page, phone  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_fills_a_form_on_a_phone_in_spanish(phone: Page, live_server: Any) -> None:  # noqa: F811
    local = make_group("Local 8")
    form = Form.objects.create(group=local, title="Join the contract campaign", title_es="Únete a la campaña",
                               description_es="Cuéntanos cómo puedes ayudar.", tags="contract-2026",
                               thank_you_es="Te llamaremos esta semana.")
    shift = FormQuestion.objects.create(form=form, position=1, label="Which shift?", label_es="¿Qué turno?",
                                        kind=FormQuestion.Kind.CHOICE, choices="Día\nNoche", required=True)
    helps = FormQuestion.objects.create(form=form, position=2, label="How can you help?",
                                        label_es="¿Cómo puedes ayudar?", kind=FormQuestion.Kind.MULTIPLE,
                                        choices="Llamadas\nVisitas")
    phone.goto(f"{live_server.url}{form.public_url()}")
    expect(phone.get_by_role("heading", name="Únete a la campaña")).to_be_visible()
    phone.get_by_label("Nombre").fill("Rosa")
    phone.get_by_label("Teléfono celular").fill("(206) 555-0142")
    phone.get_by_role("button", name="Enviar").click()
    # The shift was required: the form comes back with what she typed and the reason.
    expect(phone.get_by_label("Nombre")).to_have_value("Rosa")
    expect(phone.locator(".field-error")).to_contain_text("obligatorio")
    phone.get_by_label("¿Qué turno?").select_option("Noche")
    phone.get_by_label("Visitas").check()
    phone.get_by_label("Envíenme mensajes de texto").check()
    phone.get_by_label("Código postal").fill("98104")
    phone.screenshot(path=str(SHOTS / "actions-form-phone.png"), full_page=True)
    phone.get_by_role("button", name="Enviar").click()
    expect(phone.get_by_test_id("thanks")).to_have_text("¡Gracias!")
    expect(phone.get_by_text("Te llamaremos esta semana.")).to_be_visible()
    expect(phone.get_by_role("link", name="WhatsApp")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "actions-form-thanks.png"), full_page=True)
    settle_waiting()  # the worker makes the record of a form answered at once
    submission = Submission.objects.get(form=form)
    assert submission.answers == {shift.label: "Noche", helps.label: "Visitas"}
    assert submission.person.language == "es"
    assert list(submission.person.taggings.values_list("tag__name", flat=True)) == ["contract-2026"]


def test_a_petition_signed_through_a_share_link_credits_the_sharer(phone: Page, page: Page,  # noqa: F811
                                                                   browser: Browser, live_server: Any) -> None:  # noqa: F811
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    petition = Petition.objects.create(group=local, title="Fix the heat in Building 4", goal=10,
                                       petition_text="We demand working heat before winter.")
    phone.goto(f"{live_server.url}{petition.public_url()}")
    phone.get_by_label("Nombre:", exact=True).fill("Rosa")
    phone.get_by_label("Correo electrónico").fill("rosa@example.org")
    phone.get_by_label("Código postal").fill("98101")
    phone.get_by_label("Mostrar mi nombre y ciudad").check()
    phone.get_by_role("button", name="Firmar la petición").click()
    share = phone.get_by_test_id("share-url").input_value()
    assert "?ref=" in share
    settle_waiting()

    # A coworker opens Rosa's link on another phone and signs.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    coworker = context.new_page()
    coworker.goto(share)
    expect(coworker.get_by_test_id("action-count")).to_contain_text("1 person has signed")
    expect(coworker.get_by_test_id("signers")).to_contain_text("Rosa, Seattle")
    coworker.get_by_label("First name:", exact=True).fill("Ana")
    coworker.get_by_label("Email").fill("ana@example.org")
    coworker.get_by_role("button", name="Sign the petition").click()
    expect(coworker.get_by_test_id("thanks")).to_have_text("Thank you for signing")
    context.close()
    settle_waiting()
    assert Referral.objects.get().referrer == Person.objects.get(given_name="Rosa")

    # The organizer sees who brought whom.
    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}{petition.get_absolute_url()}")
    expect(page.get_by_test_id("signed")).to_contain_text("2")
    expect(page.get_by_test_id("leaderboard")).to_contain_text("Rosa")
    expect(page.get_by_test_id("leaderboard")).to_contain_text("brought 1")
    page.screenshot(path=str(SHOTS / "actions-petition-leaderboard.png"), full_page=True)


def test_an_endorsement_rolls_up_after_staff_approve_it(page: Page, live_server: Any,  # noqa: F811
                                                         tmp_path: Path) -> None:
    council = make_group("Metro Labor Council")
    make_staff("organizer@example.org", council, Role.ORGANIZER)
    resolution = Resolution.objects.create(group=council, title="Count every vote", passed_by="Metro Labor Council",
                                           text="The council resolves that every vote be counted.", vote="unanimous")
    document = tmp_path / "local99-resolution.pdf"
    document.write_bytes(b"%PDF-1.4 Teamsters Local 99 resolution")
    page.goto(f"{live_server.url}{resolution.public_url()}")
    expect(page.get_by_test_id("rollup")).to_contain_text("0 bodies representing 0 members")
    page.get_by_label("Organization").fill("Teamsters Local 99")
    page.get_by_label("Type").select_option("local")
    page.get_by_label("Members represented").fill("1200")
    page.get_by_label("Date passed").fill("2026-10-20")
    page.get_by_label("Your resolution (PDF)").set_input_files(str(document))
    page.get_by_label("Contact name").fill("Lee Park")
    page.get_by_label("Contact email").fill("lee@local99.example")
    page.get_by_label("ZIP code").fill("60608")
    page.get_by_role("button", name="Send our endorsement").click()
    expect(page.get_by_test_id("endorsement-sent")).to_be_visible()
    expect(page.get_by_test_id("rollup")).to_contain_text("0 bodies")  # not before staff approve

    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}{resolution.get_absolute_url()}")
    expect(page.get_by_test_id("pending")).to_contain_text("Teamsters Local 99")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("rollup")).to_contain_text("1 body representing 1,200 members")
    assert Endorsement.objects.get().status == Endorsement.Status.APPROVED

    page.goto(f"{live_server.url}{resolution.public_url()}")
    expect(page.get_by_test_id("rollup")).to_contain_text("1 body representing 1,200 members has endorsed")
    expect(page.get_by_test_id("endorsers")).to_contain_text("Teamsters Local 99")
    expect(page.get_by_test_id("endorsers")).to_contain_text("Chicago, IL")
    expect(page.get_by_test_id("map")).to_have_attribute("data-ready", "1")
    page.screenshot(path=str(SHOTS / "actions-resolution-rollup.png"), full_page=True)


class _Site(http.server.BaseHTTPRequestHandler):
    html = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_form_embedded_on_another_site_records_without_cookies(page: Page, live_server: Any) -> None:  # noqa: F811
    local = make_group("Local 8")
    form = Form.objects.create(group=local, title="Sign up for updates", thank_you="You are on the list.")
    # Another organization's site, on its own address (127.0.0.1, where Turnout is on localhost):
    # the snippet staff copy from the form's page.
    embed = f"{live_server.url}{form.public_url()}embed/"
    _Site.html = (f'<!doctype html><html><body><h1>Coalition news</h1>'
                  f'<div data-turnout-embed="{embed}" data-title="Sign up"></div>'
                  f'<script src="{live_server.url}/static/actions/embed.js" async></script></body></html>').encode()
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{site.server_address[1]}/")
        frame = page.frame_locator("iframe")
        frame.get_by_label("First name").fill("Rosa")
        frame.get_by_label("Email").fill("rosa@example.org")
        frame.get_by_role("button", name="Send").click()
        expect(frame.get_by_test_id("thanks")).to_have_text("Thank you!")
        expect(frame.get_by_text("You are on the list.")).to_be_visible()
        height = page.locator("iframe").evaluate("f => f.getBoundingClientRect().height")
        assert height > 300  # the frame was fitted to the page inside it
        page.screenshot(path=str(SHOTS / "actions-embedded.png"), full_page=True)
    finally:
        site.shutdown()
    settle_waiting()
    assert Submission.objects.get(form=form).source == "embed"
    assert page.context.cookies(live_server.url) == []  # nothing was stored in the visitor's browser for Turnout
