"""The OData filter parser: property-based round trips, and any text gives a condition or a clear error."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from turnout.api import odata

KNOWN = ["given_name", "family_name", "region"]
FIELDS = {name: (lambda n: lambda op, value: Q(**{f"{n}__{op}": value}))(name) for name in KNOWN}

values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
leaves = st.tuples(st.sampled_from([*KNOWN, "unknown_field"]), st.sampled_from(odata.OPERATORS), values,
                   st.sampled_from(["single", "double"]))
trees = st.recursive(leaves, lambda children: st.tuples(st.sampled_from(["and", "or"]), children, children),
                     max_leaves=8)


def quote(value: str, style: str) -> str:
    """OData quoting: the quote character doubled inside the value."""
    mark = "'" if style == "single" else '"'
    return mark + value.replace(mark, mark * 2) + mark


def render(tree: Any, casing: Any) -> str:
    if len(tree) == 4:
        field, op, value, style = tree
        return f"{field} {casing(op)} {quote(value, style)}"
    connector, left, right = tree
    return f"({render(left, casing)}) {casing(connector)} ({render(right, casing)})"


def expected(tree: Any) -> Q | None:
    if len(tree) == 4:
        field, op, value, _style = tree
        return FIELDS[field](op, value) if field in FIELDS else None
    connector, left, right = tree
    a, b = expected(left), expected(right)
    if a is None or b is None:
        return b if a is None else a
    return a & b if connector == "and" else a | b


class PropertyTests(SimpleTestCase):
    @settings(max_examples=300, deadline=None)
    @given(trees, st.sampled_from([str.lower, str.upper, str.title]))
    def test_rendered_filters_parse_back_to_the_same_condition(self, tree: Any, casing: Any) -> None:
        """Any combination of comparisons, however quoted or cased, means what it says; unknown fields drop out."""
        self.assertEqual(odata.parse(render(tree, casing), FIELDS), expected(tree))

    @settings(max_examples=500, deadline=None)
    @given(st.text(max_size=60))
    def test_any_text_is_a_condition_or_a_filter_error(self, text: str) -> None:
        """Nothing a client sends makes the parser fail in any other way (which would be a 500)."""
        try:
            result = odata.parse(text, FIELDS)
        except odata.FilterError as exc:
            self.assertTrue(str(exc))
        else:
            self.assertTrue(result is None or isinstance(result, Q))

    @settings(max_examples=200, deadline=None)
    @given(values)
    def test_quoted_values_survive_exactly(self, value: str) -> None:
        for style in ("single", "double"):
            self.assertEqual(odata.parse(f"given_name eq {quote(value, style)}", FIELDS),
                             Q(given_name__eq=value))


class ExampleTests(SimpleTestCase):
    def test_and_binds_tighter_than_or(self) -> None:
        a, b, c = (Q(given_name__eq=x) for x in "abc")
        self.assertEqual(odata.parse("given_name eq 'a' or given_name eq 'b' and given_name eq 'c'", FIELDS),
                         a | (b & c))

    def test_clauses_joined_without_spaces(self) -> None:
        """One client writes `…'a@b.org'andgiven_name eq 'X'`."""
        self.assertEqual(odata.parse("given_name eq 'a'andfamily_name eq 'b'", FIELDS),
                         Q(given_name__eq="a") & Q(family_name__eq="b"))

    def test_field_names_that_start_with_keywords(self) -> None:
        fields = {"order_number": FIELDS["given_name"], "android": FIELDS["region"]}
        self.assertEqual(odata.parse("order_number eq '1' or android eq '2'", fields),
                         Q(given_name__eq="1") | Q(region__eq="2"))

    def test_errors_say_where(self) -> None:
        cases = {
            "given_name eq": "ends too soon",
            "given_name 'a'": "character 12",
            "given_name eq 'a' given_name eq 'b'": "expected 'and', 'or' or ')'",
            "(given_name eq 'a'": "ends too soon",
            "given_name eq 'unclosed": "not closed",
            "and given_name eq 'a'": "character 5",  # "and" read as a field name, then no comparison
        }
        for text, message in cases.items():
            with self.assertRaises(odata.FilterError, msg=text) as caught:
                odata.parse(text, FIELDS)
            self.assertIn(message, str(caught.exception), text)

    def test_dates_are_lenient(self) -> None:
        field = {"modified_date": odata.when("updated_at")}
        for text in ("2026-03-25", "2026-03-25 14:40:07", "2026-03-25T14:40:07Z", "2026-03-25T07:40:07-07:00"):
            self.assertIsNotNone(odata.parse(f"modified_date gt '{text}'", field), text)
        with self.assertRaises(odata.FilterError):
            odata.parse("modified_date gt '2026-13-45'", field)
