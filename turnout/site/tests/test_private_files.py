"""Files are private: what Turnout writes (the SQLite database, uploads, error reports, card scans,
the demo's key, the var folders) is its own user's alone, 0600 files in 0700 folders, whatever the
umask; an older install's files are closed to others when the worker or the server starts."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from turnout.__main__ import prepare_demo_directory
from turnout.core import files
from turnout.organizing.models import Campaign, Card, Employer, Unit, Worker, Workplace
from turnout.people.models import ImportJob
from turnout.site.testing import TurnoutTestCase, make_person, start_previewed_import
from turnout.site.tests.helpers import turnout

CSV = b"email,first_name,zip\nana@example.org,Ana,98101\nbad-email,Bob,98101\n"


def mode(path: Path | str) -> int:
    return os.stat(path).st_mode & 0o777


@contextmanager
def umask(value: int) -> Iterator[None]:
    """A process umask that would leave files readable by everyone."""
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


class PrivateFilesTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def test_turnout_runs_with_an_owner_only_umask(self) -> None:
        """Set by the settings, so whatever else writes a file (an email in var/mail) makes it owner-only."""
        previous = os.umask(0o077)
        os.umask(previous)
        self.assertEqual(previous, 0o077)

    def test_an_uploaded_import_and_its_error_report_are_owner_only(self) -> None:
        imports = self.tmp / "var" / "imports"
        self.login(self.organizer)
        upload = SimpleUploadedFile("members.csv", CSV, content_type="text/csv")
        with override_settings(IMPORT_DIR=imports), umask(0o022), self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("people:imports"), {"file": upload, "group": self.local.pk,
                                                         "membership": "member"})
            start_previewed_import(self.client, ImportJob.objects.get())
        job = ImportJob.objects.get()
        self.assertEqual((mode(imports), mode(job.file_path)), (0o700, 0o600))
        with override_settings(IMPORT_DIR=imports):
            self.run_worker()
        job.refresh_from_db()
        self.assertEqual(job.rows_failed, 1)
        self.assertEqual(mode(job.error_report_path), 0o600)

    def test_a_scanned_paper_card_is_owner_only(self) -> None:
        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee", industry="food")
        campaign = Campaign.objects.create(group=self.local, name="Bean Street Workers United", employer=employer,
                                           union_name="Bean Street Workers United, Local 8")
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike & 5th",
                                             postal_code="98101", industry="food")
        worker = Worker.objects.create(unit=Unit.objects.create(campaign=campaign, workplace=workplace),
                                       person=make_person(self.local, given_name="Ana"))
        media = self.tmp / "var" / "media"
        self.login(self.organizer)
        signed_on = (timezone.localdate() - timedelta(days=3)).isoformat()
        with override_settings(MEDIA_ROOT=media), umask(0o022):
            response = self.client.post(reverse("organizing:worker", args=[worker.public_id]), {
                "paper": "1", "signed_on": signed_on, "scan": SimpleUploadedFile("card.jpg", b"\xff\xd8scan")})
        self.assertEqual(response.status_code, 302)
        scan = media / Card.objects.get().scan.name
        self.assertEqual(mode(scan), 0o600)
        folders = [media, *[folder for folder in scan.parents if media in folder.parents]]
        self.assertEqual({mode(folder) for folder in folders}, {0o700}, folders)

    def test_the_demos_secret_key_is_owner_only_from_the_moment_it_exists(self) -> None:
        var = self.tmp / "var"
        with mock.patch.dict(os.environ, {"TURNOUT_VAR_DIR": str(var)}), umask(0o022):
            prepare_demo_directory()
        key = var / "secret_key"
        self.assertEqual((mode(var), mode(key)), (0o700, 0o600))
        self.assertGreater(len(key.read_text()), 40)
        written = key.read_text()
        with mock.patch.dict(os.environ, {"TURNOUT_VAR_DIR": str(var)}):
            prepare_demo_directory()
        self.assertEqual(key.read_text(), written)  # made once

    def test_an_older_installs_files_and_folders_are_closed_to_others(self) -> None:
        var = self.tmp / "var"
        (var / "imports").mkdir(parents=True)
        (var / "imports" / "members.csv").write_text("email\n")
        (var / "turnout.sqlite3").write_text("")
        (var / "link").symlink_to("/etc/hostname")
        for path, wide in [(var, 0o755), (var / "imports", 0o775), (var / "imports" / "members.csv", 0o644),
                           (var / "turnout.sqlite3", 0o666)]:
            path.chmod(wide)
        self.assertEqual(files.tighten(var), 4)
        self.assertEqual([mode(var), mode(var / "imports")], [0o700, 0o700])
        self.assertEqual([mode(var / "imports" / "members.csv"), mode(var / "turnout.sqlite3")], [0o600, 0o600])
        self.assertEqual(files.tighten(var), 0)


class FreshInstallTests(TransactionTestCase):
    """Settings and the worker, as Turnout starts in its own process."""

    def test_a_new_sqlite_database_and_its_wal_and_shm_files_are_owner_only(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            var = Path(tmp) / "var"
            script = ("from django.db import connection\n"
                      "import os\n"
                      "cursor = connection.cursor()\n"
                      "cursor.execute('CREATE TABLE t (x)')\n"
                      "cursor.execute('INSERT INTO t VALUES (1)')\n"
                      "name = connection.settings_dict['NAME']\n"
                      "print(' '.join(oct(os.stat(name + suffix).st_mode & 0o777) for suffix in ('', '-wal', '-shm')))\n")
            result = turnout("shell", "-c", script, env={"DATABASE_URL": "", "TURNOUT_VAR_DIR": str(var)},
                             umask=0o022)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout.split()[-3:], ["0o600", "0o600", "0o600"])
            self.assertEqual(mode(var), 0o700)
            self.assertEqual(mode(var / "turnout.sqlite3"), 0o600)

    def test_the_worker_closes_an_older_installs_var_folder_to_others_at_start(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            var = Path(tmp) / "var"
            (var / "imports").mkdir(parents=True)
            (var / "imports" / "members.csv").write_text("email\n")
            for path, wide in [(var, 0o755), (var / "imports", 0o755), (var / "imports" / "members.csv", 0o644)]:
                path.chmod(wide)
            result = turnout("worker", "--burst", env={"TURNOUT_VAR_DIR": str(var)}, umask=0o022)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual([mode(var), mode(var / "imports"), mode(var / "imports" / "members.csv")],
                             [0o700, 0o700, 0o600])
