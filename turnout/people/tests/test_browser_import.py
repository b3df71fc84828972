"""In headless Chromium: staff upload a CSV, read the column preview, read one column as the phone
and skip another, import, and download the rows with problems to fix."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from turnout.accounts.models import Role
from turnout.people.models import ImportJob, Person
from turnout.site.testing import make_group, make_staff, run_due_tasks
from turnout.site.tests.test_browser import SHOTS, browser, log_in, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBERS = (
    "First name,E-mail,Mobile no,Notes,Employer,SSN\n"
    "Ana,ana@example.org,(206) 555-0142,nights,Acme,123-45-6789\n"
    "Bob,not-an-email,,days,Acme,123-45-6780\n"
    "Cy,cy@example.org,12345,swing,Acme,123-45-6781\n"
)


def test_staff_preview_the_columns_choose_import_and_download_the_rows_to_fix(
        page: Page, browser: Browser, live_server: Any) -> None:  # noqa: F811
    local = make_group("Local 8")
    make_staff("organizer@example.org", local, Role.ORGANIZER)
    source = Path(tempfile.mkdtemp()) / "members.csv"
    source.write_text(MEMBERS)
    log_in(page, live_server.url, "organizer@example.org")
    page.goto(f"{live_server.url}/people/imports/")
    page.get_by_label("CSV file").set_input_files(str(source))
    page.get_by_label("members of the union").check()
    page.get_by_role("button", name="Upload and check the columns").click()

    # The preview: each column, how it would be read, its first values; the SSN column already gone.
    expect(page.get_by_role("heading", name="members.csv")).to_be_visible()
    mobile = page.locator('tr[data-column="Mobile no"]')
    expect(mobile).to_contain_text("custom field “Mobile no”")
    expect(mobile).to_contain_text("(206) 555-0142")
    expect(page.locator('tr[data-column="E-mail"]')).to_contain_text("Turnout reads it as: Email")
    expect(page.locator("#refused-columns")).to_contain_text("Column “SSN” was not imported")
    expect(page.locator("#columns")).not_to_contain_text("123-45-6789")
    assert not Person.objects.filter(given_name="Ana").exists()
    page.screenshot(path=str(SHOTS / "import-preview.png"), full_page=True)
    small = browser.new_context(viewport={"width": 390, "height": 844})
    phone_page = small.new_page()
    phone_page.context.add_cookies(page.context.cookies())
    phone_page.goto(page.url)
    expect(phone_page.locator('tr[data-column="Mobile no"]')).to_be_visible()
    phone_page.screenshot(path=str(SHOTS / "import-preview-phone.png"), full_page=True)
    small.close()

    # A bad choice is said, and what was chosen stays.
    page.get_by_label("Read “Notes” as").select_option("custom")
    page.get_by_label("Custom field name for “Notes”").fill("Immigration status")
    page.get_by_role("button", name="Import with these columns").click()
    expect(page.get_by_text("“Immigration status” cannot be a custom field")).to_be_visible()
    expect(page.get_by_label("Custom field name for “Notes”")).to_have_value("Immigration status")

    page.get_by_label("Read “Mobile no” as").select_option(label="Phone")
    page.get_by_label("Custom field name for “Notes”").fill("Shift")
    page.get_by_label("Read “Employer” as").select_option(label="Skip this column")
    page.get_by_role("button", name="Import with these columns").click()
    expect(page.get_by_text("waiting to start")).to_be_visible()
    run_due_tasks()
    expect(page.locator("#import-status")).to_have_text("finished", timeout=15000)  # the page polls on its own
    expect(page.locator("#rows-warned")).to_have_text("1")
    expect(page.locator("#problems")).to_contain_text("imported without this value")
    page.screenshot(path=str(SHOTS / "import-problems.png"), full_page=True)
    ana = Person.objects.get(emails__address="ana@example.org")
    assert (ana.phones.get().number, ana.custom_fields) == ("+12065550142", {"Shift": "nights"})

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rows with problems (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["import problem", "First name", "E-mail", "Mobile no", "Notes", "Employer"]
    assert [row[1:] for row in rows[1:]] == [["Bob", "not-an-email", "", "days", "Acme"],
                                             ["Cy", "cy@example.org", "12345", "swing", "Acme"]]
    assert ImportJob.objects.get().rows_failed == 1
