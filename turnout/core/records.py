"""Setting a staff-built record's fields from validated input (a form's cleaned data, an API
body), the one way the services that create and change such records do it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.http import HttpRequest

from turnout.core import audit
from turnout.core.models import AuditEntry


def _field(record: models.Model, name: str) -> models.Field[Any, Any]:
    field = record._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{type(record).__name__}.{name} cannot be set from input")
    return field


def assign(record: models.Model, fields: Mapping[str, Any]) -> list[str]:
    """Set the record's own fields as a model form would (a file field given None keeps the
    stored file; False clears it); many-to-many fields wait for `assign_many`, once the record
    is saved. The names of the fields whose value changed."""
    changed = []
    for name, value in fields.items():
        field = _field(record, name)
        if field.many_to_many:
            continue
        before = getattr(record, field.attname)
        field.save_form_data(record, value)
        if getattr(record, field.attname) != before:
            changed.append(name)
    return changed


def assign_many(record: models.Model, fields: Mapping[str, Any]) -> list[str]:
    """Set the many-to-many fields among `fields` on a saved record; the names of those that changed."""
    changed = []
    for name, value in fields.items():
        field = _field(record, name)
        if not field.many_to_many:
            continue
        before = set(getattr(record, name).values_list("pk", flat=True))
        field.save_form_data(record, value)
        if {item.pk for item in value or []} != before:
            changed.append(name)
    return changed


def save_rows(parent: models.Model, related: str, rows: Iterable[Mapping[str, Any]]) -> bool:
    """Add, change and remove a saved parent's rows (a question of a form, a block of a page)
    from an inline formset's cleaned data, or the same shape from elsewhere: a row's "id" is the
    row it changes (absent or None: a new row), "DELETE" removes it, and an empty row is skipped.
    True when anything changed."""
    manager = getattr(parent, related)
    link = manager.field  # the child's foreign key to the parent
    changed = False
    for row in rows:
        existing = row.get("id")
        if existing is not None and getattr(existing, link.attname) != parent.pk:
            raise ValueError(f"That {link.model.__name__} belongs to another record.")
        if row.get("DELETE"):
            if existing is not None:
                existing.delete()
                changed = True
            continue
        values = {name: value for name, value in row.items() if name not in ("id", "DELETE", link.name)}
        if not values:
            continue
        item = existing if existing is not None else link.model(**{link.name: parent})
        if assign(item, values) or existing is None:
            item.save()
            changed = True
    return changed


def create[M: models.Model](model: type[M], *, actor: Any, fields: Mapping[str, Any], summary: str,
                            request: HttpRequest | None = None, **preset: Any) -> M:
    """A new record: `preset` (its group, its creator) and then `fields`; on the audit log in its group."""
    record = model(**preset)
    assign(record, fields)
    record.save()
    assign_many(record, fields)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=record, summary=summary, request=request,
                 group=getattr(record, "group", None))
    return record


def update[M: models.Model](record: M, *, actor: Any, fields: Mapping[str, Any], summary: str,
                            request: HttpRequest | None = None,
                            rows: Mapping[str, Iterable[Mapping[str, Any]]] | None = None) -> M:
    """Change a record (and its `rows`, by related name) under its row lock; on the audit log with
    the names of what changed, when anything did."""
    record = type(record)._default_manager.select_for_update().get(pk=record.pk)
    changed = assign(record, fields)
    if changed:
        record.save()
    changed += assign_many(record, fields)
    for related, items in (rows or {}).items():
        if save_rows(record, related, items):
            changed.append(related)
    if changed:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=record, request=request,
                     group=getattr(record, "group", None), summary=f"{summary}: {', '.join(changed)}")
    return record
