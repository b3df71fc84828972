"""Input an attacker or a broken client sends: dates outside any calendar a database keeps, bodies
nested past Python's recursion limit, numbers and text no database stores. Each answers a 4xx
`{"error": ...}` that says what to fix, on SQLite and on PostgreSQL, and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django.test import SimpleTestCase, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from turnout.api import dates, inputs, openapi
from turnout.api.tests.base import ApiTestCase
from turnout.events.models import Event, EventCampaign
from turnout.messaging.models import Message
from turnout.people.models import Person, Tag


class FilterDateTests(ApiTestCase):
    def test_a_date_past_the_last_year_is_a_400_on_every_collection(self) -> None:
        """An offset that carries 9999-12-31 past the year 9999 was an OverflowError (500)."""
        for collection in ("people", "events", "tags", "messages", "lists", "forms"):
            for value in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00%2B23:59", "9999-12-31", "0001-01-01"):
                for op in ("gt", "eq", "ne", "le"):
                    response = self.api("GET", collection, QUERY_STRING=f"filter=created_date {op} '{value}'")
                    self.assertEqual(response.status_code, 400, (collection, value, op))
                    self.assertIn("in the years 1900 to 2199", response.json()["error"])

    def test_a_whole_day_at_the_end_of_the_calendar_is_a_400(self) -> None:
        """`eq` with a date means the day and the next midnight; for 9999-12-31 that midnight cannot
        exist (a 500 on PostgreSQL)."""
        response = self.api("GET", "people", QUERY_STRING="filter=modified_date eq '9999-12-31'")
        self.assertEqual(response.status_code, 400)
        self.assertIn("“9999-12-31” is not", response.json()["error"])

    def test_dates_that_are_not_dates_say_what_to_send(self) -> None:
        for value in ("2026-02-29", "2026-04-31", "2026-13-01", "2026-03-25T24:00:00Z", "20260325", "soon"):
            response = self.api("GET", "events", QUERY_STRING=f"filter=modified_date gt '{value}'")
            self.assertEqual(response.status_code, 400, value)
            self.assertIn("such as 2026-11-04", response.json()["error"])

    def test_the_first_and_last_days_of_the_window_filter(self) -> None:
        for value in ("1900-01-01T00:00:00%2B23:59", "2199-12-31", "2199-12-31T23:59:59-23:59", "2024-02-29"):
            for op in ("gt", "eq", "lt"):
                self.ok("GET", "people", QUERY_STRING=f"filter=modified_date {op} '{value}'")


class FilterSizeTests(ApiTestCase):
    def test_a_thousand_clauses_are_a_400_not_a_recursion_error(self) -> None:
        """The parser's tree is a level deep per `or`; walking a thousand levels overflowed the stack."""
        clauses = " or ".join(["given_name eq 'Ana'"] * 1000)
        response = self.api("GET", "people", QUERY_STRING=f"filter={clauses}")
        self.assertEqual(response.status_code, 400)
        self.assertIn("at most 4000", response.json()["error"])
        response = self.api("GET", "people", QUERY_STRING="filter=" + "or ".join(["a eq 'b'"] * 200))
        self.assertEqual(response.status_code, 400)
        self.assertIn("too many comparisons", response.json()["error"])
        self.ok("GET", "people", QUERY_STRING="filter=" + " or ".join(["given_name eq 'Ana'"] * 50))
        self.ok("GET", "people", QUERY_STRING="filter=" + "(" * 500 + "given_name eq 'Ana'" + ")" * 500)


class BodyDateTests(ApiTestCase):
    def test_an_event_at_the_end_of_the_calendar_is_a_400_and_not_saved(self) -> None:
        for start in ("9999-12-31T23:59:59-23:59", "9999-12-31T23:00:00", "0001-01-01T00:00:00+14:00",
                      "2026-02-30T10:00:00"):
            response = self.api("POST", "events", {"title": "Rally", "start_date": start,
                                                   "turnout:timezone": "America/Chicago"})
            self.assertEqual(response.status_code, 400, start)
            self.assertIn("start_date must be a date and time", response.json()["error"])
        self.assertFalse(Event.objects.exists())

    def test_a_message_scheduled_past_the_calendar_is_a_400(self) -> None:
        tag = Tag.objects.create(group=self.local, name="stewards")
        made = self.ok("POST", "messages", {"type": "sms", "body": "Rally at 6",
                                            "targets": [{"href": f"http://testserver/api/v2/tags/{tag.public_id}"}]},
                       status=201)
        message = made["identifiers"][0].split(":")[1]
        for when in ("9999-12-31T23:59:59-23:59", "10000-01-01"):
            response = self.api("POST", f"messages/{message}/schedule", {"scheduled_start_date": when})
            self.assertEqual(response.status_code, 400, when)
            self.assertIn("scheduled_start_date must be", response.json()["error"])
        self.assertEqual(Message.objects.get().status, Message.Status.DRAFT)

    def test_a_campaign_day_outside_the_window_is_a_400(self) -> None:
        """A campaign on 0001-01-01 put every site's start before the first instant Python has."""
        response = self.api("POST", "event_campaigns", {"title": "Day of action", "turnout:local_date": "0001-01-01"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("turnout:local_date must be a date", response.json()["error"])
        self.assertFalse(EventCampaign.objects.exists())


class BodyTests(ApiTestCase):
    def test_json_nested_a_hundred_thousand_levels_is_a_400(self) -> None:
        """Python's JSON parser recursed past its limit (RecursionError, a 500)."""
        for depth in (100_000, 900, 33):
            response = self.api("POST", "people", raw=b"[" * depth + b"]" * depth)
            self.assertEqual(response.status_code, 400, depth)
            response = self.api("POST", "people", raw=b'{"a":' * depth + b"1" + b"}" * depth)
            self.assertEqual(response.status_code, 400, depth)
            self.assertIn("nested too deeply", response.json()["error"])
        self.assertEqual(self.api("PUT", f"people/{self.member.public_id}",
                                  raw=b'{"custom_fields": ' + b"[" * 100_000 + b"]" * 100_000 + b"}").status_code, 400)

    def test_numbers_and_text_no_database_keeps_are_400s(self) -> None:
        person = {"email_addresses": [{"address": "ana@example.org"}]}
        for raw in (b'{"person": {"email_addresses": ["ana@example.org"], "custom_fields": {"x": 1e999}}}',
                    b'{"person": {"email_addresses": ["ana@example.org"], "given_name": "\\ud800"}}',
                    b'{"person": {"email_addresses": ["ana@example.org"], "given_name": "a\\u0000b"}}'):
            response = self.api("POST", "people", raw=raw)
            self.assertEqual(response.status_code, 400, raw)
        response = self.api("POST", "people", {"person": {**person, "given_name": 7}})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "person.given_name must be text or null.")
        self.assertFalse(Person.objects.filter(emails__address="ana@example.org").exists())

    def test_a_write_without_a_body_or_with_broken_json_is_a_400(self) -> None:
        response = self.api("PUT", f"people/{self.member.public_id}", raw=b"")
        self.assertEqual(response.status_code, 400)
        self.assertIn("needs a JSON body", response.json()["error"])
        response = self.api("PUT", f"people/{self.member.public_id}", raw=b"_")
        self.assertEqual(response.status_code, 400)
        self.assertIn("not valid JSON", response.json()["error"])
        # A form naming the request's fields is still taken (clients claim JSON and send forms).
        self.ok("PUT", f"people/{self.member.public_id}", raw=b"given_name=Mar%C3%ADa")
        self.member.refresh_from_db()
        self.assertEqual(self.member.given_name, "María")

    def test_a_body_the_document_calls_invalid_is_refused_naming_the_field(self) -> None:
        cases = [
            ("tags", {"name": 123}, "name must be text."),
            ("tags", {"name": "   "}, "name needs a letter, digit or sign."),
            ("events", {"title": "Rally", "start_date": "2026-11-04T17:00:00", "capacity": "ten",
                        "turnout:timezone": "America/Chicago"}, "capacity must be a whole number or null."),
            ("people", {"person": {"email_addresses": [{"address": "ana@example.org"}],
                                   "postal_addresses": [{"country": "Narnia"}]}},
             "person.postal_addresses[0].country must be a two-letter country code such as US; “Narnia” is not."),
        ]
        for path, body, message in cases:
            response = self.api("POST", path, body)
            self.assertEqual((response.status_code, response.json()["error"]), (400, message), body)


class PagingTests(ApiTestCase):
    def test_per_page_above_25_is_served_as_25_and_others_are_400s(self) -> None:
        """As Action Network does, and as the document now says; only whole numbers in ASCII digits."""
        self.assertEqual(self.ok("GET", "people", QUERY_STRING="per_page=26")["per_page"], 25)
        self.assertEqual(self.ok("GET", "people", QUERY_STRING="per_page=" + "9" * 40)["per_page"], 25)
        for query in ("per_page=0", "per_page=%D9%A3", "per_page=1_0", "per_page=+5", "per_page=",
                      "page=10000001", "page=%D9%A3", "page=" + "9" * 5000):
            response = self.api("GET", "people", QUERY_STRING=query)
            self.assertEqual(response.status_code, 400, query)


class DateWindowTests(SimpleTestCase):
    def test_the_date_pattern_takes_every_day_of_the_window_and_nothing_else(self) -> None:
        """The document's pattern spells out the calendar; it must agree with the calendar exactly."""
        pattern = re.compile(dates.DATE_PATTERN)
        for year in (1899, 1900, 1904, 2000, 2024, 2026, 2100, 2199, 2200):
            for month in range(1, 14):
                for day in range(1, 33):
                    text = f"{year:04d}-{month:02d}-{day:02d}"
                    try:
                        real = dates.FIRST_YEAR <= date(year, month, day).year <= dates.LAST_YEAR
                    except ValueError:
                        real = False
                    self.assertEqual(bool(pattern.fullmatch(text)), real, text)

    @settings(max_examples=300, deadline=None)
    @given(st.from_regex(dates.WHEN_PATTERN, fullmatch=True))
    def test_whatever_the_document_calls_a_date_is_read(self, text: str) -> None:
        moment, _day = dates.read_utc(text, "x")
        self.assertIsInstance(moment, datetime)
        moment.astimezone(UTC)  # and converting it to UTC stays within Python's calendar

    def test_the_document_lists_the_statuses_the_handlers_read(self) -> None:
        self.assertEqual(openapi.EMAIL_STATUSES, list(inputs.EMAIL_STATUSES))
        self.assertEqual(openapi.PHONE_STATUSES, list(inputs.PHONE_STATUSES))

    def test_the_document_uses_the_parsers_patterns(self) -> None:
        schemas = openapi.SCHEMAS
        self.assertEqual(schemas["EventInput"]["properties"]["start_date"]["pattern"], dates.DATETIME_PATTERN)
        self.assertEqual(schemas["Schedule"]["properties"]["scheduled_start_date"]["pattern"], dates.WHEN_PATTERN)
        self.assertEqual(schemas["CardInput"]["properties"]["signed_date"]["pattern"], dates.DATE_PATTERN)


@override_settings(SMS_BACKEND="memory")
class ConflictTests(ApiTestCase):
    def test_a_well_formed_request_the_records_state_refuses_is_a_409(self) -> None:
        """400 means the request is wrong; 409 that the record is not in a state to take it now."""
        made = self.ok("POST", "messages", {"type": "sms", "body": "Rally at 6"}, status=201)
        message = made["identifiers"][0].split(":")[1]
        response = self.api("POST", f"messages/{message}/send")
        self.assertEqual(response.status_code, 409)
        self.assertIn("targets", response.json()["error"])
