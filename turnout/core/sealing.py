"""Sealed data: what would endanger a worker if the database were seized is encrypted at rest.

The keys can live apart from the database and from `TURNOUT_SECRET_KEY`:
- `TURNOUT_ENCRYPTION_KEY`: one or more Fernet keys, comma-separated;
- `TURNOUT_ENCRYPTION_KEY_FILE`: a file with one Fernet key per line (`turnout demo` writes
  `var/encryption_key`, owner-only).

The first key seals; every key opens. After them come the keys older versions derived from
`TURNOUT_SECRET_KEY` and `TURNOUT_ENCRYPTION_SALTS`, so rows sealed before a key was set still
open. To rotate: put a new key first, keep the old one after it, run `turnout rotate_keys`
(every sealed value is sealed again under the first key), then drop the old key.
"""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from encrypted_fields.fields import EncryptedFieldMixin


def _derived_keys() -> list[bytes]:
    """The keys derived from the secret key(s) and salts, as django-fernet-encrypted-fields did."""
    keys = []
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        for salt in settings.SALT_KEY:
            kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt.encode(), iterations=100_000)
            keys.append(base64.urlsafe_b64encode(kdf.derive(secret.encode())))
    return keys


@cache
def keys() -> tuple[bytes, ...]:
    """Every key that opens sealed data, the one that seals first."""
    explicit = []
    for key in settings.ENCRYPTION_KEYS:
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                "TURNOUT_ENCRYPTION_KEY: each key must be 32 url-safe base64-encoded bytes; make one with "
                "`turnout generate_encryption_key`.") from None
        explicit.append(key.encode())
    return (*explicit, *_derived_keys())


@cache
def fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys()])


def seal(data: bytes) -> str:
    return fernet().encrypt(data).decode()


def open_sealed(token: str) -> bytes:
    """The plaintext of a sealed value; InvalidToken when no key opens it."""
    return fernet().decrypt(token.encode())


def sealed_with_first_key(token: str) -> bool:
    try:
        Fernet(keys()[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ENCRYPTION_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "SALT_KEY"}:
        keys.cache_clear()
        fernet.cache_clear()


class SealedMixin(EncryptedFieldMixin):
    """django-fernet-encrypted-fields' field, sealed with Turnout's keys (read at each use, so a
    rotated key list takes effect without a restart of the field)."""

    @property  # type: ignore[override]
    def keys(self) -> list[bytes]:
        return list(keys())

    @property  # type: ignore[override]
    def f(self) -> MultiFernet:
        return fernet()


class SealedTextField(SealedMixin, models.TextField):
    pass


class SealedCharField(SealedMixin, models.CharField):
    pass


class SealedIntegerField(SealedMixin, models.IntegerField):
    pass


def sealed_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with sealed columns, and their names: what `rotate_keys` walks."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [field.name for field in model._meta.concrete_fields if isinstance(field, SealedMixin)]
        if names:
            found.append((model, names))
    return found
