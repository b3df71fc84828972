"""Settled RSVP forms (their contents already dropped) are kept a few days for the person's link
to keep answering, then removed. `turnout.site.retention` runs this on the operator's schedule."""

from __future__ import annotations

from datetime import datetime

from turnout.core.retention import BATCH, delete_in_batches
from turnout.events.models import RsvpIntake


def prune_settled_forms(*, before: datetime, batch: int = BATCH, dry_run: bool = False) -> int:
    """Remove RSVP forms settled (the person's RSVP, if any, has its own record) and received before
    `before`; a form still waiting stays, and so does one that failed (it holds what the person
    typed, which staff have yet to act on). How many."""
    return delete_in_batches(RsvpIntake.objects.exclude(outcome__in=[RsvpIntake.Outcome.PENDING,
                                                                     RsvpIntake.Outcome.FAILED])
                             .filter(received_at__lt=before), batch=batch, dry_run=dry_run)
