"""Writing to the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from turnout.core.models import AuditEntry
from turnout.core.net import client_ip


def record(
    *,
    actor: Any,
    action: str,
    target: Any = None,
    summary: str = "",
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    group: Any = None,
) -> AuditEntry:
    """Append one entry; `actor` is a staff user or None for an operator's command."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=user.email if user else ("anonymous visitor" if request is not None else "command line"),
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(getattr(target, "public_id", "") or getattr(target, "pk", "")) if target is not None else "",
        summary=summary[:300],
        detail=detail or {},
        ip_address=client_ip(request),
        group=group,
    )
