"""The command line contract: serve refuses to run insecurely, production settings pass deploy checks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from django.test import SimpleTestCase

from turnout.site.tests.helpers import REPO, turnout


class CommandLineTests(SimpleTestCase):
    def test_serve_refuses_to_start_without_a_secret_key(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            result = turnout("serve", env={"TURNOUT_SECRET_KEY": "", "TURNOUT_VAR_DIR": tmp}, timeout=60)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Set TURNOUT_SECRET_KEY", result.stderr)

    def test_the_access_log_leaves_out_the_keys_in_private_links(self) -> None:
        """A member's RSVP link, a host's roster, a card's private copy, an unsubscribe link and a staff
        invitation are keys: the server's access log shows each request with its key replaced."""
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/t.sqlite3", "TURNOUT_VAR_DIR": tmp,
                   "TURNOUT_SECRET_KEY": "k" * 50, "TURNOUT_ALLOWED_HOSTS": "127.0.0.1"}
            env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            self.assertEqual(turnout("migrate", env=env).returncode, 0)
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            server = subprocess.Popen([sys.executable, "-m", "turnout", "serve", "--bind", f"127.0.0.1:{port}",
                                       "--workers", "1", "--no-collectstatic"], cwd=REPO, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            paths = ["/r/SECRETRSVPKEY1/", "/host/SECRETHOSTKEY2/", "/card/copy/SECRETCOPY3/card.pdf",
                     "/u/SECRETUNSUB4/?email=ana@example.org", "/accounts/invitation/SECRETINVITE5/", "/health"]
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).read()
                        break
                    except (urllib.error.URLError, ConnectionError):
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.3)
                for path in paths:
                    # Unknown keys answer 404: what matters is the log line.
                    with contextlib.suppress(urllib.error.HTTPError):
                        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read()
            finally:
                server.terminate()
                log, _ = server.communicate(timeout=30)
        for secret in ("SECRETRSVPKEY1", "SECRETHOSTKEY2", "SECRETCOPY3", "SECRETUNSUB4", "SECRETINVITE5",
                       "ana@example.org"):
            self.assertNotIn(secret, log)
        for shown in ("GET /r/…/", "GET /host/…/", "GET /card/copy/…/card.pdf", "GET /u/…/?email=…",
                      "GET /accounts/invitation/…/"):
            self.assertIn(shown, log)

    def test_production_settings_pass_the_deploy_checks(self) -> None:
        env = {"TURNOUT_SECRET_KEY": "k" * 30 + "Q8s!x$Zp0-vL2@rT6#yN4&wB9^", "TURNOUT_BASE_URL": "https://turnout.example.org",
               "TURNOUT_ALLOWED_HOSTS": "turnout.example.org", "TURNOUT_DEBUG": "0",
               "TURNOUT_EMAIL_HOST": "smtp.example.org",
               "TURNOUT_ENCRYPTION_KEY": "qyj1v-9QkOPvSRtNNu0Kyx8cxsgX4IjLIp6kQzsS0Yg="}
        result = turnout("check", "--deploy", "--fail-level", "WARNING", env=env, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)
        # Without an encryption key of its own, sealed data opens with the secret key: a warning says so.
        with tempfile.TemporaryDirectory() as tmp:
            result = turnout("check", "--deploy", "--fail-level", "WARNING", timeout=60,
                             env={**env, "TURNOUT_ENCRYPTION_KEY": "", "TURNOUT_ENCRYPTION_KEY_FILE": "",
                                  "TURNOUT_VAR_DIR": tmp})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("turnout.W001", result.stderr)
        self.assertIn("turnout generate_encryption_key", result.stderr)

    def test_import_and_export_commands_round_trip(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"DATABASE_URL": f"sqlite:///{tmp}/t.sqlite3", "TURNOUT_VAR_DIR": tmp}
            self.assertEqual(turnout("migrate", env=env).returncode, 0)
            turnout("shell", "-c", "from turnout.accounts.models import Group; Group.objects.create(name='Local 8', slug='local-8')", env=env)
            source = f"{tmp}/members.csv"
            with open(source, "w") as out:
                out.write("email,first_name,phone,zip\nana@example.org,Ana,206-555-0101,98101\nnope,Bad,,\n")
            imported = turnout("import_people", source, "--group", "local-8", "--membership", "member", "--tag", "cli", env=env)
            self.assertEqual(imported.returncode, 0, imported.stderr)
            self.assertIn("2 rows: 1 new people, 0 updated, 1 rejected.", imported.stdout)
            self.assertIn("Row 3: not imported (“email”)", imported.stderr)
            with open(f"{source}.errors.csv") as report:
                self.assertIn('"nope","Bad","",""', report.read())  # the rejected row as it came, ready to fix
            exported = turnout("export_people", "--tag", "cli", env=env)
            self.assertEqual(exported.returncode, 0, exported.stderr)
            self.assertIn("ana@example.org", exported.stdout)
            self.assertIn("(206) 555-0101", exported.stdout)
            self.assertIn("Exported 1 people.", exported.stderr)
            missing = turnout("import_people", source, "--group", "nope", "--membership", "member", env=env)
            self.assertIn("No group with the short name 'nope'", missing.stderr)
