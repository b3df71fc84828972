"""`turnout demo`: a working Turnout on this machine in one command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from turnout.site.demo import load_demo


class Command(BaseCommand):
    help = "Migrate a SQLite database in ./var, load demo data once, then serve the site and run a worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Set up and print the logins, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins = load_demo()
        port = options["port"]
        self.stdout.write(self.style.SUCCESS(f"\nTurnout demo: http://127.0.0.1:{port}/"))
        self.stdout.write(logins)
        self.stdout.write(f"API (Action Network-compatible): http://127.0.0.1:{port}/api/v2/docs; "
                          "make a token on your account page.\n")
        self.stdout.write("Emails (invitations, password resets) are written to var/mail/. Ctrl-C stops.\n")
        if options["no_serve"]:
            return
        env = {**os.environ, "TURNOUT_SECRET_KEY": settings.SECRET_KEY,
               "TURNOUT_BASE_URL": f"http://127.0.0.1:{port}"}
        python = [sys.executable, "-m", "turnout"]
        children = [
            subprocess.Popen([*python, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"], env=env),
            subprocess.Popen([*python, "worker"], env=env),
        ]
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
