"""Sealed data: what would endanger a worker if the database were seized is encrypted at rest.

The keys can live apart from the database and from `TURNOUT_SECRET_KEY`:
- `TURNOUT_ENCRYPTION_KEY`: one or more Fernet keys, comma-separated;
- `TURNOUT_ENCRYPTION_KEY_FILE`: a file with one Fernet key per line (`turnout demo` writes
  `var/encryption_key`, owner-only).

The first key seals; every key opens. After them come the keys older versions derived from
`TURNOUT_SECRET_KEY` and `TURNOUT_ENCRYPTION_SALTS`, so rows sealed before a key was set still
open. To rotate: put a new key first, keep the old one after it, run `turnout rotate_keys`
(every sealed value is sealed again under the first key), then drop the old key.

A sealed value cannot be searched: sealing the same text twice gives two different tokens. Where a
service must find rows by a sealed value (a worker's cards), a blind index sits beside it: an
HMAC-SHA256 of the plaintext under a key derived from the first sealing key. Whoever holds the
database alone cannot compute it, so it links rows to each other but to nobody. Because the key
follows the first sealing key, rotation re-keys the index too (`rotate_keys` recomputes it) and a
leaked old key stops matching anything once the rotation has run; until then, lookups try the
index under every key (`blind_indexes`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from encrypted_fields.fields import EncryptedFieldMixin, EncryptedIntegerField


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


@cache
def _index_keys() -> tuple[bytes, ...]:
    """One HMAC key per sealing key, derived so the index key is not itself a sealing key."""
    return tuple(hmac.new(base64.urlsafe_b64decode(key), b"turnout blind index v1", hashlib.sha256).digest()
                 for key in keys())


def blind_index(value: str) -> str:
    """The keyed hash that finds `value` among sealed rows, under the first key (what a write stores)."""
    return hmac.new(_index_keys()[0], value.encode(), hashlib.sha256).hexdigest()


def blind_indexes(value: str) -> list[str]:
    """The keyed hash of `value` under every key, the first key's first: what a lookup matches, so
    rows indexed before a new key was put first are still found until `rotate_keys` re-indexes them."""
    found: list[str] = []
    for key in _index_keys():
        digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
        if digest not in found:
            found.append(digest)
    return found


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ENCRYPTION_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "SALT_KEY"}:
        keys.cache_clear()
        fernet.cache_clear()
        _index_keys.cache_clear()


class SealedMixin(EncryptedFieldMixin):
    """django-fernet-encrypted-fields' field, sealed with Turnout's keys (read at each use, so a
    rotated key list takes effect without a restart of the field)."""

    @property  # type: ignore[override]
    def keys(self) -> list[bytes]:
        return list(keys())

    @property  # type: ignore[override]
    def f(self) -> MultiFernet:
        return fernet()

    def get_prep_value(self, value: Any) -> Any:
        # The library stores an empty value as NULL; an empty string is sealed like any other, so
        # a blank sealed CharField keeps Django's "" (and its NOT NULL column).
        value = super(EncryptedFieldMixin, self).get_prep_value(value)  # the model field's own
        if value is None:
            return None
        return seal(str(value).encode())


class SealedTextField(SealedMixin, models.TextField):
    pass


class SealedCharField(SealedMixin, models.CharField):
    pass


if TYPE_CHECKING:  # typed as the integer field it reads and writes

    class SealedIntegerField(SealedMixin, models.IntegerField):
        pass

else:

    class SealedIntegerField(SealedMixin, EncryptedIntegerField):
        # The library's integer field: its range validators ask the database about an integer
        # column, not the text column the value is stored in (PostgreSQL has no range for "TextField").
        pass


class BlindIndexField(models.CharField):
    """The blind index of the sealed field named `of` (see `blind_index`): the model's code keeps it
    equal to `blind_index(<that field's plaintext>)`; `rotate_keys` recomputes it under a new key."""

    def __init__(self, *args: Any, of: str = "", **kwargs: Any) -> None:
        self.of = of
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["of"] = self.of
        return name, path, args, kwargs


def sealed_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with sealed columns, and their names: what `rotate_keys` walks."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [field.name for field in model._meta.concrete_fields if isinstance(field, SealedMixin)]
        if names:
            found.append((model, names))
    return found


def blind_index_fields() -> list[tuple[type[models.Model], BlindIndexField]]:
    """Every blind index, with its model: what `rotate_keys` re-indexes."""
    from django.apps import apps

    return [(model, field) for model in apps.get_models() for field in model._meta.concrete_fields
            if isinstance(field, BlindIndexField)]


def rotate(*, batch: int = 500) -> tuple[list[str], int]:
    """Seal every sealed value again under the first key, and recompute every blind index under it:
    what `turnout rotate_keys` does. Returns a line per column and how many values no key opens.

    It reads and writes the stored tokens themselves (the fields' own reading would hand back a
    token no key opens as if it were the plaintext), a batch per transaction, and writes a value
    only if it is still the token it read, so a row a user changes meanwhile keeps the change.
    Safe to run again: values already under the first key are left alone."""
    from django.db import connection, transaction

    def quote(name: str | None) -> str:
        return connection.ops.quote_name(name or "")

    lines, unopened = [], 0
    for model, names in sealed_fields():
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)  # type: ignore[union-attr]
        for name in names:
            column = quote(model._meta.get_field(name).column)  # type: ignore[union-attr]
            counts = {"sealed again": 0, "already under the first key": 0, "opened by no key": 0}
            last: Any = None
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
                                   + (f" AND {pk} > %s" if last is not None else "") + f" ORDER BY {pk} LIMIT %s",
                                   [*([last] if last is not None else []), batch])
                    rows = cursor.fetchall()
                    changes = []
                    for row_pk, token in rows:
                        if sealed_with_first_key(token):
                            counts["already under the first key"] += 1
                            continue
                        try:
                            changes.append((seal(open_sealed(token)), row_pk, token))
                        except InvalidToken:
                            counts["opened by no key"] += 1
                    if changes:
                        cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                                           changes)
                        counts["sealed again"] += len(changes)
                if len(rows) < batch:
                    break
                last = rows[-1][0]
            unopened += counts["opened by no key"]
            lines.append(f"{model._meta.label}.{name}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    for model, field in blind_index_fields():
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)  # type: ignore[union-attr]
        source, index = quote(model._meta.get_field(field.of).column), quote(field.column)  # type: ignore[union-attr]
        changed, last = 0, None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {source}, {index} FROM {table} WHERE {source} IS NOT NULL"  # noqa: S608
                               + (f" AND {pk} > %s" if last is not None else "") + f" ORDER BY {pk} LIMIT %s",
                               [*([last] if last is not None else []), batch])
                rows = cursor.fetchall()
                updates = []
                for row_pk, token, current in rows:
                    try:
                        wanted = blind_index(open_sealed(token).decode())
                    except InvalidToken:
                        continue  # counted above, with the sealed column
                    if wanted != current:
                        updates.append((wanted, row_pk, current))
                if updates:
                    cursor.executemany(f"UPDATE {table} SET {index} = %s WHERE {pk} = %s AND {index} = %s",  # noqa: S608
                                       updates)
                    changed += len(updates)
            if len(rows) < batch:
                break
            last = rows[-1][0]
        lines.append(f"{model._meta.label}.{field.name}: {changed} re-indexed under the first key")
    return lines, unopened
