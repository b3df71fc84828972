"""What staff see, in headless Chromium: the demo's printed login, search, imports with progress, two-factor."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect, sync_playwright

from turnout.accounts.models import Role
from turnout.site.testing import PASSWORD, make_group, make_person, make_staff
from turnout.site.tests import csp_watch
from turnout.site.tests.helpers import REPO, database_url_for_children

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium whose every context reports Content-Security-Policy violations, on which
    each browser test fails (conftest.py)."""
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        new_context = chromium.new_context
        chromium.new_context = lambda **options: csp_watch.watch(new_context(**options))  # type: ignore[method-assign]
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized screen whose browser asks for Spanish, as many members' do."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-US")
    yield context.new_page()
    context.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_demo_serves_and_its_printed_login_works(browser: Browser) -> None:
    """`turnout demo` on a fresh directory: migrate, demo data, the printed organizer login, then Ctrl-C."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
        env["TURNOUT_VAR_DIR"] = tmp
        demo = subprocess.Popen([sys.executable, "-m", "turnout", "demo", "--port", str(port)], cwd=tmp, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            printed = ""
            deadline = time.monotonic() + 120
            while "Ctrl-C stops" not in printed and time.monotonic() < deadline:
                printed += demo.stdout.readline()  # type: ignore[union-attr]
            password = re.search(r"organizer@demo\.turnout\.local\s+password: (\S+)", printed).group(1)  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{port}"
            _wait_for(f"{base}/health")
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            log_in(page, base, "organizer@demo.turnout.local", password)
            expect(page.get_by_role("heading", name="Hello, Olivia")).to_be_visible()
            page.get_by_role("link", name="Find people").click()
            # 140 imported members of the local, and 37 from its organizing drive (3 shops of 12, one request).
            expect(page.get_by_text(re.compile(r"^177 people$"))).to_be_visible()
            page.get_by_label("Near ZIP").fill("98101")
            page.get_by_label("Within miles").fill("25")
            page.get_by_role("button", name="Search").click()
            expect(page.locator("#results tbody tr").first).to_contain_text("WA")
            page.screenshot(path=str(SHOTS / "demo-people-phone.png"), full_page=True)
            assert (Path(tmp) / "turnout.sqlite3").exists()
            context.close()
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=30)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def test_an_organizer_finds_a_member_and_tags_them_without_reloading(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    maria = make_person(local, given_name="Maria", family_name="Lopez", email="maria@example.org", postal_code="98101")
    make_person(local, given_name="Luis", family_name="Ortiz", postal_code="10027")
    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}/people/")
    page.get_by_label("Search").fill("lopez")  # typing filters as you go (htmx)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=lopez"))
    page.get_by_role("link", name="Maria Lopez").click()
    page.get_by_placeholder("Add a tag").fill("steward")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#tags .tag")).to_have_text(re.compile("steward"))
    assert list(maria.taggings.values_list("tag__name", flat=True)) == ["steward"]
    page.screenshot(path=str(SHOTS / "person.png"), full_page=True)


def test_an_import_shows_progress_and_survives_a_reload(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    """Upload, watch the bar move while a separate worker imports, reload, read the rejected rows."""
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    rows = "".join(f"member{i}@example.org,Member{i},206-555-{i % 10000:04d},98101\n" for i in range(3000))
    source = Path(tempfile.mkdtemp()) / "members.csv"
    source.write_text("email,first_name,phone,zip\n" + rows + "broken,Bad,,\n")
    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}/people/imports/")
    page.get_by_label("CSV file").set_input_files(str(source))
    page.get_by_label("Tag everyone with").fill("march-list")
    page.get_by_role("button", name="Upload and check the columns").click()
    expect(page.get_by_text("This field is required")).to_be_visible()  # members or supporters: staff say which
    page.get_by_label("CSV file").set_input_files(str(source))
    page.get_by_label("members of the union").check()
    page.get_by_role("button", name="Upload and check the columns").click()
    page.get_by_role("button", name="Import with these columns").click()
    expect(page.get_by_text("waiting to start")).to_be_visible()
    page.reload()
    expect(page.get_by_text("waiting to start")).to_be_visible()
    env = {**os.environ, "DATABASE_URL": database_url_for_children()}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = subprocess.run([sys.executable, "-m", "turnout", "worker", "--burst"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=180, check=False)
    assert worker.returncode == 0, worker.stderr
    expect(page.locator("#import-status")).to_have_text("finished", timeout=15000)  # the page polls on its own
    expect(page.locator("progress")).to_have_attribute("value", "100")
    expect(page.locator("#rows-created")).to_have_text("3,000")
    page.reload()
    expect(page.get_by_role("cell", name="broken", exact=False)).to_be_visible()
    page.screenshot(path=str(SHOTS / "import-finished.png"), full_page=True)


def test_an_admin_turns_on_two_factor_at_first_login(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    council = make_group("Metro Council")
    admin = make_staff("admin@example.org", council, Role.ADMIN)
    log_in(page, live_server.url, "admin@example.org")
    expect(page.get_by_role("heading", name="Turn on two-factor sign-in")).to_be_visible()
    page.screenshot(path=str(SHOTS / "two-factor.png"), full_page=True)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=admin)
    secret = page.locator("code.secret").inner_text()
    assert len(secret) >= 16
    page.get_by_label("Six-digit code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Two-factor sign-in is on.")).to_be_visible()
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("table")).to_contain_text("changed two-factor")


def test_the_console_speaks_spanish(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("heading", name="Acceso del personal")).to_be_visible()
    expect(page.get_by_role("button", name="Entrar")).to_be_visible()
