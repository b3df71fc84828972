"""Background work for people: CSV imports."""

from __future__ import annotations

from django.tasks import task

from turnout.people import imports


@task()
def run_import(*, job_id: int) -> None:
    """Import one uploaded CSV file; a finished job is left alone, a crashed one starts over."""
    imports.run_import_job(job_id=job_id)


@task()
def scrub_after_erasure(*, tables: list[str] | None = None, erased_at: str = "", attempt: int = 0) -> None:
    """Leave no copy of an erased person's rows in the database files (people.erasure.scrub); while
    transactions older than the erasure hold rows back, try again a minute later, for an hour."""
    import logging
    from datetime import datetime, timedelta

    from django.utils import timezone

    from turnout.people import erasure

    since = datetime.fromisoformat(erased_at) if erased_at else None
    if erasure.scrub(tables or [], since=since):
        return
    if attempt < 60:
        scrub_after_erasure.using(run_after=timezone.now() + timedelta(minutes=1)).enqueue(
            tables=tables, erased_at=erased_at, attempt=attempt + 1)
        return
    logging.getLogger(__name__).error(
        "An erasure's scrub waited an hour for older transactions to end; rewriting now, and rows they "
        "still see may stay in %s until the next erasure or VACUUM FULL", ", ".join(tables or []))
    erasure.scrub(tables or [])
