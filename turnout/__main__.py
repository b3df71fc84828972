"""`turnout` is Django's manage.py, plus the demo, serve and worker commands."""

import os
import secrets
import sys
from pathlib import Path


def _write_private(path: Path, text: str) -> None:
    """Create `path` readable by its owner alone from the start (no moment with wider rights), once."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as out:
        out.write(text)


def prepare_demo_directory() -> None:
    """The demo keeps everything in ./var, including a secret key and an encryption key made on
    first run (settings read var/encryption_key when TURNOUT_ENCRYPTION_KEY_FILE is not set)."""
    from cryptography.fernet import Fernet

    var = Path(os.environ.get("TURNOUT_VAR_DIR", Path.cwd() / "var"))
    var.mkdir(parents=True, exist_ok=True)
    _write_private(var / "secret_key", secrets.token_urlsafe(50))
    _write_private(var / "encryption_key", Fernet.generate_key().decode() + "\n")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnout.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        prepare_demo_directory()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
