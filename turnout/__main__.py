"""`turnout` is Django's manage.py, plus the demo, serve and worker commands."""

import os
import secrets
import sys
from pathlib import Path


def prepare_demo_directory() -> None:
    """The demo keeps everything in ./var, including a secret key made on first run."""
    var = Path(os.environ.get("TURNOUT_VAR_DIR", Path.cwd() / "var"))
    var.mkdir(parents=True, exist_ok=True)
    key_file = var / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnout.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        prepare_demo_directory()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
