"""Login records (who logged in or failed to, from which address and browser) are kept some days,
then removed. Turnout's own audit log keeps logins and failed logins on its own terms.
`turnout.site.retention` runs this on the operator's schedule."""

from __future__ import annotations

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone

from turnout.core.retention import BATCH, delete_in_batches


def prune_login_records(*, before: datetime, batch: int = BATCH, dry_run: bool = False) -> int:
    """Remove django-axes' records of logins and failed logins made before `before`; a failed login
    that still counts toward a lockout stays. How many."""
    # AXES_COOLOFF_TIME is in hours: a lockout lasts that long after the last failed attempt.
    lockout = timezone.now() - timedelta(hours=float(settings.AXES_COOLOFF_TIME or 0))
    return (delete_in_batches(AccessLog.objects.filter(attempt_time__lt=before), batch=batch, dry_run=dry_run)
            + delete_in_batches(AccessFailureLog.objects.filter(attempt_time__lt=before), batch=batch, dry_run=dry_run)
            + delete_in_batches(AccessAttempt.objects.filter(attempt_time__lt=min(before, lockout)), batch=batch,
                                dry_run=dry_run))
