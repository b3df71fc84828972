"""Background work for people: CSV imports."""

from __future__ import annotations

from django.tasks import task

from turnout.people import imports


@task()
def run_import(*, job_id: int) -> None:
    """Import one uploaded CSV file; a finished job is left alone, a crashed one starts over."""
    imports.run_import_job(job_id=job_id)


@task()
def scrub_after_erasure(*, tables: list[str] | None = None) -> None:
    """Leave no copy of an erased person's rows in the database files (people.erasure.scrub)."""
    from turnout.people import erasure

    erasure.scrub(tables or [])
