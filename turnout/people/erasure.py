"""Erasure beyond the record's own rows: tags only they held, kept import files and error samples
that list them, mail the development mail folder kept for them, and the database's own free space.

`people.services.erase_person` calls `forget` before deleting the record, and queues `scrub`
for after the commit: on SQLite every connection runs with `secure_delete` (deleted rows are
overwritten with zeros) and `scrub` checkpoints the write-ahead log into the database and
truncates it; on PostgreSQL it vacuums, which removes the dead rows from tables and indexes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import connection, router
from django.db.models import Model
from django.db.models.deletion import Collector
from django.utils import timezone

from turnout.people.models import ImportJob, Person, Tagging

log = logging.getLogger(__name__)


class Traces:
    """How a person's email addresses and numbers may appear in a file someone typed or exported."""

    def __init__(self, person: Person) -> None:
        self.emails = [e.lower().encode() for e in person.emails.values_list("address", flat=True)]
        # The national number's last ten digits, however it was punctuated.
        self.numbers = [re.sub(r"\D", "", n)[-10:].encode() for n in person.phones.values_list("number", flat=True)]

    def __bool__(self) -> bool:
        return bool(self.emails or self.numbers)

    def in_line(self, line: bytes) -> bool:
        lower = line.lower()
        if any(email in lower for email in self.emails):
            return True
        if self.numbers:
            digits = re.sub(rb"\D", b"", line)
            return any(number in digits for number in self.numbers)
        return False

    def in_file(self, path: Path) -> bool:
        try:
            with path.open("rb") as handle:
                return any(self.in_line(line) for line in handle)
        except OSError:
            return False


def tags_only_they_hold(person: Person) -> list[int]:
    """Tags whose only holder is this person: deleted with them, since a tag's name alone
    ("fired-for-organizing") can say who it was about."""
    ids = list(person.taggings.values_list("tag_id", flat=True))
    shared = set(Tagging.objects.filter(tag_id__in=ids).exclude(person=person).values_list("tag_id", flat=True))
    return [pk for pk in ids if pk not in shared]


def forget_import_files(traces: Traces) -> int:
    """Delete every kept upload and error report that lists them, and clear any error sample that
    does; the job keeps its counts. Returns how many jobs lost their files."""
    touched = 0
    for job in ImportJob.objects.exclude(file_path="", error_report_path="").exclude(status=ImportJob.Status.RUNNING):
        paths = [Path(p) for p in (job.file_path, job.error_report_path) if p]
        if not any(traces.in_file(path) for path in paths):
            continue
        for path in paths:
            path.unlink(missing_ok=True)
        job.file_path = job.error_report_path = ""
        job.error_sample = []
        job.files_removed_at = timezone.now()
        job.save(update_fields=["file_path", "error_report_path", "error_sample", "files_removed_at"])
        touched += 1
    for job in ImportJob.objects.exclude(error_sample=[]):
        if any(traces.in_line(str(row).encode()) for row in job.error_sample):
            job.error_sample = []
            job.save(update_fields=["error_sample"])
    return touched


def forget_mail(traces: Traces) -> None:
    """The file mail backend (development and the demo, when no provider is set) keeps every
    message sent in var/mail: those addressed to or naming them go."""
    mailer = getattr(settings, "MAILERS", {}).get("default", {})
    if not mailer.get("BACKEND", "").endswith("filebased.EmailBackend"):
        return
    folder = Path(mailer.get("OPTIONS", {}).get("file_path", ""))
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and traces.in_file(path):
                path.unlink(missing_ok=True)


def forget(person: Person) -> list[int]:
    """What erase_person does besides deleting the record; returns the tags to delete after it."""
    traces = Traces(person)
    if traces:
        forget_import_files(traces)
        forget_mail(traces)
    return tags_only_they_hold(person)


def cascade_of(person: Person) -> set[type[Model]]:
    """Every model deleting the person deletes rows of (what Django's cascade will reach)."""
    collector = Collector(using=router.db_for_write(Person), origin=person)
    collector.collect([person])
    return {*collector.data, *(qs.model for qs in collector.fast_deletes)}


def scrub(tables: Iterable[str] = ()) -> None:
    """After an erasure commits: leave no copy of deleted rows in the database's files.

    SQLite zeroes deleted rows as it deletes them (secure_delete); here its write-ahead log is
    checkpointed into the file and truncated. PostgreSQL leaves a deleted row's bytes in its pages
    until they are rewritten: each table the erasure touched is rewritten with its indexes
    (VACUUM FULL: new files, a brief exclusive lock) when it is at most
    TURNOUT_SCRUB_REWRITE_MAX_MB; a larger one is vacuumed and its indexes rebuilt without
    blocking writes (REINDEX CONCURRENTLY), and docs/privacy.md says what that leaves."""
    if connection.in_atomic_block:
        return  # nothing is committed yet (a test's transaction): the worker's next run does it
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log, _done = cursor.fetchone()
            if busy:
                log.warning("The SQLite write-ahead log could not be truncated: a reader was busy; it is "
                            "retried at the next erasure and checkpointed by SQLite as it fills")
    elif connection.vendor == "postgresql":
        limit = settings.SCRUB_REWRITE_MAX_MB * 1024 * 1024
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute("SELECT pg_total_relation_size(to_regclass(%s))", [table])
                size = cursor.fetchone()[0]
                if size is None:
                    continue  # no such table (an app's migrations not applied)
                name = connection.ops.quote_name(table)
                if size <= limit:
                    cursor.execute(f"VACUUM FULL {name}")
                else:
                    cursor.execute(f"VACUUM {name}")
                    cursor.execute(f"REINDEX TABLE CONCURRENTLY {name}")
                    log.warning("Erasure: %s is larger than TURNOUT_SCRUB_REWRITE_MAX_MB, so it was vacuumed "
                                "and reindexed, not rewritten; run VACUUM FULL on it in a quiet hour", table)
