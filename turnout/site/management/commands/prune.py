"""`turnout prune`: remove now what the retention periods say is no longer needed (the worker does
it hourly); `--dry-run` counts without removing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from turnout.site import retention


class Command(BaseCommand):
    help = "Remove records older than their retention periods (docs/operations.md, Retention)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be removed; remove nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        counts = retention.run(dry_run=dry_run)
        self.stdout.write("Would remove:" if dry_run else "Removed:")
        for line in retention.describe(counts):
            self.stdout.write(f"  {line}")
        kept = [kind.setting for kind in retention.KINDS if kind.name not in counts]
        if kept:
            self.stdout.write("Kept for ever (period 0): " + ", ".join(f"TURNOUT_{name}" for name in kept))
