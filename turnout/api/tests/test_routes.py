"""One route table makes the API's URLs and the OpenAPI document's paths; the API's modules meet
through public names only; no domain app reaches into the API."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.test import SimpleTestCase
from django.urls import URLPattern, get_resolver

from turnout.api import routes

API = Path(routes.__file__).parent
TURNOUT = API.parent
# The document and its page describe the API; they are served beside it, not as part of it.
DESCRIBING = {"openapi", "docs"}


def served() -> dict[str, URLPattern]:
    """Every /api/v2/ URL pattern Django resolves, by name."""
    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns if getattr(p, "namespace", None) == "api_v2")
    return {p.name: p for p in api.url_patterns if isinstance(p, URLPattern) and p.name}  # type: ignore[attr-defined]


def template(regex: str) -> str:
    """A served regex written as an OpenAPI path: ^people/(?P<person_id>[^/]+)/?$ → /people/{person_id}."""
    path = re.sub(r"\(\?P<([a-z_]+)>\[\^/\]\+\)", r"{\1}", regex.removeprefix("^").removesuffix("$"))
    return "/" + path.removesuffix("/?").replace("\\.", ".")


class RouteTableTests(SimpleTestCase):
    def test_every_url_has_an_openapi_path_and_every_path_a_url(self) -> None:
        urls = {template(str(p.pattern)) for name, p in served().items() if name not in DESCRIBING}
        self.assertEqual(urls, set(routes.paths()))

    def test_every_method_served_is_documented_and_every_documented_method_served(self) -> None:
        for route in routes.ROUTES:
            view = served()[route.name].callback
            documented = set(routes.paths()[route.path])
            self.assertEqual(set(route.operations), documented, route.path)
            for method in ("get", "post", "put", "delete", "patch"):
                self.assertIs(method in documented, view(self.request(method)).status_code != 405,
                              f"{method.upper()} {route.path}")

    def request(self, method: str) -> object:
        from django.test import RequestFactory

        return getattr(RequestFactory(), method)("/api/v2/x")

    def test_each_write_is_checked_against_the_schema_its_document_names(self) -> None:
        for route in routes.ROUTES:
            for method, (_handler, doc) in route.operations.items():
                if method in ("post", "put"):
                    body = doc.get("requestBody")
                    if body is not None:
                        self.assertIn(doc["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit(
                            "/", 1)[-1], routes.openapi.SCHEMAS, route.path)

    def test_the_roster_collection_takes_workers_now(self) -> None:
        self.assertIn("post", routes.paths()["/organizing_campaigns/{organizing_campaign_id}/workers"])


class ImportTests(SimpleTestCase):
    def test_the_apis_modules_import_only_public_names_from_each_other(self) -> None:
        for module in API.glob("*.py"):
            tree = ast.parse(module.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("turnout.api"):
                    private = [alias.name for alias in node.names if alias.name.startswith("_")]
                    self.assertEqual(private, [], f"{module.name} imports {private} from {node.module}")

    def test_no_domain_app_imports_the_api(self) -> None:
        apps = ["accounts", "core", "people", "messaging", "events", "actions", "mobilization", "organizing"]
        offenders = []
        for app in apps:
            for module in (TURNOUT / app).rglob("*.py"):
                if "tests" in module.parts:
                    continue  # tests may drive the API as a client does
                if re.search(r"^\s*(from|import) turnout\.api\b", module.read_text(), re.MULTILINE):
                    offenders.append(str(module.relative_to(TURNOUT)))
        self.assertEqual(offenders, [])
