"""Retention: every record kept only as long as it is needed, on periods the operator sets.

`turnout worker` runs `run()` at start and then hourly; `turnout prune` runs it by hand. Each app
removes its own records (its `retention` module) a batch to a transaction; this module reads the
periods (settings.KEEP_*_DAYS, 0 keeps for ever), calls them, and writes one audit entry for a run
that removed anything. docs/operations.md lists the periods and what each covers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from turnout.accounts.retention import prune_login_records
from turnout.actions.models import ActionIntake
from turnout.api.retention import prune_webhook_deliveries
from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.core.retention import BATCH, cutoff, delete_in_batches
from turnout.events.retention import prune_settled_forms
from turnout.messaging.retention import prune_deliveries, prune_inbound, prune_unreadable_webhooks
from turnout.mobilization.models import PledgeIntake
from turnout.people.intake import prune_settled
from turnout.people.retention import remove_import_files
from turnout.texting.retention import prune_finished

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """One kind of record the schedule removes: its name in counts, its period, how to remove it."""

    name: str
    label: str  # for people reading the command's output and the audit log
    setting: str  # the period's setting; "" when the record says itself when it ends
    remove: Callable[[datetime, int, bool], int]

    def days(self) -> int:
        return int(getattr(settings, self.setting)) if self.setting else 0

    def before(self, now: datetime) -> datetime | None:
        """Records from before this moment go; None keeps them all."""
        return cutoff(self.days(), now) if self.setting else now


def _inbound(handled: bool) -> Callable[[datetime, int, bool], int]:
    def remove(before: datetime, batch: int, dry_run: bool) -> int:
        kind = "handled" if handled else "unhandled"
        counts = prune_inbound(handled_before=before if handled else None,
                               unhandled_before=None if handled else before, batch=batch, dry_run=dry_run)
        return counts[kind]
    return remove


def _task_results(before: datetime, batch: int, dry_run: bool) -> int:
    # The database queue's finished rows (with Redis, RQ keeps results for a limited time itself).
    return delete_in_batches(DBTaskResult.objects.finished().filter(finished_at__lt=before), batch=batch,
                             dry_run=dry_run)


def _sessions(now: datetime, batch: int, dry_run: bool) -> int:
    """Expired staff sessions (what `clearsessions` removes)."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        if not dry_run:
            import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
        return 0
    from django.contrib.sessions.models import Session

    return delete_in_batches(Session.objects.filter(expire_date__lt=now), batch=batch, dry_run=dry_run)


KINDS = [
    Kind("inbound_handled", "handled texts received", "KEEP_INBOUND_DAYS", _inbound(handled=True)),
    Kind("inbound_unhandled", "replies nobody marked handled", "KEEP_UNHANDLED_INBOUND_DAYS", _inbound(handled=False)),
    Kind("deliveries", "outbox rows of finished messages", "KEEP_DELIVERIES_DAYS",
         lambda before, batch, dry_run: prune_deliveries(finished_before=before, batch=batch, dry_run=dry_run)),
    Kind("webhook_deliveries", "webhook deliveries", "KEEP_WEBHOOK_DELIVERIES_DAYS",
         lambda before, batch, dry_run: prune_webhook_deliveries(before=before, batch=batch, dry_run=dry_run)),
    Kind("unreadable_webhooks", "unreadable provider callbacks", "KEEP_UNREADABLE_WEBHOOKS_DAYS",
         lambda before, batch, dry_run: prune_unreadable_webhooks(before=before, batch=batch, dry_run=dry_run)),
    Kind("task_results", "finished background tasks", "KEEP_TASK_RESULTS_DAYS", _task_results),
    Kind("import_files", "import files and error reports", "KEEP_IMPORT_FILES_DAYS",
         lambda before, _batch, dry_run: remove_import_files(finished_before=before, dry_run=dry_run)),
    Kind("rsvp_forms", "settled RSVP forms", "KEEP_RSVP_FORMS_DAYS",
         lambda before, batch, dry_run: prune_settled_forms(before=before, batch=batch, dry_run=dry_run)),
    Kind("settled_public_forms", "settled form, petition and pledge submissions", "KEEP_RSVP_FORMS_DAYS",
         lambda before, batch, dry_run: sum(prune_settled(model, before=before, batch=batch, dry_run=dry_run)
                                            for model in (ActionIntake, PledgeIntake))),
    Kind("texting_texts", "texts of finished texting campaigns", "KEEP_TEXTING_DAYS",
         lambda before, batch, dry_run: prune_finished(before=before, batch=batch, dry_run=dry_run)),
    Kind("login_records", "login records", "KEEP_LOGIN_RECORDS_DAYS",
         lambda before, batch, dry_run: prune_login_records(before=before, batch=batch, dry_run=dry_run)),
    Kind("sessions", "expired staff sessions", "", _sessions),
]


def run(*, dry_run: bool = False, batch: int = BATCH) -> dict[str, int]:
    """Remove every kind of record older than its period; how many of each (with `dry_run`, how
    many would go, removing nothing). A kind whose period is 0 is kept for ever and not counted."""
    now = timezone.now()
    counts: dict[str, int] = {}
    try:
        for kind in KINDS:
            if (before := kind.before(now)) is not None:
                counts[kind.name] = kind.remove(before, batch, dry_run)
    finally:  # what was removed before a failure is on record too
        if not dry_run and any(counts.values()):
            _record(counts)
    return counts


def describe(counts: dict[str, int]) -> list[str]:
    """One line per kind counted: "handled texts received: 12 (kept 90 days)"."""
    lines = []
    for kind in KINDS:
        if kind.name in counts:
            kept = f" (kept {kind.days()} days)" if kind.setting else ""
            lines.append(f"{kind.label}: {counts[kind.name]}{kept}")
    return lines


def _record(counts: dict[str, int]) -> None:
    removed = {name: n for name, n in counts.items() if n}
    summary = "Retention removed " + "; ".join(describe(removed))
    audit.record(actor=None, action=AuditEntry.Action.DELETE, summary=summary,
                 detail={"removed": removed, "days": {kind.name: kind.days() for kind in KINDS if kind.setting}})
    logger.info(summary)
