"""`turnout` is Django's manage.py, plus the demo, serve and worker commands."""

import os
import secrets
import sys
from pathlib import Path

from turnout.core import files  # the standard library only: Django is not set up yet


def prepare_demo_directory() -> None:
    """The demo keeps everything in ./var (owner-only), including a secret key and an encryption
    key made on first run (settings read var/encryption_key when TURNOUT_ENCRYPTION_KEY_FILE is not
    set). Each is created 0600 in one step: a key written first and closed to others after could be
    read in between."""
    from cryptography.fernet import Fernet

    var = files.private_folder(os.environ.get("TURNOUT_VAR_DIR", Path.cwd() / "var"))
    for name, key in (("secret_key", secrets.token_urlsafe(50)), ("encryption_key", Fernet.generate_key().decode() + "\n")):
        if not (var / name).exists():
            files.write_private(var / name, key, exclusive=True)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnout.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        prepare_demo_directory()
        os.environ.setdefault("TURNOUT_DEMO", "true")  # for its web and worker processes too
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
