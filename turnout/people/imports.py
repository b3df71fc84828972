"""Import jobs: an upload becomes a queued job, a worker runs it, the page follows its progress.

The columns Turnout does not keep (core.dangerous) are left out as the upload is written: the
upload page's handler (`CleanUploadHandler`) filters the file as it arrives, so they reach no
disk, not even Django's temporary file for a large upload; any other file is filtered as it is
copied in. The kept file, its error report and the people hold nothing of them.
"""

from __future__ import annotations

import io
import os
import queue
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from turnout.accounts.models import Group, User
from turnout.core import audit, files
from turnout.core.models import AuditEntry
from turnout.people.importer import (
    CleanCopy,
    Importer,
    ImportFileError,
    ImportResult,
    copy_without_refused,
    write_error_report,
)
from turnout.people.models import ImportJob

ERROR_SAMPLE_SIZE = 200
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
                 membership: str, tag: str = "", sms_consent_text: str = "",
                 request: HttpRequest | None = None) -> ImportJob:
    """Save an uploaded CSV, without the columns Turnout does not keep, and queue it; the worker
    imports it after commit."""
    from turnout.people.tasks import run_import

    job = ImportJob(group=group, tag_name=tag.strip(), sms_consent_text=sms_consent_text.strip(), membership=membership,
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
        transaction.on_commit(lambda: run_import.enqueue(job_id=job.pk))
    return job


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run a queued import to the end, recording progress and a per-row error report."""
    job = ImportJob.objects.select_related("group", "created_by").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job
    # Why the upload's copy ended early, if it did (start_import): said whatever the import says.
    upload_note = job.message
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed_bytes=0,
        rows_seen=0, rows_created=0, rows_updated=0, rows_failed=0, consent_kept_withdrawn=0,
    )

    def progress(result: ImportResult, position: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            processed_bytes=position, rows_seen=result.rows_seen, rows_created=result.created,
            rows_updated=result.updated, rows_failed=result.failed,
            consent_kept_withdrawn=result.consent_kept_withdrawn,
        )

    importer = Importer(group=job.group, actor=job.created_by, tag=job.tag_name, membership=job.membership,
                        sms_consent_text=job.sms_consent_text, source_name=job.original_name, progress=progress)
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
    job.rows_failed = result.failed
    job.consent_kept_withdrawn = result.consent_kept_withdrawn
    job.processed_bytes = job.size_bytes
    job.error_sample = [[e.row, e.column, e.reason] for e in result.errors[:ERROR_SAMPLE_SIZE]]
    if result.errors:
        report = Path(job.file_path).with_suffix(".errors.csv")
        write_error_report(result.errors, report)
        job.error_report_path = str(report)
    job.finished_at = timezone.now()
    job.save()
    return job
