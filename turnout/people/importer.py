"""Streaming CSV import: bounded memory, upsert by email then phone, a report of every bad row.

The file is read once to pick its encoding and once to import it, a chunk of rows at a
time. Each chunk is written in one transaction with set-based inserts; a row is either
written whole or reported, never half-imported.
"""

from __future__ import annotations

import codecs
import csv
import io
import multiprocessing
import os
import queue
import re
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, User
from turnout.core import files, geo
from turnout.core.bulk import allocate_ids, insert_rows
from turnout.core.dangerous import Refused, dangerous_kind, without_dangerous
from turnout.core.exports import as_typed, csv_writer
from turnout.people import suppression
from turnout.people.contact import InvalidContact, normalize_email, normalize_phone
from turnout.people.models import (
    ConsentEvent,
    EmailAddress,
    Membership,
    Person,
    PhoneNumber,
    Tagging,
)
from turnout.people.parsing_process import parse_file
from turnout.people.services import (
    ELSEWHERE,
    changes_for,
    contact_model,
    group_tag,
    hold_contacts,
    opt_in_allowed,
)

CHUNK_ROWS = 10_000
# Files this large are parsed in a second process while the first writes (about 80,000 rows).
PARSE_IN_CHILD_BYTES = 8 * 1024 * 1024
MAX_VALUE_LENGTH = 10_000
# Larger than any legitimate value, so an over-long field is reported for its own row;
# a field past this is an unclosed quote swallowing the rest of the file.
CSV_FIELD_LIMIT = 4 * 1024 * 1024

# Header spellings seen in spreadsheets and in Action Network and Mobilize exports,
# compared with case, spaces and punctuation removed.
HEADER_ALIASES: dict[str, list[str]] = {
    "email": ["email", "emailaddress", "e-mail", "primaryemail", "email1", "personalemail", "can2email", "useremail"],
    "phone": ["phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "cell", "cellphone",
              "cellphonenumber", "smsphone", "can2phone", "can2smsphone", "primaryphone", "telephone", "tel"],
    "given_name": ["firstname", "givenname", "first", "fname", "nombre"],
    "family_name": ["lastname", "familyname", "surname", "last", "lname", "apellido", "apellidos"],
    "preferred_name": ["preferredname", "nickname", "goesby"],
    "address_line1": ["address", "address1", "addressline1", "street", "streetaddress", "can2useraddress",
                      "mailingaddress", "addresslines"],
    "address_line2": ["address2", "addressline2", "apt", "unit", "suite"],
    "locality": ["city", "locality", "town", "can2usercity"],
    "region": ["state", "region", "province", "stateabbreviation", "can2stateabbreviated", "st"],
    "postal_code": ["zip", "zipcode", "postalcode", "zippostalcode", "postcode", "zip5", "can2userzipcode"],
    "country": ["country", "countrycode", "can2country"],
    # A household's own point, as voter files and VAN exports carry it (door knocking's walk lists).
    "latitude": ["latitude", "lat"],
    "longitude": ["longitude", "lon", "lng", "long"],
    "language": ["language", "preferredlanguage", "languagespoken", "idioma"],
    "member_number": ["membernumber", "memberid", "membershipnumber", "unionid"],
    "membership_status": ["membershipstatus", "memberstatus", "status"],
    "tags": ["tags", "tag", "tagnames"],
    "email_status": ["emailstatus", "subscriptionstatus", "emailsubscriptionstatus", "can2subscriptionstatus"],
    "sms_opt_in": ["smsoptin", "smsconsent", "textoptin", "canreceivetexts", "smspermission", "smsstatus",
                   "smssubscribed", "mobileoptin"],
}
# The first column of Turnout's report of rows not imported: never read, so the report imports again.
REPORT_COLUMN = "import problem"
IGNORED_HEADERS = {"id", "uuid", "createdat", "createddate", "modifieddate", "updatedat", "timezone",
                   "emailstatus2", "phonetype", "groups", "membershipstatuses", "membernumbers", "importproblem"}
# How a column is read, as staff choose it before an import (`ImportJob.columns`): a field's name,
# CUSTOM + a custom field's name, or SKIP.
SKIP = ""
CUSTOM = "custom:"
_ALIAS_INDEX = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_HEADER_KEY = re.compile(r"[^a-z0-9]")
TRUTHY = {"1", "y", "yes", "true", "t", "x", "si", "sí", "subscribed", "opted in", "opt-in", "opt_in"}
FALSY = {"0", "n", "no", "false", "f", "unsubscribed", "opted out", "opt-out", "opt_out"}
STATUS_WORDS = {
    "member": Membership.Status.MEMBER, "active": Membership.Status.MEMBER, "miembro": Membership.Status.MEMBER,
    "non_member": Membership.Status.NON_MEMBER, "non-member": Membership.Status.NON_MEMBER,
    "nonmember": Membership.Status.NON_MEMBER, "non member": Membership.Status.NON_MEMBER,
    "prospect": Membership.Status.PROSPECT, "potential": Membership.Status.PROSPECT,
    "former": Membership.Status.FORMER, "former member": Membership.Status.FORMER,
    "former_member": Membership.Status.FORMER, "lapsed": Membership.Status.FORMER,
    "inactive": Membership.Status.FORMER,
    "supporter": Membership.Status.SUPPORTER, "simpatizante": Membership.Status.SUPPORTER,
    "contact": Membership.Status.SUPPORTER, "contacto": Membership.Status.SUPPORTER,
}
PERSON_FIELDS = ["given_name", "family_name", "preferred_name", "address_line1", "address_line2",
                 "locality", "region", "country", "language"]
PERSON_COLUMNS = ["public_id", "created_at", "updated_at", "given_name", "family_name", "preferred_name",
                  "language", "address_line1", "address_line2", "locality", "region", "postal_code", "country",
                  "latitude", "longitude", "time_zone", "custom_fields"]


def _stored_person(values: tuple[Any, ...]) -> Person:
    """The Person an `insert_rows(Person, ["id", *PERSON_COLUMNS], …)` row stored, as if read back
    (a public form's batch hands its new people to the acts, whose audit entries name them)."""
    # Built as the ORM builds a row it reads (`from_db`: the values in the fields' order).
    return Person.from_db(connection.alias, _STORED_NAMES, [values[at] for at in _STORED_ORDER])


_STORED_NAMES = [field.attname for field in Person._meta.concrete_fields]
if set(_STORED_NAMES) != {"id", *PERSON_COLUMNS}:
    raise ImproperlyConfigured(f"PERSON_COLUMNS must name every column of Person: {sorted(_STORED_NAMES)}")
_STORED_ORDER = [["id", *PERSON_COLUMNS].index(name) for name in _STORED_NAMES]


SUBSCRIBED, UNSUBSCRIBED, NO_CONSENT, BOUNCING = "subscribed", "unsubscribed", "none", "bouncing"
CONSENT_COLUMNS = ["person", "channel", "address", "action", "source", "source_detail", "consent_text",
                   "occurred_at", "recorded_by"]
COUNTRY_NAMES = {"USA": "US", "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US"}
TAG_SEPARATORS = re.compile(r"[;,]")
FIELD_LIMITS: dict[str, int] = {f.name: f.max_length for f in Person._meta.concrete_fields if f.max_length}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; nothing was written."""


@dataclass(slots=True)
class RowError:
    """A problem with one row: the row was not imported, or (`kept`) it was, without one value."""

    row: int
    column: str
    reason: str
    kept: bool = False

    def describe(self) -> str:
        """The problem as the report of rows not imported says it."""
        if self.kept:
            return _("Row %(row)s: imported without the value in “%(column)s”: %(reason)s") % {
                "row": self.row, "column": self.column, "reason": self.reason}
        if self.column:
            return _("Row %(row)s: not imported (“%(column)s”): %(reason)s") % {
                "row": self.row, "column": self.column, "reason": self.reason}
        return _("Row %(row)s: not imported: %(reason)s") % {"row": self.row, "reason": self.reason}


@dataclass(slots=True)
class Row:
    number: int
    email: str
    phone: str
    phone_kind: str
    fields: dict[str, Any]
    postal: geo.Place | None
    membership_status: str | None
    member_number: str
    tags: list[str]
    email_status: str | None
    sms_opt_in: bool | None
    custom: dict[str, str]
    # The exact words of the text-message consent a person ticked on a public form (`sign_up_new`).
    sms_consent_text: str = ""
    # The household's own (latitude, longitude), over the ZIP's centre.
    coordinates: tuple[float, float] | None = None


@dataclass
class ImportResult:
    rows_seen: int = 0
    created: int = 0
    updated: int = 0
    # Opt-ins in the file for people who had withdrawn that consent: not restored (only the
    # person's own new opt-in does that), and counted so the report can say so.
    consent_kept_withdrawn: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Rows imported without a contact value that could not be used (the row had another).
    warnings: list[RowError] = field(default_factory=list)
    fatal: str = ""
    # Columns left out whole because Turnout does not keep what they hold (core.dangerous).
    refused: list[Refused] = field(default_factory=list)
    # Their places in the file, so the report of rows not imported leaves them out too.
    refused_at: set[int] = field(default_factory=set)
    # The file's encoding, as detected: the report reads the file again with it.
    encoding: str = ""

    @property
    def problems(self) -> list[RowError]:
        """Errors and warnings, in file order."""
        return sorted([*self.errors, *self.warnings], key=lambda problem: problem.row)

    @property
    def failed(self) -> int:
        return len(self.errors)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if every byte decodes as UTF-8, else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def refused_columns(headers: list[str]) -> dict[int, Refused]:
    """The columns whose values are never read nor kept, by index: what Turnout refuses to store."""
    refused = {}
    for index, header in enumerate(headers):
        kind = dangerous_kind(header)
        if kind:
            refused[index] = Refused(header.strip()[:100], kind)
    return refused


def map_headers(headers: list[str]) -> tuple[dict[int, str], dict[int, str], dict[int, Refused]]:
    """(column index -> known field, column index -> custom field name, column index -> refused
    column). A refused column is neither: its values are never read."""
    known: dict[int, str] = {}
    custom: dict[int, str] = {}
    refused = refused_columns(headers)
    taken: set[str] = set()
    for index, header in enumerate(headers):
        key = _HEADER_KEY.sub("", header.strip().lower())
        name = _ALIAS_INDEX.get(key)
        if index in refused:
            continue
        if name and name not in taken:
            known[index] = name
            taken.add(name)
        elif key and key not in IGNORED_HEADERS and not key.startswith("can2"):
            custom[index] = header.strip()[:100]
    return known, custom, refused


def header_field(header: str) -> str | None:
    """The field a column of this header is read as, or "" when it is one the importer skips
    (None: it would be a custom field)."""
    key = _HEADER_KEY.sub("", header.strip().lower())
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    return "" if key in IGNORED_HEADERS or key.startswith("can2") else None


def detected_columns(headers: list[str]) -> list[str]:
    """How each column is read when staff choose nothing: a field, CUSTOM + a name, or SKIP (a
    refused column too)."""
    known, custom, _refused = map_headers(headers)
    return [known.get(i) or (CUSTOM + custom[i] if i in custom else SKIP) for i in range(len(headers))]


def chosen_columns(headers: list[str], columns: list[str]) -> tuple[dict[int, str], dict[int, str], dict[int, Refused]]:
    """`map_headers` for the readings staff chose. A refused column stays refused whatever was
    chosen, and so does a custom field whose name says it holds what Turnout does not keep."""
    if len(columns) != len(headers):
        raise ImportFileError(_("The file's columns are not the ones chosen; upload it again."))
    refused = refused_columns(headers)
    known: dict[int, str] = {}
    custom: dict[int, str] = {}
    for index, reading in enumerate(columns):
        if index in refused or reading == SKIP:
            continue
        if reading.startswith(CUSTOM):
            name = reading.removeprefix(CUSTOM).strip()[:100]
            kind = dangerous_kind(name)
            if kind:
                refused[index] = Refused(name, kind)
            elif name:
                custom[index] = name
        elif reading in HEADER_ALIASES and reading not in known.values():
            known[index] = reading
    return known, custom, refused


def chunked(rows: Iterator[Row], size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
    """Chunks of rows in which no two rows share an email or phone.

    A later row for someone already in the chunk waits for the next chunk, so it is
    applied as an update after the earlier row; rows that share a contact with a waiting
    row wait behind it, which keeps each person's rows in file order. Full chunks keep
    the per-chunk cost (queries, commit) spread over many rows even in files with many
    repeated people.
    """
    chunk: list[Row] = []
    keys: set[str] = set()
    waiting: list[Row] = []
    waiting_keys: set[str] = set()

    def place(row: Row) -> None:
        row_keys = {k for k in (row.email, row.phone) if k}
        if row_keys & keys or row_keys & waiting_keys:
            waiting.append(row)
            waiting_keys.update(row_keys)
        else:
            chunk.append(row)
            keys.update(row_keys)

    def take() -> list[Row]:
        """The current chunk; the waiting rows start the next one, in file order."""
        nonlocal chunk, waiting, waiting_keys
        done, pending = chunk, waiting
        chunk, waiting, waiting_keys = [], [], set()
        keys.clear()
        for held in pending:
            place(held)
        return done

    for row in rows:
        place(row)
        if len(chunk) >= size or len(waiting) >= size:
            yield take()
    # A row only waits behind a row in the chunk, so an empty chunk means nothing waits.
    while chunk:
        yield take()


@dataclass(slots=True)
class Batch:
    """A chunk of parsed rows, with what the parser found since the last batch."""

    rows: list[Row]
    errors: list[RowError]
    rows_seen: int
    position: int
    fatal: str = ""
    warnings: list[RowError] = field(default_factory=list)


def _coordinates(latitude: str, longitude: str) -> tuple[float, float] | None:
    """A point as a spreadsheet writes it; None unless both are numbers on the globe."""
    try:
        lat, lng = float(latitude), float(longitude)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or lat != lat or lng != lng:
        return None
    return round(lat, 7), round(lng, 7)


class RowReader:
    """Parses a CSV file into validated rows and per-row errors; it never touches the database."""

    def __init__(self, path: Path, columns: list[str] | None = None) -> None:
        self.path = path
        # How staff chose to read each column (`ImportJob.columns`); None: by their headers.
        self.columns = columns
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.rows_seen = 0
        self.fatal = ""

    def open(self) -> None:
        """Check the file as a whole (not empty, readable header, a contact column)."""
        self.size = self.path.stat().st_size
        if self.size == 0:
            raise ImportFileError(_("The file is empty."))
        self.encoding = detect_encoding(self.path)
        csv.field_size_limit(CSV_FIELD_LIMIT)
        with self.path.open("rb") as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding=self.encoding, newline=""))
            try:
                headers = next(reader)
            except StopIteration:
                raise ImportFileError(_("The file is empty.")) from None
            except csv.Error as exc:
                raise ImportFileError(_("The header row cannot be read: %(error)s") % {"error": exc}) from None
        known, custom, refused = map_headers(headers) if self.columns is None else chosen_columns(headers, self.columns)
        if "email" not in known.values() and "phone" not in known.values():
            raise ImportFileError(
                _("The file needs an email or a phone column (for example “email” or “phone”). "
                  "Columns found: %(columns)s") % {"columns": ", ".join(h for h in headers if h)[:300] or _("none")}
            )
        self.headers = headers
        self.known, self.custom, self.refused = known, custom, refused
        self.column_names = {name: headers[i] for i, name in known.items()}
        self.person_fields = [name for name in PERSON_FIELDS if name in self.column_names]

    def batches(self) -> Iterator[Batch]:
        with self.path.open("rb") as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding=self.encoding, newline=""))
            next(reader)
            for chunk in chunked(self._rows(reader)):
                yield self._batch(chunk, raw.tell())
        yield self._batch([], self.size)

    def _batch(self, rows: list[Row], position: int) -> Batch:
        errors, self.errors = self.errors, []
        warnings, self.warnings = self.warnings, []
        return Batch(rows, errors, self.rows_seen, position, self.fatal, warnings)

    def _rows(self, reader: Any) -> Iterator[Row]:
        width = len(self.headers)
        number = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                self.fatal = _(
                    "Stopped at row %(row)s: %(error)s. Check that row for an unclosed quote; "
                    "the rows before it were imported."
                ) % {"row": number, "error": exc}
                return
            number += 1
            if not any(v.strip() for v in values):
                continue
            self.rows_seen += 1
            if len(values) > width and any(v.strip() for v in values[width:]):
                self._error(number, "", _("This row has %(n)s values but the header has %(w)s columns.")
                            % {"n": len(values), "w": width})
                continue
            row = self._parse(number, values)
            if row is not None:
                yield row

    def _error(self, number: int, column: str, reason: str) -> None:
        self.errors.append(RowError(number, column, reason))

    def _parse(self, number: int, values: list[str]) -> Row | None:
        width = len(values)
        data = {name: as_typed(values[index]).strip() for index, name in self.known.items() if index < width}
        if max(map(len, values)) > MAX_VALUE_LENGTH:
            for index, value in enumerate(values):
                if len(value) > MAX_VALUE_LENGTH and index not in self.refused:
                    header = self.headers[index] if index < len(self.headers) else str(index + 1)
                    self._error(number, header, _("The value is %(n)s characters long; the most allowed is %(max)s.")
                                % {"n": f"{len(value):,}", "max": f"{MAX_VALUE_LENGTH:,}"})
                    return None
        column = self.column_names
        email = phone = ""
        phone_kind = "unknown"
        # A contact value that cannot be used is left out, and the row kept, if it has the other.
        unusable: list[RowError] = []
        if data.get("email"):
            try:
                email = normalize_email(data["email"])
            except InvalidContact as exc:
                unusable.append(RowError(number, column["email"], str(exc), kept=True))
        country = (data.get("country") or "US").upper()
        country = COUNTRY_NAMES.get(country, country)
        if len(country) != 2:
            self._error(number, column["country"], _("Use a two-letter country code such as US or MX."))
            return None
        if data.get("phone"):
            try:
                phone, phone_kind = normalize_phone(data["phone"], country)
            except InvalidContact as exc:
                unusable.append(RowError(number, column["phone"], str(exc), kept=True))
        if not email and not phone:
            if unusable:
                self._error(number, unusable[0].column, unusable[0].reason)
            else:
                self._error(number, column.get("email") or column.get("phone", ""),
                            _("Each row needs an email address or a phone number."))
            return None
        fields = {name: data[name] for name in self.person_fields if data.get(name)}
        fields["country"] = country
        for name, value in fields.items():
            if len(value) > FIELD_LIMITS[name]:
                self._error(number, column[name], _("The value is longer than %(max)s characters.") % {"max": FIELD_LIMITS[name]})
                return None
        postal = None
        if data.get("postal_code"):
            if country == "US":
                postal = geo.lookup_zip(data["postal_code"])
                if postal is None:
                    self._error(number, column["postal_code"],
                                _("“%(zip)s” is not a known US ZIP code.") % {"zip": data["postal_code"][:20]})
                    return None
            else:
                fields["postal_code"] = data["postal_code"][:20]
        status = None
        if data.get("membership_status"):
            status = STATUS_WORDS.get(data["membership_status"].lower())
            if status is None:
                self._error(number, column["membership_status"],
                            _("Unknown membership status “%(value)s”; use member, non-member, prospect or former.")
                            % {"value": data["membership_status"][:40]})
                return None
        email_status = None
        if data.get("email_status"):
            word = data["email_status"].lower()
            email_status = "opt_in" if word in TRUTHY else "opt_out" if word in FALSY else None
        sms_opt_in = None
        if data.get("sms_opt_in"):
            word = data["sms_opt_in"].lower()
            sms_opt_in = True if word in TRUTHY else False if word in FALSY else None
        tags = [t.strip()[:100] for t in TAG_SEPARATORS.split(data["tags"]) if t.strip()] if data.get("tags") else []
        custom = {name: as_typed(values[i]).strip() for i, name in self.custom.items()
                  if i < width and values[i].strip()}
        self.warnings += unusable
        coordinates = None
        if data.get("latitude") or data.get("longitude"):
            coordinates = _coordinates(data.get("latitude", ""), data.get("longitude", ""))
            if coordinates is None:
                self.warnings.append(RowError(number, column.get("latitude") or column.get("longitude", ""), _(
                    "latitude and longitude must be two numbers, from -90 to 90 and from -180 to 180"), kept=True))
        return Row(number, email, phone, phone_kind, fields, postal, status, data.get("member_number", "")[:50],
                   tags, email_status, sms_opt_in, custom, coordinates=coordinates)


@dataclass
class CleanCopy:
    """What `copy_without_refused` left out of a file."""

    refused: list[Refused] = field(default_factory=list)
    # Why the copy ends before the file did (a row that cannot be read), in the importer's words.
    stopped: str = ""


def _header_name(cell: str) -> str:
    """A header cell read as Latin-1, in the file's own encoding (as `detect_encoding` would pick it)."""
    raw = cell.encode("latin-1")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return cell


def copy_without_refused(source: IO[bytes], out: IO[bytes]) -> CleanCopy:
    """Copy a CSV file without the columns Turnout does not keep (`refused_columns`), so that no
    byte of them is ever written. A file with none of them is copied as it is.

    Read as Latin-1, which maps each byte to one character and back: the signs CSV is made of
    (comma, quote, line ends) are the same bytes in UTF-8, Windows-1252 and Latin-1, so every
    other cell keeps its bytes whatever the file's encoding, and the importer still detects it.
    """
    csv.field_size_limit(CSV_FIELD_LIMIT)
    text = io.TextIOWrapper(source, encoding="latin-1", newline="")
    written = io.TextIOWrapper(out, encoding="latin-1", newline="", write_through=True)
    # The importer's input, written back as it was read: not a file for a spreadsheet, so the
    # writer that neutralizes formulas would change the values.
    writer = csv.writer(written)  # noqa: TID251
    copy = CleanCopy()
    try:
        reader = csv.reader(text)
        try:
            headers = next(reader)
        except StopIteration:
            return copy
        except csv.Error as exc:
            copy.stopped = _("The header row cannot be read: %(error)s") % {"error": exc}
            return copy
        refused = refused_columns([_header_name(h) for h in headers])
        copy.refused = list(refused.values())
        if not refused:
            writer.writerow(headers)
            while block := text.read(1 << 20):
                written.write(block)
            return copy
        keep = [i for i in range(len(headers)) if i not in refused]
        writer.writerow([headers[i] for i in keep])
        number = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                copy.stopped = _(
                    "Stopped at row %(row)s: %(error)s. Check that row for an unclosed quote; "
                    "the rows before it were imported."
                ) % {"row": number + 1, "error": exc}
                break
            number += 1
            # Values past the header are kept, so the importer still reports such a row.
            writer.writerow([values[i] for i in keep if i < len(values)] + values[len(headers):])
        return copy
    finally:
        written.flush()
        written.detach()
        text.detach()



def batches_from_child(path: Path, columns: list[str] | None = None) -> Iterator[Batch]:
    """Parse in a second process while this one writes, so both cores work on a big file."""
    context = multiprocessing.get_context("spawn")
    channel = context.Queue(maxsize=2)
    child = context.Process(target=parse_file, args=(str(path), channel, columns), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = channel.get(timeout=1)
            except queue.Empty:
                if not child.is_alive():
                    raise ImportFileError(_("The file could not be read to the end; import it again.")) from None
                continue
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


class Importer:
    """Reads one CSV file into one group, optionally tagging everyone it touches."""

    def __init__(self, *, group: Group, actor: User | None = None, tag: str = "",
                 sms_consent_text: str = "", source_name: str = "",
                 membership: str = Membership.Status.MEMBER,
                 progress: Callable[[ImportResult, int], None] | None = None,
                 parse_in_child: bool | None = None, columns: list[str] | None = None) -> None:
        self.group = group
        # How each column is read, as staff chose before the import; None: by their headers.
        self.columns = columns
        self.membership = membership  # for rows whose own status column is empty
        self.actor = actor
        # This chunk's addresses on the suppression list: {(channel, address): when it opted out}.
        self._suppressed: dict[tuple[str, str], datetime] = {}
        self.tag_name = tag.strip()
        self.sms_consent_text = sms_consent_text.strip()
        self.source_name = source_name
        self.progress = progress
        self.parse_in_child = parse_in_child
        self.result = ImportResult()
        self.now = timezone.now()
        # A public form's batch (`sign_up_new`): the person's own sign-up, not staff's word.
        self.source = str(ConsentEvent.Source.IMPORT)
        self.public = False
        # Rows naming someone already on file, in a public form's batch: theirs is the one-by-one sign-up.
        self.passed: list[Row] = []
        # A public form's batch only (a file's import keeps none, which would grow with the file):
        # row number → the person it made, as stored.
        self.placed: dict[int, Person] = {}
        self._tag_ids: dict[str, int] = {}
        who = actor.email if actor else _("an operator")
        self._texts = {
            "subscriber": _("Imported as a subscriber by %(who)s.") % {"who": who},
            "email_status": _("Email status from an import by %(who)s.") % {"who": who},
            "sms_column": _("Text-message consent column in an import by %(who)s.") % {"who": who},
        }

    def run(self, path: Path) -> ImportResult:
        """Import the file; raises ImportFileError (having written nothing) when the file as a whole is unusable."""
        reader = RowReader(path, self.columns)
        reader.open()
        self.column_names = reader.column_names
        self.result.refused = list(reader.refused.values())
        self.result.refused_at = set(reader.refused)
        self.result.encoding = reader.encoding
        in_child = self.parse_in_child
        if in_child is None:
            in_child = reader.size >= PARSE_IN_CHILD_BYTES
        for batch in batches_from_child(path, self.columns) if in_child else reader.batches():
            self.result.rows_seen = batch.rows_seen
            self.result.errors += batch.errors
            self.result.warnings += batch.warnings
            self.result.fatal = batch.fatal
            if batch.rows:
                self._write(batch.rows)
            if self.progress:
                self.progress(self.result, batch.position)
        self.result.errors.sort(key=lambda error: error.row)
        self.result.warnings.sort(key=lambda warning: warning.row)
        return self.result

    def _error(self, number: int, column: str, reason: str) -> None:
        self.result.errors.append(RowError(number, column, reason))

    # -- writing -----------------------------------------------------------------

    def _write(self, chunk: list[Row]) -> None:
        if not chunk:
            return
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Not waiting for the WAL flush at each chunk's commit: a crash can
                    # lose the last chunks, and an import that crashed is run again from
                    # the start anyway (its upserts make that safe).
                    # Checking foreign keys as rows go in is cheaper than queueing
                    # tens of thousands of deferred checks for the commit.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                created, updated = self._apply(chunk)
        except IntegrityError:
            # Someone else wrote one of these contacts meanwhile: retry row by row so
            # only the conflicting row is reported.
            created = updated = 0
            for row in chunk:
                try:
                    with transaction.atomic():
                        c, u = self._apply([row])
                except IntegrityError:
                    self._error(row.number, "", _("This row conflicts with a change made at the same time; import it again."))
                    continue
                created += c
                updated += u
        self.result.created += created
        self.result.updated += updated

    def sign_up_new(self, rows: list[Row], source: str = ConsentEvent.Source.FORM) -> dict[int, Person]:
        """A public form's batch (rows built by `people.signup.sign_up_many`): the people no record of
        the group's reach names yet are added, each as `services.signup_person` adds a new person from
        a form (a supporter; the email taken as a yes unless an opt-out or a bounce of the address is on
        file anywhere; texts only with the words the person ticked). {row number: the new person, as stored}.
        Rows naming someone on file, or a contact an earlier row of the batch names, are left in
        `passed`: what they may change on a record is decided one by one by the sign-up itself. Runs
        in the caller's transaction."""
        self.source, self.public = str(source), True
        self.passed, self.placed = [], {}
        seen: set[str] = set()
        first: list[Row] = []
        for row in rows:
            keys = {k for k in (row.email, row.phone) if k}
            (self.passed if keys & seen else first).append(row)
            seen |= keys
        if first:
            self._apply(first)
        return self.placed

    def _tag_id(self, name: str) -> int:
        """The importing group's tag of this name (made if new), looked up once per file."""
        if name not in self._tag_ids:
            tag, _created = group_tag(group=self.group, name=name)
            self._tag_ids[name] = tag.pk
        return self._tag_ids[name]

    def _on_file(self, model: type[EmailAddress] | type[PhoneNumber], column: str, status: str,
                 values: list[str]) -> tuple[dict[str, int], dict[tuple[str, int], tuple[str, int]], dict[str, str]]:
        """What is on file for these addresses, in one query: (the importing group's record of each,
        the status and row of each (address, record) in the group's reach, and what every record of the
        address says together: `standing`). Other groups' records count only for that last: an
        opt-out or a bounce holds for every record of an address."""
        if not values:
            return {}, {}, {}
        owners: dict[str, int] = {}
        statuses: dict[tuple[str, int], tuple[str, int]] = {}
        held: dict[str, str] = {}
        table, memberships = model._meta.db_table, Membership._meta.db_table
        groups = Group._meta.db_table
        # One array parameter on PostgreSQL (= ANY) rather than thousands of placeholders, as
        # `core.bulk.pairs_for` does: psycopg would spend longer parsing them than the server answering.
        parameters: list[Any]
        if connection.vendor == "postgresql":
            where, parameters = f"c.{column} = ANY(%s)", [values]
        else:
            where, parameters = f"c.{column} IN ({', '.join(['%s'] * len(values))})", list(values)
        sql = (f"SELECT c.id, c.{column}, c.person_id, c.{status}, EXISTS (SELECT 1 FROM {memberships} m "  # noqa: S608
               f"JOIN {groups} g ON g.id = m.group_id WHERE m.person_id = c.person_id AND g.path LIKE %s) "
               f"FROM {table} c WHERE {where} ORDER BY c.id")
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.group.path + "%", *parameters])
            rows = cursor.fetchall()
        for pk, value, person_id, state, mine in rows:
            if mine:
                owners.setdefault(value, person_id)
                statuses[(value, person_id)] = (state, pk)
            if state in (BOUNCING, UNSUBSCRIBED) and held.get(value) != UNSUBSCRIBED:
                held[value] = state
        # Opted out on records since erased: held as such a record would hold it (one query a chunk,
        # none while the list is empty).
        channel = "email" if model is EmailAddress else "sms"
        for value, at in suppression.suppressed(channel=channel, addresses=values).items():
            held[value] = UNSUBSCRIBED
            self._suppressed[(channel, value)] = at
        return owners, statuses, held

    def _apply(self, chunk: list[Row]) -> tuple[int, int]:
        emails = sorted({r.email for r in chunk if r.email})
        phones = sorted({r.phone for r in chunk if r.phone})
        # The locks a sign-up takes: a form for one of these addresses waits for this chunk, so
        # the two never make two records of one person in the group.
        hold_contacts([*emails, *phones])
        # Only the importing group's own records are matched (the signup rule, `services.in_reach`).
        by_email, email_status, email_held = self._on_file(EmailAddress, "address", "status", emails)
        by_phone, phone_status, phone_held = self._on_file(PhoneNumber, "number", "sms_status", phones)

        matched: list[tuple[Row, int]] = []
        new_rows: list[Row] = []
        for row in chunk:
            email_owner = by_email.get(row.email) if row.email else None
            phone_owner = by_phone.get(row.phone) if row.phone else None
            if email_owner and phone_owner and email_owner != phone_owner and not self.public:
                self._error(row.number, self._column("phone"), _("This phone number belongs to a different person than the email address."))
                continue
            owner = email_owner or phone_owner
            if owner and self.public:
                self.passed.append(row)
            elif owner:
                matched.append((row, owner))
            else:
                new_rows.append(row)

        source_detail = self.source_name[:200]
        person_for_row: list[tuple[Row, int, bool]] = []
        if new_rows:
            ids = allocate_ids(Person, len(new_rows))
            public_ids = [uuid.uuid4() for _row in new_rows]
            people = [(pk, *self._new_person(row, public_id))
                      for row, pk, public_id in zip(new_rows, ids, public_ids, strict=True)]
            insert_rows(Person, ["id", *PERSON_COLUMNS], people)
            person_for_row = [(row, pk, True) for row, pk in zip(new_rows, ids, strict=True)]
            if self.public:
                self.placed.update((row.number, _stored_person(values))
                                   for row, values in zip(new_rows, people, strict=True))

        if matched:
            existing = Person.objects.in_bulk([pk for _r, pk in matched])
            changed_fields: set[str] = set()
            for row, pk in matched:
                person = existing[pk]
                changed_fields |= self._update_person(person, row)
                person_for_row.append((row, pk, False))
            if changed_fields:
                Person.objects.bulk_update(list(existing.values()), [*changed_fields, "updated_at"])

        memberships = {
            m.person_id: m for m in Membership.objects.filter(
                group=self.group, person_id__in=[pk for _r, pk, new in person_for_row if not new]
            )
        }
        emails_new: list[tuple[Any, ...]] = []
        phones_new: list[tuple[Any, ...]] = []
        consent: list[tuple[Any, ...]] = []
        memberships_new: list[tuple[Any, ...]] = []
        memberships_changed: list[Membership] = []
        new_taggings: list[tuple[Any, ...]] = []  # new people: no tagging can exist yet
        more_taggings: list[tuple[Any, ...]] = []
        # Contacts already on file whose status this import changes, by channel and new status.
        restatus: dict[tuple[str, str], list[int]] = {}
        opted_out: dict[str, set[str]] = {"email": set(), "sms": set()}
        actor_id = self.actor.pk if self.actor else None
        now = self.now
        group_id = self.group.pk
        import_source = self.source
        everyone_tags = [self._tag_id(self.tag_name)] if self.tag_name else []
        email_text, sms_text = self._texts["subscriber"], self.sms_consent_text or self._texts["sms_column"]
        if self.public:
            email_text = ""  # a form's address is the person's own yes; no staff words go with it

        def add_consent(pk: int, channel: str, address: str, action: str, text: str) -> None:
            consent.append((pk, channel, address, action, import_source, source_detail, text, now, actor_id))
            if action == "opt_out":
                opted_out[channel].add(address)

        staged: list[tuple[Any, ...]] = []
        lifted: list[int] = []
        stage = connection.vendor == "postgresql" and not self.public  # a form's rows carry their own words
        for row, pk, is_new in person_for_row:
            sms_opt = row.sms_opt_in if row.sms_opt_in is not None else (True if self.sms_consent_text else None)
            tag_ids = everyone_tags + [self._tag_id(name) for name in row.tags] if row.tags else everyone_tags
            for tag_id in tag_ids:
                (new_taggings if is_new else more_taggings).append((pk, tag_id, now))
            email_on_file = email_status.get((row.email, pk)) if row.email else None
            phone_on_file = phone_status.get((row.phone, pk)) if row.phone else None
            email_action_sent = row.email_status or (None if email_on_file else "opt_in")
            if self.public and email_held.get(row.email):
                # Giving an address on a form is a yes to email, but not over an opt-out or a bounce
                # on file (the sign-up's rule): only the person's explicit new opt-in restores that.
                email_action_sent = None
            email_state, email_action = self._decide(
                on_file=email_on_file, held=email_held.get(row.email),
                action=email_action_sent, default=SUBSCRIBED)
            sms_state, sms_action = self._decide(
                on_file=phone_on_file, held=phone_held.get(row.phone),
                action=None if sms_opt is None else "opt_in" if sms_opt else "opt_out", default=NO_CONSENT)
            membership_status = row.membership_status or self.membership
            for channel, address, on_file in ("email", row.email, email_on_file), ("sms", row.phone, phone_on_file):
                if address and on_file is None and (channel, address) in self._suppressed:
                    # A new record of an address on the list starts with its opt-out on the ledger.
                    consent.append((pk, channel, address, "opt_out", import_source, "", suppression.KEPT,
                                    self._suppressed[(channel, address)], None))
            if stage and is_new:
                # The same values as below, one row per person; SQL fans them out.
                staged.append((
                    pk, row.email or None, email_state, email_action, row.phone or None, row.phone_kind,
                    sms_state, sms_action, membership_status, row.member_number,
                ))
                for channel, address, action in ("email", row.email, email_action), ("sms", row.phone, sms_action):
                    if address and action == "opt_out":
                        opted_out[channel].add(address)
                continue
            if row.email:
                if email_on_file is None:
                    emails_new.append((pk, row.email, is_new, email_state, now))
                elif email_state != email_on_file[0]:
                    restatus.setdefault(("email", email_state), []).append(email_on_file[1])
                if email_action:
                    add_consent(pk, "email", row.email, email_action,
                                email_text if email_on_file is None else self._texts["email_status"])
            if row.phone:
                if phone_on_file is None:
                    phones_new.append((pk, row.phone, row.phone_kind, is_new, sms_state, now))
                    if sms_action == "opt_in" and ("sms", row.phone) in self._suppressed:
                        lifted.append(pk)  # the person's own new consent (a form), over the list
                elif sms_state != phone_on_file[0]:
                    restatus.setdefault(("sms", sms_state), []).append(phone_on_file[1])
                if sms_action:
                    add_consent(pk, "sms", row.phone, sms_action, row.sms_consent_text or sms_text)
            membership = memberships.get(pk)
            if membership is None:
                memberships_new.append((pk, group_id, membership_status, row.member_number, now))
            elif (row.membership_status and row.membership_status != membership.status) or (
                row.member_number and row.member_number != membership.member_number
            ):
                membership.status = row.membership_status or membership.status
                membership.member_number = row.member_number or membership.member_number
                memberships_changed.append(membership)

        if staged:
            self._insert_staged(staged, source_detail, actor_id)

        insert_rows(EmailAddress, ["person", "address", "is_primary", "status", "created_at"], emails_new)
        insert_rows(PhoneNumber, ["person", "number", "kind", "is_primary", "sms_status", "created_at"], phones_new)
        insert_rows(Membership, ["person", "group", "status", "member_number", "created_at"], memberships_new)
        if memberships_changed:
            Membership.objects.bulk_update(memberships_changed, ["status", "member_number"])
        for (channel, state), pks in restatus.items():
            model, _column, status_column = contact_model(channel)
            model.objects.filter(pk__in=pks).update(**{status_column: state})
        if lifted:
            suppression.note_consent_over(people=Person.objects.filter(pk__in=lifted), channel="sms",
                                          source=self.source, actor=self.actor, group=self.group)
        self._suppressed.clear()
        consent += self._opt_outs_everywhere(opted_out, source_detail, actor_id)
        insert_rows(ConsentEvent, CONSENT_COLUMNS, consent)
        tagging_columns = ["public_id", "person", "tag", "created_at"]
        insert_rows(Tagging, tagging_columns, [(uuid.uuid4(), *row) for row in set(new_taggings)])
        if more_taggings:
            insert_rows(Tagging, tagging_columns, [(uuid.uuid4(), *row) for row in set(more_taggings)],
                        ignore_conflicts=True)
        return len(new_rows), len(matched)

    def _decide(self, *, on_file: tuple[str, int] | None, held: str | None, action: str | None,
                default: str) -> tuple[str, str | None]:
        """(the contact's status after this row, the consent action to record, if any), by the
        signup rule (`services.opt_in_allowed`): an opt-out always holds; an opt-in from a file
        never restores a consent the person withdrew, whichever group's record they withdrew it on."""
        current = on_file[0] if on_file else held
        if action is None:
            return current or default, None
        if action == "opt_out":
            return (BOUNCING if current == BOUNCING else UNSUBSCRIBED), action
        if not opt_in_allowed(source=self.source, status=current):
            self.result.consent_kept_withdrawn += 1
            return current or default, None
        return (BOUNCING if current == BOUNCING else SUBSCRIBED), action

    def _opt_outs_everywhere(self, opted_out: dict[str, set[str]], source_detail: str,
                             actor_id: int | None) -> list[tuple[Any, ...]]:
        """An opt-out in the file holds for every record of the address, whichever group holds it
        (as `services.record_consent`): their statuses change, and each gets the ledger entry."""
        entries: list[tuple[Any, ...]] = []
        for channel, addresses in opted_out.items():
            if not addresses:
                continue
            model, column, status_column = contact_model(channel)
            rows = model.objects.filter(**{f"{column}__in": sorted(addresses)}).exclude(
                **{status_column: UNSUBSCRIBED}).exclude(**{status_column: BOUNCING})
            for person_id, address in rows.values_list("person", column):
                # Who imported which file stays on the importing group's record (see record_consent).
                entries.append((person_id, channel, address, "opt_out", str(ConsentEvent.Source.IMPORT),
                                "", ELSEWHERE, self.now, None))
            rows.update(**{status_column: UNSUBSCRIBED})
        return entries

    def _column(self, name: str) -> str:
        return self.column_names.get(name, name)

    def _insert_staged(self, staged: list[tuple[Any, ...]], source_detail: str, actor_id: int | None) -> None:
        """New people's emails, phones, memberships and consent, from one COPY of one row per person.

        PostgreSQL only: copying a person once into a temporary table and fanning it out
        with INSERT … SELECT costs the importing process a quarter of the rows to send.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS turnout_import_stage (person_id bigint, email text, "
                "email_status text, email_action text, phone text, phone_kind text, sms_status text, "
                "sms_action text, membership_status text, member_number text) ON COMMIT DELETE ROWS"
            )
            # Emptied at each commit; an import run inside a longer transaction (a second file in
            # it) must not fan out the rows an earlier chunk left there.
            cursor.execute("DELETE FROM turnout_import_stage")
            with cursor.cursor.copy("COPY turnout_import_stage FROM STDIN") as copy:
                for row in staged:
                    copy.write_row(row)
            values: dict[str, Any] = {"now": self.now, "group": self.group.pk, "source": str(ConsentEvent.Source.IMPORT),
                      "detail": source_detail, "actor": actor_id, "email_text": self._texts["subscriber"],
                      "sms_text": self.sms_consent_text or self._texts["sms_column"]}
            cursor.execute(
                "INSERT INTO people_emailaddress (person_id, address, is_primary, status, created_at) "
                "SELECT person_id, email, true, email_status, %(now)s FROM turnout_import_stage WHERE email IS NOT NULL",
                values)
            cursor.execute(
                "INSERT INTO people_phonenumber (person_id, number, kind, is_primary, sms_status, created_at) "
                "SELECT person_id, phone, phone_kind, true, sms_status, %(now)s FROM turnout_import_stage "
                "WHERE phone IS NOT NULL", values)
            cursor.execute(
                "INSERT INTO people_membership (person_id, group_id, status, member_number, created_at) "
                "SELECT person_id, %(group)s, membership_status, member_number, %(now)s FROM turnout_import_stage",
                values)
            cursor.execute(
                "INSERT INTO people_consentevent (person_id, channel, address, action, source, source_detail, "
                "consent_text, occurred_at, recorded_by_id) "
                "SELECT person_id, 'email', email, email_action, %(source)s, %(detail)s, %(email_text)s, %(now)s, "
                "%(actor)s::bigint FROM turnout_import_stage WHERE email IS NOT NULL AND email_action IS NOT NULL "
                "UNION ALL SELECT person_id, 'sms', phone, sms_action, %(source)s, %(detail)s, %(sms_text)s, "
                "%(now)s, %(actor)s::bigint FROM turnout_import_stage WHERE phone IS NOT NULL AND sms_action IS NOT NULL",
                values)

    def _new_person(self, row: Row, public_id: uuid.UUID) -> tuple[Any, ...]:
        """The PERSON_COLUMNS values for a new person, without building a model instance."""
        f = row.fields
        place = row.postal
        if place is not None:
            postal_code, lat, lon, zone = place.zip_code, place.latitude, place.longitude, place.time_zone
            locality, region = f.get("locality") or place.city, f.get("region") or place.state
        else:
            postal_code, lat, lon = f.get("postal_code", ""), None, None
            zone = (geo.time_zone_for_phone(row.phone) or "") if row.phone else ""
            locality, region = f.get("locality", ""), f.get("region", "")
        if row.coordinates is not None:
            lat, lon = row.coordinates
        return (public_id, self.now, self.now, f.get("given_name", ""), f.get("family_name", ""),
                f.get("preferred_name", ""), f.get("language", "en"), f.get("address_line1", ""),
                f.get("address_line2", ""), locality, region, postal_code, f.get("country", "US"), lat, lon, zone,
                row.custom)

    def _place(self, person: Person, row: Row) -> None:
        if row.postal is not None:
            person.postal_code = row.postal.zip_code
            person.latitude, person.longitude = row.postal.latitude, row.postal.longitude
            person.time_zone = row.postal.time_zone
            person.locality = person.locality or row.postal.city
            person.region = person.region or row.postal.state
        elif row.phone and not person.time_zone:
            person.time_zone = geo.time_zone_for_phone(row.phone) or ""

    def _update_person(self, person: Person, row: Row) -> set[str]:
        """Fill in what the row says; an empty cell never blanks out what is known."""
        sent = {name: value for name, value in row.fields.items()
                if not (name == "country" and value == "US" and "country" not in self.column_names)}
        # Staff import for their group: what the file says is written (the signup rule's `overwrite`).
        changed = set(changes_for({name: getattr(person, name) for name in sent}, sent, overwrite=True))
        for name in changed:
            setattr(person, name, sent[name])
        if row.postal is not None and person.postal_code != row.postal.zip_code:
            self._place(person, row)
            changed |= {"postal_code", "latitude", "longitude", "time_zone", "locality", "region"}
        if row.coordinates is not None and (person.latitude, person.longitude) != row.coordinates:
            person.latitude, person.longitude = row.coordinates
            changed |= {"latitude", "longitude"}
        elif row.coordinates is None and "address_line1" in changed:
            # A new address without its point: the old point no longer says where they live.
            place = geo.lookup_zip(person.postal_code) if person.postal_code else None
            point = (place.latitude, place.longitude) if place else (None, None)
            if (person.latitude, person.longitude) != point:
                person.latitude, person.longitude = point
                changed |= {"latitude", "longitude"}
        if row.custom and any(person.custom_fields.get(k) != v for k, v in row.custom.items()):
            # What an earlier door kept that Turnout no longer keeps goes when the fields are written.
            person.custom_fields = without_dangerous({**person.custom_fields, **row.custom})
            changed.add("custom_fields")
        if changed:
            person.updated_at = self.now
        return changed


def write_error_report(source: Path, problems: list[RowError], report: Path, *, leave_out: Collection[int] = (),
                       encoding: str = "") -> int:
    """Write the rows of `source` that had problems, as they came (the same header, the same
    values), after a first column saying what was wrong: fixed, the report imports again as it is
    (the importer never reads that column). Columns at `leave_out` (those Turnout refused) are not
    written. Returns how many rows were written. The report is a member list like the upload: an
    owner-only file, deleted with it (people.retention, people.erasure)."""
    said: dict[int, list[str]] = {}
    for problem in problems:
        said.setdefault(problem.row, []).append(problem.describe())
    last = max(said, default=0)
    written = 0
    csv.field_size_limit(CSV_FIELD_LIMIT)
    with source.open("rb") as raw, os.fdopen(files.create_private(report), "w", newline="", encoding="utf-8") as out:
        reader = csv.reader(io.TextIOWrapper(raw, encoding=encoding or detect_encoding(source), newline=""))
        writer = csv_writer(out)
        try:
            headers = next(reader)
        except (StopIteration, csv.Error):
            headers = []

        def kept(values: list[str]) -> list[str]:
            return [value for index, value in enumerate(values) if index not in leave_out]

        writer.writerow([REPORT_COLUMN, *kept(headers)])
        # Numbered as RowReader numbers them: the header is row 1, as in a spreadsheet.
        number = 1
        while number < last:
            try:
                values = next(reader)
            except (StopIteration, csv.Error):  # the import stopped there too, and said so
                break
            number += 1
            if number in said:
                writer.writerow(["; ".join(said[number]), *kept(values)])
                written += 1
    return written
