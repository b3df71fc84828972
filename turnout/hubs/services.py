"""Writes to resource centers, audited like every other write (turnout.core.records)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from turnout.accounts.models import Group, User
from turnout.core import records
from turnout.hubs.models import Hub


@transaction.atomic
def create_hub(*, actor: User, group: Group, fields: dict[str, Any], request: HttpRequest | None = None) -> Hub:
    """Make a resource center (unpublished unless `fields` say otherwise)."""
    return records.create(Hub, actor=actor, fields=fields, summary="Made the resource center", request=request,
                          group=group, created_by=actor)


@transaction.atomic
def update_hub(*, actor: User, hub: Hub, fields: dict[str, Any], items: Iterable[dict[str, Any]] = (),
               request: HttpRequest | None = None) -> Hub:
    """Change a resource center and add, change or remove its blocks."""
    return records.update(hub, actor=actor, fields=fields, rows={"items": items},
                          summary="Changed the resource center", request=request)
