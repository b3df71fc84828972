"""`turnout rotate_keys`: seal every sealed value again under the first encryption key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from turnout.core.sealing import rotate


class Command(BaseCommand):
    help = ("Seal every sealed value again under the first key of TURNOUT_ENCRYPTION_KEY / "
            "TURNOUT_ENCRYPTION_KEY_FILE and recompute the blind indexes under it, in batches. Run it after "
            "putting a new key first; drop the old key only once it reports nothing left to seal again. "
            "Safe to run again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be 1 or more.")
        lines, unopened = rotate(batch=options["batch"])
        for line in lines:
            self.stdout.write(line)
        if unopened:
            raise CommandError(f"{unopened} values open with none of the keys: put back the key they were sealed "
                               "with (after the first) and run rotate_keys again.")
        self.stdout.write("Every sealed value is sealed under the first key.")
