"""In headless Chromium: a worker asks to organize their workplace from a phone, in Spanish; an
organizer matches the request to a volunteer, who maps the workplace and assesses coworkers; a
worker e-signs a union card on a phone and the unit's threshold bar moves on the organizer's
screen without a reload."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from turnout.accounts.models import Role
from turnout.organizing import services
from turnout.organizing.models import (
    Campaign,
    Card,
    Employer,
    Request,
    Unit,
    Volunteer,
    Worker,
    Workplace,
)
from turnout.site.testing import make_group, make_person, make_staff
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page, phone  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_asks_and_a_volunteer_is_matched_maps_the_shop_and_assesses(
        phone: Page, page: Page, live_server: Any) -> None:  # noqa: F811
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER, first_name="Olivia")
    volunteer = make_staff("vic@example.org", local, Role.HOST, first_name="Vic", last_name="Nguyen")
    Volunteer.objects.create(group=local, user=volunteer, industries=["food"], languages=["es"],
                             postal_code="98101", latitude=47.61, longitude=-122.33)

    phone.goto(f"{live_server.url}/organize/local-8/")
    expect(phone.get_by_role("heading", name="Organiza tu lugar de trabajo")).to_be_visible()
    expect(phone.get_by_test_id("privacy-note")).to_contain_text("estatus migratorio")
    phone.get_by_label("Nombre:", exact=True).fill("Rosa")
    phone.get_by_label("Teléfono celular").fill("(206) 555-0177")
    phone.get_by_label("Empleador").fill("Bean Street Coffee")
    phone.get_by_label("Código postal del lugar de trabajo").fill("98101")
    phone.get_by_label("Sector").select_option("food")
    phone.get_by_label("¿Qué está pasando en el trabajo?").fill("Nos recortaron las horas.")
    phone.get_by_role("button", name="Enviar").click()
    expect(phone.get_by_test_id("intake-thanks")).to_have_text(
        "Una persona organizadora le enviará un mensaje de texto pronto.")
    phone.screenshot(path=str(SHOTS / "organizing-intake-phone.png"), full_page=True)
    request = Request.objects.get()
    assert (request.language, request.story) == ("es", "Nos recortaron las horas.")

    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}/organizing/")
    page.get_by_test_id("queue").get_by_role("link", name="Bean Street Coffee").click()
    expect(page.get_by_test_id("suggested-organizers")).to_contain_text("Vic Nguyen")
    expect(page.get_by_test_id("suggested-organizers")).to_contain_text("habla español")
    page.get_by_label("Volunteer organizer").select_option(label="Vic Nguyen — 0 of 3 cases")
    page.get_by_role("button", name="Assign and notify").click()
    expect(page.get_by_text("Assigned; the volunteers were told by email.")).to_be_visible()
    assert [m.to for m in mail.outbox if "assigned" in m.subject] == [["vic@example.org"]]
    page.screenshot(path=str(SHOTS / "organizing-request-matched.png"), full_page=True)
    page.get_by_role("button", name="Start a campaign from this request").click()
    expect(page.get_by_test_id("unit-stage")).to_contain_text("First contact")
    unit = Unit.objects.get()

    # The volunteer logs in, finds their workplace and maps it.
    page.context.clear_cookies()
    log_in(page, live_server.url, "vic@example.org")
    page.goto(f"{live_server.url}/organizing/")
    page.get_by_test_id("my-units").get_by_role("link").click()
    workplace_map = page.get_by_test_id("workplace-map")
    for kind, name in (("department", "Front of house"), ("shift", "Morning"), ("job", "Barista")):
        workplace_map.get_by_label("Add a").select_option(kind)
        workplace_map.get_by_label("Name").fill(name)
        workplace_map.get_by_role("button", name="Add to the map").click()
        expect(page.get_by_test_id("workplace-map")).to_contain_text(name)
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Ruiz")
    page.get_by_label("Department").select_option(label="Front of house")
    page.get_by_label("Shift:", exact=True).select_option(label="Morning")
    page.get_by_label("Job title").select_option(label="Barista")
    page.get_by_role("button", name="Add to the roster").click()
    page.get_by_test_id("roster").get_by_role("link", name="Ana Ruiz").click()
    page.get_by_label("2 — Supporter").check()
    page.get_by_label("Notes (kept encrypted)").first.fill("Came to the first meeting")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_test_id("assessments")).to_contain_text("Came to the first meeting")
    page.goto(f"{live_server.url}{unit.get_absolute_url()}")
    expect(page.get_by_test_id("roster")).to_contain_text("Front of house")
    page.screenshot(path=str(SHOTS / "organizing-unit-volunteer.png"), full_page=True)
    ana = Worker.objects.get(person__given_name="Ana")
    assert (ana.support, ana.job.name, ana.shift.name) == (2, "Barista", "Morning")
    # The volunteer's world is this unit: the campaign roll-up is not theirs.
    assert page.goto(f"{live_server.url}{unit.campaign.get_absolute_url()}").status == 404


def test_a_worker_signs_a_card_and_the_threshold_bar_moves(phone: Page, page: Page,  # noqa: F811
                                                           live_server: Any) -> None:
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    employer = Employer.objects.create(group=local, name="Bean Street Coffee", industry="food")
    workplace = Workplace.objects.create(group=local, employer=employer, name="Pike & 5th", postal_code="98101",
                                         latitude=47.61, longitude=-122.33)
    campaign = Campaign.objects.create(group=local, name="Bean Street Workers United", employer=employer,
                                       union_name="Bean Street Workers United",
                                       card_text_es="Autorizo a Bean Street Workers United a representarme.")
    unit = Unit.objects.create(campaign=campaign, workplace=workplace)
    for i in range(3):
        Worker.objects.create(unit=unit, person=make_person(local, given_name=f"W{i}"))
    Worker.objects.create(unit=unit, person=make_person(local, given_name="Rosa", family_name="Martinez",
                                                        email="rosa@example.org"))

    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}{unit.get_absolute_url()}")
    expect(page.get_by_test_id("threshold-cards")).to_have_text("0")
    expect(page.get_by_test_id("threshold")).to_contain_text("30% to file: 2 cards — 2 to go")

    phone.goto(f"{live_server.url}{campaign.public_url()}")
    expect(phone.get_by_test_id("card-text")).to_contain_text("Autorizo a Bean Street Workers United")
    phone.get_by_label("Nombre:", exact=True).fill("Rosa")
    phone.get_by_label("Apellido").fill("Martinez")
    phone.get_by_label("Correo electrónico").fill("rosa@example.org")
    phone.get_by_label("Su puesto").fill("Barista")
    phone.get_by_role("button", name="Continuar para firmar").click()
    expect(phone.get_by_test_id("card-review")).to_contain_text("Pike & 5th")
    phone.get_by_label("Escriba su nombre completo para firmar").fill("Rosa Martin")
    phone.get_by_label("He leído esta tarjeta y la firmo.").check()
    phone.get_by_role("button", name="Firmar mi tarjeta sindical").click()
    expect(phone.locator(".field-error")).to_contain_text("Rosa Martinez")
    assert not Card.objects.exists()
    phone.get_by_label("Escriba su nombre completo para firmar").fill("Rosa Martinez")
    phone.get_by_label("He leído esta tarjeta y la firmo.").check()
    phone.screenshot(path=str(SHOTS / "organizing-card-sign-phone.png"), full_page=True)
    phone.get_by_role("button", name="Firmar mi tarjeta sindical").click()
    expect(phone.get_by_test_id("card-signed")).to_have_text("Su tarjeta sindical está firmada")
    phone.screenshot(path=str(SHOTS / "organizing-card-signed-phone.png"), full_page=True)
    card = Card.objects.get()
    assert card.worker.person.given_name == "Rosa" and "Autorizo" in card.text
    assert Worker.objects.filter(unit=unit).count() == 4  # the card found Rosa on the roster

    # The organizer's page polls: the bar moves without a reload.
    expect(page.get_by_test_id("threshold-cards")).to_have_text("1", timeout=15_000)
    expect(page.get_by_test_id("threshold-percent")).to_have_text("25%")
    expect(page.locator(".threshold-bar")).to_have_attribute("aria-valuenow", "25")
    page.screenshot(path=str(SHOTS / "organizing-threshold.png"), full_page=True)
    page.goto(f"{live_server.url}{campaign.get_absolute_url()}")
    expect(page.get_by_test_id("rollup-cards")).to_have_text("1")
    expect(page.get_by_test_id("map")).to_have_attribute("data-ready", "1")
    page.screenshot(path=str(SHOTS / "organizing-campaign.png"), full_page=True)
    page.get_by_test_id("rollup-cards").click()
    expect(page.get_by_test_id("drill")).to_contain_text("Rosa Martinez")
    page.get_by_test_id("drill").get_by_role("link", name="Rosa Martinez").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF for filing").click()
    assert download.value.suggested_filename == f"card-{card.public_id}.pdf"


def test_a_roster_worker_signs_on_a_phone_and_the_roster_stays_one_worker_each(
        phone: Page, page: Page, browser: Any, live_server: Any) -> None:  # noqa: F811
    """Ana is on the roster by name only (no email, no phone). Her card, signed on a phone, does
    not make a thirteenth worker: it waits until an organizer confirms it is hers, then counts."""
    local = make_group("Local 8")
    organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
    employer = Employer.objects.create(group=local, name="Bean Street Coffee", industry="food")
    workplace = Workplace.objects.create(group=local, employer=employer, name="Pike & 5th", postal_code="98101",
                                         latitude=47.61, longitude=-122.33)
    campaign = Campaign.objects.create(group=local, name="Bean Street Workers United", employer=employer,
                                       union_name="Bean Street Workers United")
    unit = Unit.objects.create(campaign=campaign, workplace=workplace)
    workers = [Worker.objects.create(unit=unit, person=make_person(local, given_name=f"W{i}")) for i in range(11)]
    for worker in workers[:3]:
        services.record_paper_card(actor=organizer, worker=worker, signed_on=timezone.localdate(), scan=None)
    ana = Worker.objects.create(unit=unit, person=make_person(local, given_name="Ana", family_name="Lopez",
                                                              email=None, phone=None))
    ana.person.emails.all().delete()
    ana.person.phones.all().delete()
    item = Request.objects.create(group=local, person=make_person(local, given_name="Rosa", family_name="Martinez",
                                                                  email="rosa@example.org"),
                                  employer_name="Corner Bakery", postal_code="98101", industry="food",
                                  story="They cut our hours.")

    phone.goto(f"{live_server.url}{campaign.public_url()}")
    expect(phone.get_by_test_id("card-text")).to_contain_text("salarios, horarios y condiciones de trabajo")
    phone.get_by_label("Nombre:", exact=True).fill("Ana")
    phone.get_by_label("Apellido").fill("Lopez")
    phone.get_by_label("Correo electrónico").fill("ana@example.org")
    phone.get_by_label("Su puesto").fill("Barista")
    phone.screenshot(path=str(SHOTS / "organizing-card-page-phone.png"), full_page=True)
    phone.get_by_role("button", name="Continuar para firmar").click()
    phone.get_by_label("Escriba su nombre completo para firmar").fill("Ana Lopez")
    phone.get_by_label("He leído esta tarjeta y la firmo.").check()
    phone.get_by_role("button", name="Firmar mi tarjeta sindical").click()
    expect(phone.get_by_test_id("card-signed")).to_be_visible()
    expect(phone.get_by_test_id("signed-on")).to_contain_text("Firmada el")
    phone.screenshot(path=str(SHOTS / "organizing-card-signed-copy-phone.png"), full_page=True)
    assert Worker.objects.filter(unit=unit).count() == 12

    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}{campaign.public_url()}")
    page.screenshot(path=str(SHOTS / "organizing-card-page-desktop.png"), full_page=True)
    page.goto(f"{live_server.url}{unit.get_absolute_url()}")
    expect(page.get_by_test_id("threshold-cards")).to_have_text("3")
    expect(page.get_by_test_id("threshold")).to_contain_text("of 12 workers carded")
    page.get_by_test_id("unit-waiting").get_by_role("link", name="Review cards").click()
    item_box = page.get_by_test_id("review-item")
    expect(item_box.get_by_test_id("candidate")).to_contain_text("Ana Lopez")
    page.screenshot(path=str(SHOTS / "organizing-review-desktop.png"), full_page=True)
    small = browser.new_context(viewport={"width": 390, "height": 844})
    small.add_cookies(page.context.cookies())
    mobile = small.new_page()
    mobile.goto(page.url)
    expect(mobile.get_by_test_id("review-item")).to_be_visible()
    mobile.screenshot(path=str(SHOTS / "organizing-review-phone.png"), full_page=True)
    item_box.get_by_role("button", name="Confirm: this is Ana Lopez").click()
    expect(page.get_by_text("Matched to Ana Lopez; the card counts.")).to_be_visible()
    page.goto(f"{live_server.url}{unit.get_absolute_url()}")
    expect(page.get_by_test_id("threshold-cards")).to_have_text("4")
    expect(page.get_by_test_id("threshold")).to_contain_text("of 12 workers carded")
    assert Worker.objects.filter(unit=unit).count() == 12
    assert Card.objects.of_worker(ana).get().counts

    # The request page: the worker's email on it, for desktop and phone.
    page.goto(f"{live_server.url}{item.get_absolute_url()}")
    expect(page.get_by_test_id("request-email")).to_contain_text("rosa@example.org")
    page.screenshot(path=str(SHOTS / "organizing-request-desktop.png"), full_page=True)
    mobile.goto(page.url)
    expect(mobile.get_by_test_id("request-email")).to_contain_text("rosa@example.org")
    mobile.screenshot(path=str(SHOTS / "organizing-request-phone.png"), full_page=True)
    small.close()
