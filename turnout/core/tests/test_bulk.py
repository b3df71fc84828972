"""`core.bulk.insert_rows` (on PostgreSQL a prepared INSERT for a few rows and COPY for more, on
SQLite executemany): every value comes back as written, no rows cost no statement, a value too
long for its column is never cut, and rows already there are skipped when asked (run on SQLite
and on PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from unittest import mock

from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.test import TestCase
from django.utils import timezone

from turnout.core import bulk
from turnout.core.models import AuditEntry
from turnout.people.models import Tag, Tagging
from turnout.site.testing import make_group, make_person

COLUMNS = ["at", "actor", "actor_label", "action", "target_type", "group", "target_id", "summary", "detail",
           "ip_address", "subject", "sealed"]


class InsertRowsTests(TestCase):
    def setUp(self) -> None:
        self.local = make_group("Local 8")
        self.now = timezone.now().replace(microsecond=123456)

    def rows(self, count: int, label: str) -> list[tuple[object, ...]]:
        return [(self.now - timedelta(seconds=n), None, f"{label} {n}", "create", "person",
                 self.local.pk if n % 2 else None, f"id-{n}", f"Signed up «{n}» — ok", {"n": n, "words": ["a", "b"]},
                 "203.0.113.9" if n % 3 else None, uuid.uuid5(uuid.NAMESPACE_URL, f"{label}{n}") if n % 2 else None,
                 "" if n % 2 else "sealed,with 'quotes' and \\ backslash") for n in range(count)]

    def test_a_few_rows_and_many_rows_come_back_as_written(self) -> None:
        for count, label in ((1, "one"), (3, "few"), (bulk.FEW, "most"), (bulk.FEW + 1, "over"), (250, "many")):
            with self.subTest(count=count):
                written = self.rows(count, label)
                bulk.insert_rows(AuditEntry, COLUMNS, written)
                stored = list(AuditEntry.objects.filter(actor_label__startswith=f"{label} ").order_by("-at")
                              .values_list("at", "actor_id", "actor_label", "action", "target_type", "group_id",
                                           "target_id", "summary", "detail", "ip_address", "subject", "sealed"))
                self.assertEqual(stored, written)

    def test_no_rows_writes_nothing(self) -> None:
        """No statement at all: not even an empty COPY or INSERT (which go to psycopg's own cursor,
        out of Django's query log): the connection is never even asked for."""
        with mock.patch.object(connections["default"], "ensure_connection", side_effect=AssertionError("a statement")):
            bulk.insert_rows(AuditEntry, COLUMNS, [])
            bulk.insert_rows(AuditEntry, COLUMNS, iter([]))
        with (self.assertRaises(AssertionError),  # the guard above does catch a statement
              mock.patch.object(connections["default"], "ensure_connection", side_effect=AssertionError("a statement"))):
            bulk.insert_rows(AuditEntry, COLUMNS, self.rows(1, "one"))
        with (self.assertRaises(AssertionError),
              mock.patch.object(connections["default"], "ensure_connection", side_effect=AssertionError("a statement"))):
            bulk.insert_rows(AuditEntry, COLUMNS, self.rows(bulk.FEW + 1, "more"))

    def test_a_value_too_long_for_its_column_is_refused_or_kept_whole_never_cut(self) -> None:
        long = "x" * 301  # the summary's column holds 300 characters
        row = (self.now, None, "long", "create", "", None, "", long, {}, None, None, "")
        for others in (0, bulk.FEW):  # alone (an INSERT on PostgreSQL), and among more (a COPY)
            with self.subTest(rows=others + 1):
                AuditEntry.objects.filter(actor_label="long").delete()
                try:
                    with transaction.atomic():
                        bulk.insert_rows(AuditEntry, COLUMNS, [*self.rows(others, "other"), row])
                except DatabaseError:  # Django's, on PostgreSQL as on SQLite
                    self.assertEqual(connection.vendor, "postgresql")  # PostgreSQL refuses it
                    self.assertFalse(AuditEntry.objects.filter(actor_label="long").exists())
                else:
                    self.assertEqual(connection.vendor, "sqlite")  # SQLite keeps any length
                    self.assertEqual(AuditEntry.objects.get(actor_label="long").summary, long)

    def test_rows_already_there_are_skipped_when_asked(self) -> None:
        tag = Tag.objects.create(group=self.local, name="steward")
        people = [make_person(self.local, email=f"p{n}@example.org") for n in range(3)]
        first = [(uuid.uuid4(), people[0].pk, tag.pk, self.now)]
        bulk.insert_rows(Tagging, ["public_id", "person", "tag", "created_at"], first, ignore_conflicts=True)
        again = [(uuid.uuid4(), person.pk, tag.pk, self.now) for person in people]
        bulk.insert_rows(Tagging, ["public_id", "person", "tag", "created_at"], again, ignore_conflicts=True)
        self.assertEqual(sorted(Tagging.objects.filter(tag=tag).values_list("person_id", flat=True)),
                         sorted(person.pk for person in people))
        self.assertEqual(Tagging.objects.get(person=people[0], tag=tag).public_id, first[0][0])

    def test_a_row_that_breaks_a_unique_rule_raises_djangos_integrity_error(self) -> None:
        """What the importer's retry catches (`except IntegrityError`) is what a conflicting write
        raises, through an INSERT or COPY on PostgreSQL as through executemany on SQLite."""
        tag = Tag.objects.create(group=self.local, name="steward")
        person = make_person(self.local, email="p@example.org")
        row = (uuid.uuid4(), person.pk, tag.pk, self.now)
        columns = ["public_id", "person", "tag", "created_at"]
        bulk.insert_rows(Tagging, columns, [row])
        others = [make_person(self.local, email=f"o{n}@example.org") for n in range(bulk.FEW)]
        for alongside in ([], others):  # one row (an INSERT on PostgreSQL), and among more (a COPY)
            with self.subTest(rows=len(alongside) + 1), self.assertRaises(IntegrityError), transaction.atomic():
                bulk.insert_rows(Tagging, columns, [*((uuid.uuid4(), other.pk, tag.pk, self.now) for other in alongside),
                                                    (uuid.uuid4(), *row[1:])])
        self.assertEqual(Tagging.objects.filter(tag=tag).count(), 1)
