"""`turnout` is Django's manage.py, plus the demo, serve and worker commands."""

import os
import secrets
import sys
from pathlib import Path

from turnout.core import files  # the standard library only: Django is not set up yet


def prepare_demo_directory() -> None:
    """The demo keeps everything in ./var (owner-only), including a secret key made on first run."""
    var = files.private_folder(os.environ.get("TURNOUT_VAR_DIR", Path.cwd() / "var"))
    key_file = var / "secret_key"
    if not key_file.exists():
        # Created 0600 in one step: a key written first and closed to others after could be read in between.
        files.write_private(key_file, secrets.token_urlsafe(50), exclusive=True)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnout.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        prepare_demo_directory()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
