"""Removing old rows a batch at a time: what each app's `retention` module builds on.

Each batch is its own short transaction, so removing a million old rows never holds a table's
locks (or SQLite's one write lock) for long: the web and the worker write in between.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models, transaction
from django.utils import timezone

BATCH = 1000


def cutoff(days: int, now: datetime | None = None) -> datetime | None:
    """The moment before which a record kept `days` days goes; None when 0 keeps it for ever."""
    if days <= 0:
        return None
    return (now or timezone.now()) - timedelta(days=days)


def delete_in_batches(rows: models.QuerySet[models.Model], *, batch: int = BATCH, dry_run: bool = False) -> int:
    """Delete what `rows` selects, `batch` rows to a transaction; how many (with `dry_run`, how
    many would be, deleting nothing). What points at a row is handled as Django's delete does."""
    if dry_run:
        return rows.count()
    model = rows.model
    deleted = 0
    while ids := list(rows.order_by("pk").values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            _total, per_model = model._base_manager.filter(pk__in=ids).delete()
        deleted += per_model.get(model._meta.label, 0)
    return deleted
