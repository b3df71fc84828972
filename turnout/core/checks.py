"""Checks of Turnout's own settings (`turnout check`; `turnout check --deploy` for production)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security)
def check_encryption_keys_open(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A mistyped key is named at start-up, not at the first card someone signs."""
    from turnout.core.sealing import keys

    try:
        keys()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="turnout.E001")]
    return []


@register(Tags.security, deploy=True)
def check_encryption_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Sealed data needs a key that lives apart from the database and from the secret key."""
    explicit = os.environ.get("TURNOUT_ENCRYPTION_KEY_FILE") or ""
    beside = Path(settings.VAR_DIR) / "encryption_key"
    if settings.ENCRYPTION_KEYS and not os.environ.get("TURNOUT_ENCRYPTION_KEY") and (
            not explicit or Path(explicit).resolve().is_relative_to(Path(settings.VAR_DIR).resolve())):
        return [Warning(
            f"The encryption key is read from {explicit or beside}, beside the database and uploads: a copy of "
            "var/ is a copy of the key, and opens every sealed value.",
            hint="Keep the key where var/ and its backups are not: TURNOUT_ENCRYPTION_KEY from a secret store, "
                 "or TURNOUT_ENCRYPTION_KEY_FILE outside var/ (the demo keeps it in var/encryption_key).",
            id="turnout.W002")]
    if settings.ENCRYPTION_KEYS:
        return []
    return [Warning(
        "No encryption key is set: sealed data (cards, scores, notes) is sealed with keys derived from "
        "TURNOUT_SECRET_KEY, so whoever holds the settings and the database reads it.",
        hint="Make a key with `turnout generate_encryption_key` and set TURNOUT_ENCRYPTION_KEY, or put it in a "
             "file named by TURNOUT_ENCRYPTION_KEY_FILE; then run `turnout rotate_keys`.",
        id="turnout.W001")]


@register(Tags.security, deploy=True)
def check_demo_phone(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The demo phone lets staff reply as any member they can see: a demo's tool, never production's."""
    if not settings.DEMO_PHONE:
        return []
    return [Error("TURNOUT_DEMO or TURNOUT_DEBUG is on: the demo phone (/demo/phone/) is open to staff, who can "
                  "send texts into Turnout as if members had sent them.",
                  hint="Unset TURNOUT_DEMO and TURNOUT_DEBUG in production.", id="turnout.E010")]
