"""An API client for tests: tokens for the organizer, a read-only viewer and the outsider."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from turnout.accounts.models import Role
from turnout.accounts.services import create_api_token
from turnout.core.testing import TurnoutTestCase, make_staff


class ApiTestCase(TurnoutTestCase):
    key: str
    viewer_key: str
    outsider_key: str

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.viewer = make_staff("viewer@example.org", cls.local, Role.VIEWER)
        cls.token, cls.key = create_api_token(actor=None, user=cls.organizer, group=cls.local, name="sync")
        _t, cls.viewer_key = create_api_token(actor=None, user=cls.viewer, group=cls.local, name="read")
        _t, cls.outsider_key = create_api_token(actor=None, user=cls.outsider, group=cls.other, name="east")

    def api(self, method: str, path: str, data: Any = None, *, key: str | None = None, raw: bytes | None = None,
            content_type: str = "application/json", **extra: Any) -> HttpResponse:
        """Call /api/v2/<path> the way clients do: JSON content type on every request."""
        url = path if path.startswith("http") or path.startswith("/") else f"/api/v2/{path}"
        body = raw if raw is not None else (b"" if data is None else json.dumps(data).encode())
        headers = {"OSDI-API-Token": self.key if key is None else key}
        return self.client.generic(method, url, body, content_type=content_type, headers=headers, **extra)

    def ok(self, method: str, path: str, data: Any = None, status: int = 200, **kwargs: Any) -> Any:
        response = self.api(method, path, data, **kwargs)
        self.assertEqual(response.status_code, status, response.content[:500])
        return response.json()
