from typing import Any

from django.conf import settings
from django.http import HttpRequest

from turnout.accounts.permissions import has_role_anywhere


def turnout(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "ORGANIZATION_NAME": settings.ORGANIZATION_NAME,
        "MAP_TILES_URL": settings.MAP_TILES_URL,
        "MAP_TILES_ATTRIBUTION": settings.MAP_TILES_ATTRIBUTION,
        "user_is_admin": bool(user and has_role_anywhere(user, "admin")),
        "user_is_organizer": bool(user and has_role_anywhere(user, "organizer")),
    }
