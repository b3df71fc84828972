"""An API client for tests: tokens for the organizer, a read-only viewer and the outsider."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpResponse
from jsonschema import Draft202012Validator

from turnout.accounts.models import Role
from turnout.accounts.services import create_api_token
from turnout.api.routes import document
from turnout.site.testing import TurnoutTestCase, make_staff


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
        response = self.client.generic(method, url, body, content_type=content_type, headers=headers, **extra)
        check_against_openapi(self, method, url, response)
        return response

    def ok(self, method: str, path: str, data: Any = None, status: int = 200, **kwargs: Any) -> Any:
        response = self.api(method, path, data, **kwargs)
        self.assertEqual(response.status_code, status, response.content[:500])
        return response.json()


@cache
def _operations() -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    spec = document("http://testserver/api/v2/")
    out = []
    for template, operations in spec["paths"].items():
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template.rstrip("/")))
        out.append((re.compile(f"^/api/v2{pattern}/?$"), operations))
    return out


def check_against_openapi(test: Any, method: str, url: str, response: HttpResponse) -> None:
    """Every API answer a test sees must be documented: its status, and its body's shape."""
    path = urlsplit(url).path
    if response.status_code == 405 or path.rstrip("/").endswith(("/openapi.json", "/docs")):
        return  # wrong methods, and the document and its page, which describe the API rather than being it
    for pattern, operations in _operations():
        if pattern.match(path) and method.lower() in operations:
            responses = operations[method.lower()]["responses"]
            test.assertIn(str(response.status_code), responses, f"{method} {path} answered an undocumented status")
            schema = responses[str(response.status_code)]["content"]["application/hal+json"]["schema"]
            root = {**schema, "components": document("http://testserver/api/v2/")["components"]}
            errors = sorted(Draft202012Validator(root).iter_errors(response.json()), key=str)
            test.assertFalse(errors, f"{method} {path}: {errors[:1]}")
            return
    if path.startswith("/api/v2"):
        test.fail(f"{method} {path} is not in the OpenAPI document")
