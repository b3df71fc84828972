"""Import files are member lists: each upload and its report of rejected rows is deleted some days
after the import finished. The job stays, with its counts, and says its files are gone.
`turnout.site.retention` runs this on the operator's schedule."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from turnout.people.models import ImportJob

FINISHED = [ImportJob.Status.DONE, ImportJob.Status.FAILED]


def remove_import_files(*, finished_before: datetime, dry_run: bool = False) -> int:
    """Delete the files of imports finished before `finished_before`, and files in the import
    folder older than that which no import holds (a group's imports deleted with it); how many
    files (with `dry_run`, how many would be)."""
    removed = 0
    # An upload left in its preview, never started, goes as if it had finished when it was uploaded.
    for job in ImportJob.objects.filter(status=ImportJob.Status.PREVIEW, created_at__lt=finished_before):
        if dry_run:
            removed += Path(job.file_path).exists() if job.file_path else 0
        elif ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
                status=ImportJob.Status.FAILED, finished_at=timezone.now(), files_removed_at=timezone.now(),
                message=gettext("Never started; the file was deleted, as the retention settings ask.")):
            removed += _delete(Path(job.file_path)) if job.file_path else 0
    jobs = ImportJob.objects.filter(status__in=FINISHED, finished_at__lt=finished_before, files_removed_at__isnull=True)
    for job in jobs.only("pk", "file_path", "error_report_path"):
        paths = [Path(path) for path in (job.file_path, job.error_report_path) if path]
        if dry_run:
            removed += sum(path.exists() for path in paths)
            continue
        # Marked first, and only by one run (two workers may prune at once): the page never offers
        # a file that is being deleted; a file left behind by a crash is a stray the next run removes.
        # The sample of rejected rows quotes what the file said, so it goes with the file.
        if ImportJob.objects.filter(pk=job.pk, files_removed_at__isnull=True).update(
                files_removed_at=timezone.now(), error_sample=[]):
            removed += sum(_delete(path) for path in paths)
    return removed + _remove_strays(finished_before, dry_run=dry_run)


def _remove_strays(before: datetime, *, dry_run: bool) -> int:
    """Files of imports in the import folder, last written before `before`, whose import is gone or
    has had its files removed."""
    folder = Path(settings.IMPORT_DIR)
    if not folder.is_dir():
        return 0
    # Only files named as an import's: anything else someone put there is left alone.
    old = {path: job_id for path in folder.iterdir()
           if (job_id := _job_id(path)) and path.is_file() and path.stat().st_mtime < before.timestamp()}
    held = {str(public_id) for public_id in ImportJob.objects.filter(
        public_id__in=set(old.values()), files_removed_at__isnull=True).values_list("public_id", flat=True)}
    strays = [path for path, job_id in old.items() if job_id not in held]
    return len(strays) if dry_run else sum(_delete(path) for path in strays)


def _job_id(path: Path) -> str | None:
    """The import a file in the import folder belongs to: "<public id>.csv", "<public id>.errors.csv"."""
    try:
        return str(uuid.UUID(path.name.split(".", 1)[0]))
    except ValueError:
        return None


def _delete(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return 1
