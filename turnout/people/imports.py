"""Import jobs: an upload becomes a queued job, a worker runs it, the page follows its progress."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from turnout.accounts.models import Group, User
from turnout.core import audit, files
from turnout.core.models import AuditEntry
from turnout.people.importer import Importer, ImportFileError, ImportResult, write_error_report
from turnout.people.models import ImportJob

ERROR_SAMPLE_SIZE = 200


def import_dir() -> Path:
    return files.private_folder(settings.IMPORT_DIR)  # member lists: owner-only


def start_import(*, actor: User | None, group: Group, upload: IO[bytes], original_name: str,
                 membership: str, tag: str = "", sms_consent_text: str = "",
                 request: HttpRequest | None = None) -> ImportJob:
    """Save an uploaded CSV and queue it; the worker imports it after commit."""
    from turnout.people.tasks import run_import

    job = ImportJob(group=group, tag_name=tag.strip(), sms_consent_text=sms_consent_text.strip(), membership=membership,
                    created_by=actor, original_name=original_name[:255])
    destination = import_dir() / f"{job.public_id}.csv"
    with os.fdopen(files.create_private(destination, exclusive=True), "wb") as out:
        shutil.copyfileobj(upload, out, 1 << 20)
    job.file_path = str(destination)
    job.size_bytes = destination.stat().st_size
    with transaction.atomic():
        job.save()
        audit.record(actor=actor, action=AuditEntry.Action.IMPORT, target=job,
                     summary=f"Uploaded {job.original_name} into {group.name}", request=request, group=group)
        transaction.on_commit(lambda: run_import.enqueue(job_id=job.pk))
    return job


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run a queued import to the end, recording progress and a per-row error report."""
    job = ImportJob.objects.select_related("group", "created_by").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed_bytes=0,
        rows_seen=0, rows_created=0, rows_updated=0, rows_failed=0, consent_kept_withdrawn=0, message="",
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
        job.status, job.message = ImportJob.Status.FAILED, str(exc)
        result = importer.result
    else:
        job.status = ImportJob.Status.FAILED if result.fatal and not (result.created or result.updated) else ImportJob.Status.DONE
        job.message = result.fatal
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
