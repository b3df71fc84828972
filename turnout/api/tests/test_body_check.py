"""A write's JSON body is checked by a compiled validator first (`openapi._body_checker`), and only
a body it refuses is read by jsonschema for the reasons. The answer must be jsonschema's for any
body: the compiled one may never take a body that jsonschema refuses.

Most bodies are refused for their first fault; what the two validators could read apart is a body
right at one keyword's edge. So each case starts from a valid body and changes one field to a value
at the edge of a keyword the document sets for a field of that name (a length, a bound, an enum,
a pattern, a type), or adds that field, or drops one."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from turnout.api import openapi
from turnout.api.routes import ROUTES

BODIES = sorted({doc["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
                 for route in ROUTES for _handler, doc in route.operations.values()
                 if "application/json" in doc.get("requestBody", {}).get("content", {})})

PERSON = {"given_name": "Ana", "family_name": "Ruiz", "email_addresses": [{"address": "ana@example.org"}],
          "phone_numbers": [{"number": "+12065550123"}], "postal_addresses": [{"postal_code": "98101"}]}
SEEDS: dict[str, list[dict[str, Any]]] = {
    "AttendanceInput": [{"person": PERSON}],
    "PersonSignup": [{"person": {"email_addresses": [{"address": "ana@example.org"}]}, "add_tags": ["contract-2026"]}],
    # The same person schema as above: only the fields around it.
    "SubmissionInput": [{"person": {"phone_numbers": ["+12065550123"]}}],
    "SignatureInput": [{"person": {"email_addresses": ["ana@example.org"]}, "comments": "Heat now"}],
    "MemberInput": [{"person_id": "abc"}],
    "TaggingInput": [{"_links": {"osdi:person": {"href": "https://example.org/api/v2/people/abc"}}}],
    "NewEvent": [{"title": "Rally at Westlake Park", "start_date": "2027-03-05T17:00:00Z",
                  "location": {"postal_code": "98101", "venue": "Westlake Park"}, "capacity": 50}],
    "NewPetition": [{"title": "Fix the heat", "petition_text": "Heat in every shop now."}],
    "NewForm": [{"title": "Join the campaign"}],
    "NewNetwork": [{"name": "Rapid response"}],
    "NewMessage": [{"type": "sms", "body": "Rally at 6"}, {"type": "email", "subject": "Rally", "body": "At 6"}],
    "ActivationInput": [{"network_id": "abc", "title": "Rally", "body": "Westlake Park, 6pm", "channels": "both",
                         "postal_code": "98101", "miles": 25, "drill": True, "sample_size": 10}],
    "NewWorkplace": [{"name": "Store 12", "employer": "Acme", "postal_code": "98101"}],
    "CardInput": [{"worker_id": "abc", "signed_date": "2026-03-05"}],
    "AssessmentInput": [{"worker_id": "abc", "score": 3, "notes": "Solid"}],
    "Schedule": [{"scheduled_start_date": "2027-03-05T17:00:00Z"}],
    "OrganizingRequestInput": [{"status": "closed", "closed_reason": "Moved on"}],
}

# Values a field of any name gets beside its own keywords' edges.
COMMON: list[Any] = ["", " ", "ana@example.org", "ana@example.org\n", "ana@example", "98101", "98101\n", "9810",
                     "98101-1234", "+12065550123", "es", "en", "xx", "US", "United States", "2027-03-05",
                     "2027-03-05T17:00:00Z", "2027-02-30", "17:00", "25:00", "accepted", "contract-2026",
                     "Ana\u00a0", "\u4e00", "\u212a", "\U0001f600", None, True, False, 0, 1, 1.0, 1.5, -1,
                     10 ** 20, [], {}, [1, 1.0], [1, True], ["a", "a"]]

FEW: list[Any] = [None, True, 1, 1.5, "", "98101\n", [], {}]


def _resolve(schema: Any) -> Any:
    while isinstance(schema, dict) and schema.get("$ref", "").startswith("#/components/schemas/"):
        schema = openapi.SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _edges(schema: Any, seen: set[int]) -> Iterator[Any]:
    """Values at the edges of `schema`'s own keywords (and its branches')."""
    schema = _resolve(schema)
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen.add(id(schema))
    for key in ("maxLength", "minLength"):
        if isinstance(n := schema.get(key), int) and n <= 5000:
            for size in (n - 1, n, n + 1):
                if size >= 0:
                    yield "a" * size
                    yield "\U0001f600" * size
                    yield "a" * max(size - 1, 0) + "\n"
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(m := schema.get(key), int | float) and not isinstance(m, bool):
            yield from (m - 1, m, m + 1, m - 0.5, m + 0.5, float(m))
    for value in schema.get("enum", []):
        yield value
        yield f"{value}x"
        yield str(value).upper()
    if "const" in schema:
        yield schema["const"]
    if isinstance(schema.get("minItems"), int) or schema.get("uniqueItems"):
        yield from ([], ["a"], ["a", "a"], [1, 1.0], [True, 1])
    for key in ("anyOf", "allOf", "oneOf"):
        for branch in schema.get(key, []):
            yield from _edges(branch, seen)
    for key in ("items", "if", "then", "else", "not", "contains"):
        if key in schema:
            yield from _edges(schema[key], seen)


def _by_name() -> dict[str, list[Any]]:
    """Every property name the document's schemas give, with the edge values of its keywords."""
    found: dict[str, list[Any]] = {}

    def walk(schema: Any, seen: set[int]) -> None:
        if isinstance(schema, list):
            for item in schema:
                walk(item, seen)
        if not isinstance(schema, dict) or id(schema) in seen:
            return
        seen.add(id(schema))
        for prop, sub in schema.get("properties", {}).items():
            values = found.setdefault(prop, [])
            values.extend(value for value in _edges(sub, set()) if value not in values)
        for value in schema.values():
            walk(_resolve(value) if isinstance(value, dict) else value, seen)

    walk(list(openapi.SCHEMAS.values()), set())
    return found


EDGES = _by_name()


def _objects(body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every object in `body`."""
    if isinstance(body, dict):
        yield path
        for key, value in body.items():
            yield from _objects(value, (*path, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from _objects(value, (*path, index))


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def mutations(name: str, seed: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The seed with one field of one of its objects set to an edge value, or dropped: the fields
    the schema `name` mentions, each with its own edges and a few values of other kinds."""
    mentioned = openapi._field_names(name)
    for path in list(_objects(seed)):
        for field in sorted(set(_at(seed, path)) | mentioned):
            for value in [*EDGES.get(field, []), *FEW]:
                body = copy.deepcopy(seed)
                _at(body, path)[field] = value
                yield body
            if field in _at(seed, path):
                body = copy.deepcopy(seed)
                del _at(body, path)[field]
                yield body


def _verdicts(name: str, body: Any) -> tuple[bool, bool, str | None]:
    """(the compiled check takes it, jsonschema takes it, the answer)."""
    return (openapi._body_checker(name).is_valid(body), not list(openapi._body_validator(name).iter_errors(body)),
            openapi.body_problem(name, body, json=True, missing=False))


class BodyCheckTests(SimpleTestCase):
    def test_every_write_body_is_checked_as_jsonschema_checks_it(self) -> None:
        self.assertIn("AttendanceInput", BODIES)
        for name in BODIES:
            for body in ({}, [], "x", {"unknown": 1}):
                fast, slow, problem = _verdicts(name, body)
                self.assertEqual(fast, slow, f"{name}: {body!r}")
                self.assertEqual(problem is None, slow, f"{name}: {body!r}")

    def test_the_seeds_are_valid(self) -> None:
        self.assertLessEqual(set(SEEDS), set(BODIES))
        for name, seeds in SEEDS.items():
            for seed in seeds:
                self.assertEqual(list(openapi._body_validator(name).iter_errors(seed)), [], f"{name}: {seed!r}")

    def test_a_field_at_a_keywords_edge_is_judged_as_jsonschema_judges_it(self) -> None:
        taken = refused = 0
        for name, seeds in SEEDS.items():
            for seed in seeds:
                for body in mutations(name, seed):
                    fast, slow, problem = _verdicts(name, body)
                    if fast:
                        self.assertTrue(slow, f"{name}: the compiled check took {body!r}")
                    self.assertEqual(problem is None, slow, f"{name}: {body!r}")
                    taken, refused = taken + slow, refused + (not slow)
        # Both sides of the edges are reached, many times over.
        self.assertGreater(taken, 2000)
        self.assertGreater(refused, 2000)

    def test_a_final_newline_is_where_the_two_read_apart_and_jsonschema_decides(self) -> None:
        body = {"person": {"email_addresses": [{"address": "ana@example.org"}],
                           "postal_addresses": [{"postal_code": "98101\n"}]}}
        fast, slow, problem = _verdicts("AttendanceInput", body)
        self.assertFalse(fast)
        self.assertTrue(slow)
        self.assertIsNone(problem)

    @settings(max_examples=200, deadline=None, derandomize=True)
    @given(st.sampled_from(sorted(SEEDS)).flatmap(
        lambda name: st.tuples(st.just(name), st.sampled_from(SEEDS[name]), st.data())))
    def test_two_fields_changed_at_once(self, case: tuple[str, dict[str, Any], st.DataObject]) -> None:
        name, seed, data = case
        body = copy.deepcopy(seed)
        for _ in range(2):
            path = data.draw(st.sampled_from(list(_objects(body))))
            field = data.draw(st.sampled_from(sorted(set(_at(body, path)) | set(EDGES))))
            _at(body, path)[field] = data.draw(st.sampled_from([*EDGES.get(field, []), *COMMON]))
        fast, slow, problem = _verdicts(name, body)
        if fast:
            self.assertTrue(slow, f"{name}: the compiled check took {body!r}")
        self.assertEqual(problem is None, slow, f"{name}: {body!r}")

    def test_good_and_bad_attendances(self) -> None:
        self.assertIsNone(openapi.body_problem("AttendanceInput", {"person": PERSON}, json=True, missing=False))
        bad = {"person": {"email_addresses": [{"address": "ana"}]}}
        self.assertEqual(openapi.body_problem("AttendanceInput", bad, json=True, missing=False),
                         "person.email_addresses[0].address must be an email address such as ana@example.org; "
                         "\u201cana\u201d is not.")
