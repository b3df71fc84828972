"""Plain inserts for hot paths: imports' batches, and the one row a public form stores.

Django's bulk_create compiles SQL for every object, which costs more than the database
does once a batch reaches thousands of rows (and, for a single row, more than the
database spends on it). These helpers send plain tuples: on PostgreSQL a few rows by one
INSERT and more by COPY, on SQLite by executemany; single rows by one INSERT, several
threads' rows together (`core.group_commit`). Values go through each field's own database preparation, memoized
per distinct value in a batch for the fields where that is costly.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg
from django.db import connection, models

from turnout.core import group_commit

Converter = Callable[[Any], Any]
# Up to this many rows go to PostgreSQL as one INSERT rather than a COPY: a COPY costs
# two round trips and more of the web server's time to open and close, which a few rows never
# win back (a batch of a crowd's forms writes a few rows to each of several tables).
FEW = 32
PLAIN = {"CharField", "TextField", "EmailField", "SlugField", "BooleanField", "FloatField", "IntegerField",
         "BigIntegerField", "BigAutoField", "AutoField", "PositiveIntegerField", "ForeignKey"}


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a concrete field"
    return field


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None
    return field.column


def quoted_column(model: type[models.Model], name: str) -> str:
    """The column of `model`'s field `name`, quoted for a statement written by hand."""
    return connection.ops.quote_name(_column(_field(model, name)))


def _converter(field: models.Field[Any, Any], memo: bool = True) -> Converter | None:
    """How to prepare one column's values, or None when they go to the driver as they are;
    with `memo`, each distinct value is prepared once (for one batch, in one thread)."""
    kind = field.get_internal_type()
    if kind in PLAIN or (kind == "UUIDField" and connection.vendor == "postgresql"):
        return None
    if kind == "JSONField":
        return json.dumps
    if not memo:
        return lambda value: field.get_db_prep_save(value, connection)
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        # Timestamps in one import share a value, so this prepares each once.
        if value not in cache:
            if len(cache) > 10_000:
                cache.clear()
            cache[value] = field.get_db_prep_save(value, connection)
        return cache[value]

    return convert


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]],
                *, ignore_conflicts: bool = False) -> None:
    """Insert rows (tuples in `columns` order) into the model's table, inside the caller's transaction."""
    fields = [_field(model, name) for name in columns]
    names = [_column(f) for f in fields]
    converting = [(i, c) for i, c in enumerate(_converter(f) for f in fields) if c is not None]

    def prepare(row: Sequence[Any]) -> Sequence[Any]:
        if not converting:
            return row
        values = list(row)
        for index, convert in converting:
            values[index] = convert(values[index])
        return values

    rows = iter(rows)
    head = list(itertools.islice(rows, FEW + 1))
    if not head:
        return  # nothing to write: no statement, no round trip
    if len(head) <= FEW and connection.vendor == "postgresql" and not ignore_conflicts:
        _write_rows(model, tuple(columns), [prepare(row) for row in head])
        return
    prepared = (prepare(row) for row in itertools.chain(head, rows))
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(n) for n in names)
    # The COPY goes through psycopg's own cursor, which Django does not wrap: its errors are made
    # Django's here, so that a caller's `except IntegrityError` (the importer's retry) sees them.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql" and not ignore_conflicts:
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in prepared:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(names))
        conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}){conflict}", list(prepared))  # noqa: S608 — names come from model metadata


def insert_one(model: type[models.Model], values: dict[str, Any]) -> None:
    """One row by a plain INSERT, for a public form's hot path: compiling the ORM's INSERT costs
    the web server more time than the database spends on the row. `values` by field name; the
    caller gives every column without a database default. Inside a transaction the row is part
    of it; otherwise it is committed, with the rows other threads of the process are storing
    meanwhile, before this returns (`core.group_commit`)."""
    names = tuple(values)
    converters = _converters(model, names)
    row = [value if convert is None else convert(value) for convert, value in zip(converters, values.values(),
                                                                                 strict=True)]
    if connection.in_atomic_block:
        _write_rows(model, names, [row])
    else:
        _writer(model, names).add(row)


@functools.cache
def _converters(model: type[models.Model], names: tuple[str, ...]) -> list[Converter | None]:
    return [_converter(_field(model, name), memo=False) for name in names]


@functools.cache
def _writer(model: type[models.Model], names: tuple[str, ...]) -> group_commit.Writer:
    return group_commit.Writer(functools.partial(_write_rows, model, names))


def _write_rows(model: type[models.Model], names: tuple[str, ...], rows: list[Sequence[Any]]) -> None:
    """One INSERT of `rows`. On PostgreSQL the values travel apart from the statement
    (server-side binding, a psycopg cursor of its own) instead of being quoted into it in Python,
    which halves what the web server spends on a row. The statement is not prepared: Django
    connects with psycopg's `prepare_threshold` off, and turning it on for every query slowed
    sending (docs/performance.md). (One array a column, through `unnest`, would make one
    statement for any number of rows, but psycopg spends more turning lists into arrays than it
    saves.)"""
    sql = _insert_sql(model, names, len(rows), connection.vendor)
    values = [value for row in rows for value in row]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
        return
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    # PostgreSQL's own placeholders ($1, $2…) on a raw cursor: psycopg sends the statement as it is.
    # With `%s` it would parse the statement for its placeholders on every call, for it keeps the
    # parse only of statements with at most 50 values: a batch's rows have hundreds.
    with connection.wrap_database_errors, psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(sql, values)


@functools.cache
def _insert_sql(model: type[models.Model], names: tuple[str, ...], count: int, vendor: str) -> str:
    """The INSERT of `count` rows of `names` into the model's table: PostgreSQL's numbered
    placeholders on PostgreSQL, `%s` elsewhere."""
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(quoted_column(model, name) for name in names)
    width = len(names)
    if vendor == "postgresql":
        rows = ", ".join("(" + ", ".join(f"${row * width + column + 1}" for column in range(width)) + ")"
                         for row in range(count))
    else:
        rows = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * count)
    return f"INSERT INTO {table} ({column_list}) VALUES {rows}"  # noqa: S608 — names come from model metadata


def fixed_rows(query: Callable[[], models.QuerySet[Any, Any]]) -> list[tuple[Any, ...]]:
    """The rows of a query that never changes (no values from the caller), as the database gives
    them: `query`, a module-level function, builds a `values_list` queryset, which is compiled
    once per process for the default database (so nothing in it may depend on the time, settings
    or language); on PostgreSQL it runs on a psycopg cursor of its own, bound on the server. For a
    look made once in every batch of a crowd's requests, whose compiling would cost the web server
    more than the database spends on it. Each field's own conversion from the database is the
    caller's (`from_db_value`). Like the COPY and `_write_rows`, it is not in Django's query log."""
    sql, params = _compiled(query, connection.vendor)
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.cache
def _compiled(query: Callable[[], models.QuerySet[Any, Any]], vendor: str) -> tuple[str, tuple[Any, ...]]:
    return query().query.sql_with_params()


def pairs_for(model: type[models.Model], key: str, value: str, keys: Sequence[Any]) -> dict[Any, Any]:
    """{key: value} for the rows whose `key` column is in `keys`, in one query.

    PostgreSQL gets one array parameter (= ANY) instead of thousands of placeholders,
    which psycopg would otherwise spend longer parsing than the server spends answering.
    """
    if not keys:
        return {}
    table = connection.ops.quote_name(model._meta.db_table)
    key_field = _field(model, key)
    key_column = connection.ops.quote_name(_column(key_field))
    # Keys travel in the column's database form (UUIDs are hex text on SQLite) and are
    # handed back as the caller gave them.
    prepared = {key_field.get_db_prep_value(k, connection): k for k in keys}
    value_column = quoted_column(model, value)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {key_column}, {value_column} FROM {table} WHERE {key_column} = ANY(%s)", [list(prepared)])  # noqa: S608
        else:
            placeholders = ", ".join(["%s"] * len(prepared))
            cursor.execute(f"SELECT {key_column}, {value_column} FROM {table} WHERE {key_column} IN ({placeholders})", list(prepared))  # noqa: S608
        return {prepared.get(k, k): v for k, v in cursor.fetchall()}


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` rows about to be inserted, so children can point at them
    without reading the parents back.

    PostgreSQL draws them from the table's sequence (safe with concurrent writers). On
    SQLite the caller's transaction already holds the database's only write lock
    (transactions begin IMMEDIATE), so the next ids after the largest are free.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    pk = _column(model._meta.pk)  # type: ignore[arg-type]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(pk)}), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
        # AUTOINCREMENT never reuses an id that was once handed out, deleted or not.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        if row is not None:
            start = max(start, row[0] + 1)
        return list(range(start, start + count))
