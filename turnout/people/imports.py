"""Import jobs: an upload becomes a queued job, a worker runs it, the page follows its progress.

The columns Turnout does not keep (core.dangerous) are left out as the upload is written: the
upload page's handler (`CleanUploadHandler`) filters the file as it arrives, so they reach no
disk, not even Django's temporary file for a large upload; any other file is filtered as it is
copied in. The kept file, its error report and the people hold nothing of them.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, User
from turnout.core import audit, files
from turnout.core.exports import as_typed
from turnout.core.models import AuditEntry
from turnout.people.importer import (
    CSV_FIELD_LIMIT,
    CUSTOM,
    HEADER_ALIASES,
    SKIP,
    CleanCopy,
    Importer,
    ImportFileError,
    ImportResult,
    copy_without_refused,
    detected_columns,
    write_error_report,
)
from turnout.people.models import ImportJob

ERROR_SAMPLE_SIZE = 200
# The preview reads this many rows, and decides the encoding from this many bytes, whatever the size.
PREVIEW_ROWS = 5
PREVIEW_BYTES = 64 * 1024
PREVIEW_VALUE_LENGTH = 60
# Chunks of an upload waiting to be filtered (64 KB each): the upload waits when the disk does.
PENDING_CHUNKS = 32
# An upload that sends nothing for this long is taken as abandoned.
UPLOAD_IDLE_SECONDS = 300


def import_dir() -> Path:
    return files.private_folder(settings.IMPORT_DIR)  # member lists: owner-only


class CleanUpload(UploadedFile):
    """An upload as `CleanUploadHandler` wrote it: without the refused columns, in a temporary
    file of the import folder that goes when the request ends, unless `start_import` took it."""

    def __init__(self, file: Any, *, name: str, content_type: str, size: int, charset: str | None,
                 content_type_extra: dict[str, bytes] | None, copy: CleanCopy) -> None:
        super().__init__(file, name, content_type, size, charset, content_type_extra)
        self.copy = copy

    def temporary_file_path(self) -> str:
        # Once start_import moved the file, closing it finds nothing to remove, and says nothing.
        return str(getattr(self.file, "name", ""))


class _Arriving(io.RawIOBase):
    """An upload's bytes as the request delivers them, read by the thread that filters them."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=PENDING_CHUNKS)
        self.pending = memoryview(b"")
        self.ended = False

    def readable(self) -> bool:
        return True

    def _next(self) -> None:
        """Wait for the next chunk; None from the request is the end of the file."""
        try:
            chunk = self.chunks.get(timeout=UPLOAD_IDLE_SECONDS)
        except queue.Empty:
            self.ended = True
            raise TimeoutError("The upload stopped arriving.") from None
        if chunk is None:
            self.ended = True
        else:
            self.pending = memoryview(chunk)

    def readinto(self, buffer: Any) -> int:
        while not self.pending and not self.ended:
            self._next()
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

    def drain(self) -> None:
        """Take what is still to come without keeping it, so the request never waits on a reader
        that stopped (at an unreadable row, or on an error)."""
        self.pending = memoryview(b"")
        while not self.ended:
            try:
                self._next()
            except TimeoutError:
                return
            self.pending = memoryview(b"")


class CleanUploadHandler(FileUploadHandler):
    """Writes an uploaded CSV into the import folder as it arrives, leaving out the columns
    Turnout does not keep: they are never written anywhere, not even to the temporary file
    Django would keep a large upload in. A second thread filters while the request reads."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.arriving = _Arriving()
        self.file = tempfile.NamedTemporaryFile(dir=import_dir(), prefix="upload-", suffix=".part")  # noqa: SIM115
        self.copy: CleanCopy | None = None
        self.failure: BaseException | None = None
        self.worker = threading.Thread(target=self._filter, name="clean-upload", daemon=True)
        self.worker.start()

    def _filter(self) -> None:
        try:
            self.copy = copy_without_refused(io.BufferedReader(self.arriving), self.file)
        except BaseException as exc:  # raised again in the request's thread (file_complete)
            self.failure = exc
        finally:
            self.arriving.drain()

    def _hand_over(self, chunk: bytes | None) -> None:
        """Give the filtering thread a chunk (None: the end), unless it has stopped waiting."""
        while self.worker.is_alive():
            try:
                self.arriving.chunks.put(chunk, timeout=1)
                return
            except queue.Full:
                continue

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._hand_over(raw_data)

    def file_complete(self, file_size: int) -> CleanUpload:
        self._hand_over(None)
        self.worker.join()
        if self.failure is not None or self.copy is None:
            self.file.close()
            if isinstance(self.failure, TimeoutError):
                raise StopUpload()  # the form then says no file came, as for any broken upload
            raise self.failure or RuntimeError("The upload was not filtered.")
        self.file.flush()
        self.file.seek(0)
        return CleanUpload(self.file, name=self.file_name or "", content_type=self.content_type or "",
                           size=file_size, charset=self.charset, content_type_extra=self.content_type_extra,
                           copy=self.copy)

    def upload_interrupted(self) -> None:
        if getattr(self, "worker", None) is not None:
            self._hand_over(None)
            self.worker.join()
            self.file.close()


def start_import(*, actor: User | None, group: Group, upload: IO[bytes], original_name: str,
                 membership: str, tag: str = "", sms_consent_text: str = "", preview: bool = False,
                 request: HttpRequest | None = None) -> ImportJob:
    """Save an uploaded CSV, without the columns Turnout does not keep, and queue it; the worker
    imports it after commit. With `preview`, nothing is queued: staff check how its columns will be
    read (`preview_columns`) and start it with `choose_columns`."""
    from turnout.people.tasks import run_import

    job = ImportJob(status=ImportJob.Status.PREVIEW if preview else ImportJob.Status.QUEUED, group=group,
                    tag_name=tag.strip(), sms_consent_text=sms_consent_text.strip(), membership=membership,
                    created_by=actor, original_name=original_name[:255])
    destination = import_dir() / f"{job.public_id}.csv"
    if isinstance(upload, CleanUpload):
        os.replace(upload.temporary_file_path(), destination)
        copy = upload.copy
    else:
        try:
            with os.fdopen(files.create_private(destination, exclusive=True), "wb") as out:
                copy = copy_without_refused(upload, out)
        except BaseException:
            destination.unlink(missing_ok=True)
            raise
    job.refused_columns = [{"name": r.name, "kind": r.kind} for r in copy.refused]
    job.message = copy.stopped
    job.file_path = str(destination)
    job.size_bytes = destination.stat().st_size
    with transaction.atomic():
        job.save()
        refused = "".join(f"; left out the column “{r.name}” ({r.kind})" for r in copy.refused)
        audit.record(actor=actor, action=AuditEntry.Action.IMPORT, target=job,
                     summary=f"Uploaded {job.original_name} into {group.name}{refused}", request=request, group=group)
        if not preview:
            transaction.on_commit(lambda: run_import.enqueue(job_id=job.pk))
    return job


@dataclass
class ColumnPreview:
    """One column of an upload as the preview shows it."""

    index: int
    header: str
    detected: str  # importer.SKIP, a field's name, or importer.CUSTOM + a name
    samples: list[str]


def _peek_encoding(head: bytes) -> str:
    """`importer.detect_encoding` on the first bytes only (a character cut at the end is no error)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def preview_columns(job: ImportJob) -> list[ColumnPreview]:
    """Each column of the kept file with how it would be read and its first values: the header and
    the first rows only, so a file of a million rows is previewed as fast as one of ten."""
    path = Path(job.file_path)
    if not job.file_path or not path.is_file():
        return []
    csv.field_size_limit(CSV_FIELD_LIMIT)
    headers: list[str] = []
    rows: list[list[str]] = []
    with path.open("rb") as raw:
        encoding = _peek_encoding(raw.read(PREVIEW_BYTES))
        raw.seek(0)
        reader = csv.reader(io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=""))
        try:
            headers = next(reader, [])
            for values in reader:
                if any(value.strip() for value in values):
                    rows.append(values)
                if len(rows) >= PREVIEW_ROWS:
                    break
        except csv.Error:  # shown as far as it reads; the import names the row it stops at
            pass
    detected = detected_columns(headers)
    chosen = job.columns if len(job.columns) == len(headers) else detected
    return [ColumnPreview(index, header.strip(), chosen[index],
                          [as_typed(row[index]).strip()[:PREVIEW_VALUE_LENGTH] for row in rows
                           if index < len(row) and row[index].strip()])
            for index, header in enumerate(headers)]


def choose_columns(*, actor: User | None, job: ImportJob, columns: list[str],
                   request: HttpRequest | None = None) -> ImportJob:
    """Start an upload waiting in its preview, reading each column as chosen (SKIP, a field's name
    or CUSTOM + a name; one entry per column of the kept file). A custom field whose name says it
    holds what Turnout does not keep is still refused (importer.chosen_columns)."""
    from turnout.people.tasks import run_import

    for reading in columns:
        if reading != SKIP and reading not in HEADER_ALIASES and not reading.startswith(CUSTOM):
            raise ValueError(f"Not a way to read a column: {reading!r}")
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.PREVIEW or job.files_removed_at is not None:
            return job
        job.columns = list(columns)
        job.status = ImportJob.Status.QUEUED
        job.save(update_fields=["columns", "status", "updated_at"])
        read = ", ".join(reading.removeprefix(CUSTOM) or "-" for reading in columns)
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=job, group=job.group, request=request,
                     summary=f"Started {job.original_name}, its columns read as: {read}"[:300],
                     detail={"columns": job.columns})
        transaction.on_commit(lambda: run_import.enqueue(job_id=job.pk))
    return job


def discard_import(*, actor: User | None, job: ImportJob, request: HttpRequest | None = None) -> ImportJob:
    """Delete an upload waiting in its preview, with nothing imported; the job says so."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.PREVIEW:
            return job
        path = Path(job.file_path) if job.file_path else None
        job.status, job.message = ImportJob.Status.FAILED, _("Cancelled before anything was imported; the file was deleted.")
        job.files_removed_at = job.finished_at = timezone.now()
        job.file_path = ""
        job.save(update_fields=["status", "message", "files_removed_at", "finished_at", "file_path", "updated_at"])
        audit.record(actor=actor, action=AuditEntry.Action.DELETE, target=job, group=job.group, request=request,
                     summary=f"Cancelled {job.original_name} before importing it")
        if path is not None:
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return job


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run a queued import to the end, recording progress and a per-row error report."""
    job = ImportJob.objects.select_related("group", "created_by").filter(pk=job_id).first()
    if job is None or job.is_finished or job.status == ImportJob.Status.PREVIEW:
        return job
    # Why the upload's copy ended early, if it did (start_import): said whatever the import says.
    upload_note = job.message
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed_bytes=0,
        rows_seen=0, rows_created=0, rows_updated=0, rows_failed=0, rows_warned=0, consent_kept_withdrawn=0,
    )

    def progress(result: ImportResult, position: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            processed_bytes=position, rows_seen=result.rows_seen, rows_created=result.created,
            rows_updated=result.updated, rows_failed=result.failed, rows_warned=len(result.warnings),
            consent_kept_withdrawn=result.consent_kept_withdrawn,
        )

    importer = Importer(group=job.group, actor=job.created_by, tag=job.tag_name, membership=job.membership,
                        sms_consent_text=job.sms_consent_text, source_name=job.original_name, progress=progress,
                        columns=job.columns or None)
    try:
        result = importer.run(Path(job.file_path))
    except ImportFileError as exc:
        job.status, job.message = ImportJob.Status.FAILED, upload_note or str(exc)
        result = importer.result
    else:
        job.status = ImportJob.Status.FAILED if result.fatal and not (result.created or result.updated) else ImportJob.Status.DONE
        job.message = result.fatal or upload_note
    # A file put in the folder by other means than start_import is still read without them.
    known = {entry["name"] for entry in job.refused_columns}
    job.refused_columns += [{"name": r.name, "kind": r.kind} for r in result.refused if r.name not in known]
    job.rows_seen, job.rows_created, job.rows_updated = result.rows_seen, result.created, result.updated
    job.rows_failed, job.rows_warned = result.failed, len(result.warnings)
    job.consent_kept_withdrawn = result.consent_kept_withdrawn
    job.processed_bytes = job.size_bytes
    problems = result.problems
    job.error_sample = [[p.row, p.column, p.reason, p.kept] for p in problems[:ERROR_SAMPLE_SIZE]]
    if problems:
        report = Path(job.file_path).with_suffix(".errors.csv")
        write_error_report(Path(job.file_path), problems, report, leave_out=result.refused_at,
                           encoding=result.encoding)
        job.error_report_path = str(report)
    job.finished_at = timezone.now()
    job.save()
    return job
