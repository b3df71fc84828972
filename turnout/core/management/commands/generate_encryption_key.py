"""`turnout generate_encryption_key`: print a new key for TURNOUT_ENCRYPTION_KEY."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Print a new encryption key (Fernet: 32 random bytes, url-safe base64) for TURNOUT_ENCRYPTION_KEY "
            "or a line of TURNOUT_ENCRYPTION_KEY_FILE. Nothing is stored.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(Fernet.generate_key().decode())
