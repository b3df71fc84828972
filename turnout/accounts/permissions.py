"""Who may do what where. Every page, export and API call asks here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from turnout.accounts.models import Group, Role, StaffRole, User


def best_role(user: User, group: Group) -> str | None:
    """The highest role the user holds in this group or any group above it."""
    if user.is_superuser:
        return Role.ADMIN
    ancestor_ids = [int(p) for p in group.path.strip("/").split("/") if p]
    roles = StaffRole.objects.filter(user=user, group_id__in=ancestor_ids).values_list(
        "role", flat=True
    )
    return max(roles, key=Role.rank, default=None)


def has_role(user: Any, group: Group, role: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    held = best_role(user, group)
    return held is not None and Role.rank(held) >= Role.rank(role)


def has_role_anywhere(user: Any, role: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return StaffRole.objects.filter(user=user, role__in=Role.at_least(role)).exists()


def require_role_anywhere(role: str) -> Callable[..., Any]:
    """View decorator: the user must hold `role` (or higher) in at least one group."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role_anywhere(request.user, role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
