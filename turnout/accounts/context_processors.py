from typing import Any

from django.http import HttpRequest

from turnout.accounts.permissions import has_role_anywhere


def roles(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "user_is_admin": bool(user and has_role_anywhere(user, "admin")),
        "user_is_organizer": bool(user and has_role_anywhere(user, "organizer")),
    }
