"""Dates as the API reads them, in filters and in bodies.

Each kind of date input has one pattern, used both here and in the OpenAPI document, so what
the document calls valid is exactly what is read. The patterns spell out the calendar (30 days
hath September; leap years) and a window of years, 1900 to 2199: wide enough for any real
record, and narrow enough that every offset, every time zone and the day after the last day
stay inside what Python, SQLite and PostgreSQL can hold, so no date reaches a 500.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum

FIRST_YEAR, LAST_YEAR = 1900, 2199

# [0-9], not \d: Python's \d takes any script's digits, ECMA-262's (the document's) only ASCII.
_YEAR = r"(?:19[0-9]{2}|2[01][0-9]{2})"
_LEAP_YEAR = r"(?:(?:19|2[01])(?:0[48]|[2468][048]|[13579][26])|2000)"  # 1900 and 2100 are not
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
              r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
              r"|02-(?:0[1-9]|1[0-9]|2[0-8]))")
_DAY = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"

DATE_PATTERN = rf"^{_DAY}$"
DATETIME_PATTERN = rf"^{_DAY}[T ]{_CLOCK}{_OFFSET}?$"
WHEN_PATTERN = rf"^{_DAY}(?:[T ]{_CLOCK}{_OFFSET}?)?$"

_PARTS = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
                    r"(Z|([+-])([0-9]{2}):?([0-9]{2})?)?)?")


class Kind(Enum):
    """What a field takes: a day, a moment (date and time), or either."""

    DATE = (DATE_PATTERN, "a date such as 2026-11-04")
    DATETIME = (DATETIME_PATTERN, "a date and time such as 2026-11-04T17:00:00 or 2026-11-04T22:00:00Z")
    WHEN = (WHEN_PATTERN, "a date or a date and time, such as 2026-11-04 or 2026-11-04T22:00:00Z")

    def __init__(self, pattern: str, example: str) -> None:
        self.regex = re.compile(pattern)
        self.example = example


class DateError(ValueError):
    """A date the API cannot take, with what to send instead."""


def read(value: object, name: str, kind: Kind) -> tuple[datetime, bool]:
    """(moment, date_only) for `value`; the moment is naive when no offset was given.

    Raises DateError naming the field, the form it takes and the window of years."""
    text = value if isinstance(value, str) else None
    if text is None or not kind.regex.fullmatch(text):
        shown = f"“{str(value)[:40]}”" if isinstance(value, str) else "this"
        raise DateError(f"{name} must be {kind.example}, in the years {FIRST_YEAR} to {LAST_YEAR}; "
                        f"{shown} is not.")
    parts = _PARTS.fullmatch(text)
    assert parts is not None  # every text the kinds' patterns take has these parts
    year, month, day, hour, minute, second, fraction, offset, sign, off_hours, off_minutes = parts.groups()
    if hour is None:
        return datetime(int(year), int(month), int(day)), True  # noqa: DTZ001 (the caller chooses the zone)
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),  # noqa: DTZ001
                      int((fraction or "0")[:6].ljust(6, "0")))
    if offset == "Z":
        moment = moment.replace(tzinfo=UTC)
    elif offset:
        # In UTC: PostgreSQL refuses offsets past 15:59 that ISO 8601 allows (up to 23:59).
        shift = timedelta(hours=int(off_hours), minutes=int(off_minutes or 0))
        moment = moment.replace(tzinfo=timezone(-shift if sign == "-" else shift)).astimezone(UTC)
    return moment, False


def read_day(value: object, name: str) -> date:
    """A calendar date (no time, no zone)."""
    return read(value, name, Kind.DATE)[0].date()


def read_utc(value: object, name: str) -> tuple[datetime, bool]:
    """(aware moment, date_only): a date alone is midnight UTC, a time without an offset is UTC."""
    moment, date_only = read(value, name, Kind.WHEN)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), date_only
