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
import time
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import OperationalError, connection, router, transaction
from django.db.models import Model
from django.db.models.deletion import Collector
from django.utils import timezone

from turnout.people.models import ImportJob, Person, Tagging

log = logging.getLogger(__name__)


def national_digits(value: str) -> str:
    """A number's last ten digits, however it was written ("+1 (206) 555-0123" is "2065550123")."""
    return re.sub(r"\D", "", value)[-10:]


class Traces:
    """How a person's email addresses and numbers may appear in what someone typed or exported."""

    def __init__(self, person: Person) -> None:
        self.addresses = [e.lower() for e in person.emails.values_list("address", flat=True)]
        self.national = [national_digits(n) for n in person.phones.values_list("number", flat=True)]
        # An address alone, not inside a longer one ("jo@x.org" is not in "bjo@x.org").
        self.emails = [re.compile(rb"(?<![\w.+-])" + re.escape(e.encode()) + rb"(?![\w.-])") for e in self.addresses]
        self.numbers = [n.encode() for n in self.national]

    def __bool__(self) -> bool:
        return bool(self.emails or self.numbers)

    def in_line(self, line: bytes) -> bool:
        lower = line.lower()
        if any(email.search(lower) for email in self.emails):
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


def forget_import_files(traces: Traces, person: Person) -> int:
    """Delete every kept upload and error report of the person's groups that lists them, and clear
    any error sample that does; the job keeps its counts. Another group's files are its own (the
    same address there is another record). Returns how many jobs lost their files."""
    touched = 0
    jobs = ImportJob.objects.filter(group__in=person.memberships.values("group"))
    # An upload waiting in its preview goes too: started later, it would bring them back.
    finished = jobs.filter(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.PREVIEW])
    for job in finished.exclude(file_path="", error_report_path=""):
        paths = [Path(p) for p in (job.file_path, job.error_report_path) if p]
        if not any(traces.in_file(path) for path in paths):
            continue
        # The files go once the erasure commits: a rollback keeps them with the rows.
        for path in paths:
            transaction.on_commit(partial(path.unlink, missing_ok=True))
        if job.status == ImportJob.Status.PREVIEW:
            job.status, job.finished_at = ImportJob.Status.FAILED, timezone.now()
        job.file_path = job.error_report_path = ""
        job.error_sample = []
        job.files_removed_at = timezone.now()
        job.save(update_fields=["file_path", "error_report_path", "error_sample", "files_removed_at", "status",
                                "finished_at"])
        touched += 1
    for job in jobs.exclude(error_sample=[]):
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
                transaction.on_commit(partial(path.unlink, missing_ok=True))


def forget(person: Person) -> list[int]:
    """What erase_person does besides deleting the record; returns the tags to delete after it."""
    traces = Traces(person)
    if traces:
        forget_import_files(traces, person)
        forget_mail(traces)
    return tags_only_they_hold(person)


def cascade_of(person: Person) -> set[type[Model]]:
    """Every model deleting the person deletes rows of (what Django's cascade will reach), leaving
    out those it deletes none of, so the scrub rewrites only tables that lost rows."""
    collector = Collector(using=router.db_for_write(Person), origin=person)
    collector.collect([person])
    return ({model for model, instances in collector.data.items() if instances}
            | {qs.model for qs in collector.fast_deletes if qs.exists()})


def transactions_older_than(moment: datetime) -> int:
    """How many PostgreSQL transactions, in any database of the server, began before `moment` and
    still hold a transaction id or a snapshot: until they end, VACUUM keeps the rows they might see."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND xact_start < %s "
                       "AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)", [moment])
        return int(cursor.fetchone()[0])


def scrub(tables: Iterable[str] = (), *, since: datetime | None = None, wait: float | None = None) -> bool:
    """After an erasure commits: leave no copy of deleted rows in the database's files.

    SQLite zeroes deleted rows as it deletes them (secure_delete); here its write-ahead log is
    checkpointed into the file and truncated. PostgreSQL leaves a deleted row's bytes in its pages
    until they are rewritten: each table the erasure touched is rewritten with its indexes
    (VACUUM FULL: new files, a brief exclusive lock) when it is at most
    TURNOUT_SCRUB_REWRITE_MAX_MB; a larger one is vacuumed and its indexes rebuilt without
    blocking writes (REINDEX CONCURRENTLY), and docs/privacy.md says what that leaves.

    A transaction that began before the erasure (`since`) and is still open keeps PostgreSQL from
    removing the rows it could see, even in another database: the scrub waits up to `wait` seconds
    (TURNOUT_SCRUB_WAIT_SECONDS) for such transactions to end, and answers False if they have
    not, for the caller to try again later."""
    if connection.in_atomic_block:
        return False  # nothing is committed yet (a test's transaction): the worker's next run does it
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log, _done = cursor.fetchone()
            if busy:
                log.warning("The SQLite write-ahead log could not be truncated: a reader was busy; it is "
                            "retried at the next erasure and checkpointed by SQLite as it fills")
        return True
    if connection.vendor == "postgresql":
        if since is not None:
            deadline = time.monotonic() + (settings.SCRUB_WAIT_SECONDS if wait is None else wait)
            while transactions_older_than(since):
                if time.monotonic() > deadline:
                    return False
                time.sleep(1)
        limit = settings.SCRUB_REWRITE_MAX_MB * 1024 * 1024
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute("SELECT pg_total_relation_size(to_regclass(%s))", [table])
                size = cursor.fetchone()[0]
                if size is None:
                    continue  # no such table (an app's migrations not applied)
                name = connection.ops.quote_name(table)
                if size <= limit:
                    # Never queue the site's queries behind a rewrite waiting for its lock: give up
                    # after a few seconds and try again later.
                    cursor.execute("SET lock_timeout = '5s'")
                    try:
                        cursor.execute(f"VACUUM FULL {name}")
                    except OperationalError:
                        return False
                    finally:
                        cursor.execute("SET lock_timeout = 0")
                else:
                    cursor.execute(f"VACUUM {name}")
                    cursor.execute(f"REINDEX TABLE CONCURRENTLY {name}")
                    log.warning("Erasure: %s is larger than TURNOUT_SCRUB_REWRITE_MAX_MB, so it was vacuumed "
                                "and reindexed, not rewritten; run VACUUM FULL on it in a quiet hour", table)
    return True
