from typing import Any

from django.conf import settings
from django.http import HttpRequest


def turnout(request: HttpRequest) -> dict[str, Any]:
    return {
        "ORGANIZATION_NAME": settings.ORGANIZATION_NAME,
        "MAP_TILES_URL": settings.MAP_TILES_URL,
        "MAP_TILES_ATTRIBUTION": settings.MAP_TILES_ATTRIBUTION,
        "DEMO_PHONE": settings.DEMO_PHONE,
    }
