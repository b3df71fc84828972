"""A write's JSON body is checked by a compiled validator first (`openapi._body_checker`), and only
a body it refuses is read by jsonschema for the reasons. The answer must be jsonschema's for any
body: the compiled one may never take a body that jsonschema refuses."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from turnout.api import openapi
from turnout.api.routes import ROUTES

BODIES = sorted({doc["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
                 for route in ROUTES for _handler, doc in route.operations.values()
                 if "application/json" in doc.get("requestBody", {}).get("content", {})})

# Values a body's fields take, good and bad: each field gets any of them.
VALUES = st.one_of(
    st.sampled_from(["", " ", "ana@example.org", "ana@example", "98101", "98101\n", "9810", "98101-1234",
                     "+12065550123", "2065550123", "es", "en", "xx", "US", "United States", "2027-03-05",
                     "2027-03-05T17:00:00Z", "2027-02-30", "17:00", "25:00", "accepted", "declined",
                     "contract-2026", "a" * 300, "Ana\u00a0", "\u4e00"]),
    st.integers(min_value=-2, max_value=10 ** 7), st.booleans(), st.none(), st.floats(allow_nan=False),
)


def _names(name: str) -> list[str]:
    return [*sorted(openapi._field_names(name)), "person", "_links", "href", "unknown_field"]


def bodies(name: str) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(_names(name))
    return st.recursive(st.dictionaries(keys, VALUES, max_size=4),
                        lambda inner: st.dictionaries(keys, st.one_of(inner, st.lists(inner, max_size=2)), max_size=4),
                        max_leaves=12)


class BodyCheckTests(SimpleTestCase):
    def test_every_write_body_has_both_validators(self) -> None:
        self.assertIn("AttendanceInput", BODIES)
        self.assertGreater(len(BODIES), 20)
        for name in BODIES:
            self.assertTrue(openapi._body_checker(name).is_valid is not None)

    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(BODIES).flatmap(lambda name: st.tuples(st.just(name), bodies(name))))
    def test_the_answer_is_jsonschemas_for_any_body(self, case: tuple[str, Any]) -> None:
        name, body = case
        jsonschema_errors = list(openapi._body_validator(name).iter_errors(body))
        if openapi._body_checker(name).is_valid(body):
            self.assertEqual(jsonschema_errors, [], f"{name}: the compiled check took {body!r}")
        problem = openapi.body_problem(name, body, json=True, missing=False)
        self.assertEqual(problem is None, not jsonschema_errors, f"{name}: {body!r}")

    def test_good_and_bad_attendances(self) -> None:
        good = {"person": {"given_name": "Ana", "email_addresses": [{"address": "ana@example.org"}],
                           "postal_addresses": [{"postal_code": "98101"}]}}
        self.assertIsNone(openapi.body_problem("AttendanceInput", good, json=True, missing=False))
        bad = {"person": {"email_addresses": [{"address": "ana"}]}}
        self.assertEqual(openapi.body_problem("AttendanceInput", bad, json=True, missing=False),
                         "person.email_addresses[0].address must be an email address such as ana@example.org; "
                         "\u201cana\u201d is not.")
