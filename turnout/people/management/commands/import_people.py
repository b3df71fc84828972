"""`turnout import_people FILE.csv --group SLUG [--tag NAME]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from turnout.accounts.models import Group
from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.people.importer import Importer, ImportFileError, write_error_report


class Command(BaseCommand):
    help = "Import people from a CSV file into a group; bad rows are reported, good rows imported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--group", required=True, help="The group's short name (slug).")
        parser.add_argument("--membership", required=True, choices=["member", "supporter"],
                            help="What the people in the file are to the group (a status column, where filled "
                                 "in, says it row by row).")
        parser.add_argument("--tag", default="", help="Tag everyone in the file.")
        parser.add_argument("--sms-consent-text", default="",
                            help="The words everyone in the file agreed to for text messages, if they all did.")
        parser.add_argument("--errors", default="", help="Where to write the error report (default FILE.errors.csv).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        group = Group.objects.filter(slug=options["group"]).first()
        if group is None:
            raise CommandError(f"No group with the short name {options['group']!r}.")

        def progress(result: Any, position: int) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"  {position:,} bytes, {result.rows_seen:,} rows")

        importer = Importer(group=group, tag=options["tag"], membership=options["membership"], sms_consent_text=options["sms_consent_text"],
                            source_name=path.name, progress=progress)
        try:
            result = importer.run(path)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        refused = "".join(f"; left out the column “{r.name}” ({r.kind})" for r in result.refused)
        audit.record(actor=None, action=AuditEntry.Action.IMPORT, group=group,
                     summary=f"Imported {path.name}: {result.created} new, {result.updated} updated, "
                             f"{result.failed} rejected{refused}")
        self.stdout.write(f"{result.rows_seen:,} rows: {result.created:,} new people, {result.updated:,} updated, "
                          f"{result.failed:,} rejected.")
        for column in result.refused:
            self.stdout.write(_("Column “%(name)s” was not imported: %(reason)s")
                              % {"name": column.name, "reason": column.reason})
        if result.consent_kept_withdrawn:
            self.stdout.write(f"{result.consent_kept_withdrawn:,} opt-ins were not recorded: those people had "
                              "opted out, and only their own new opt-in restores that.")
        if result.warnings:
            self.stdout.write(f"{len(result.warnings):,} rows were imported without an email or phone that could "
                              "not be used (they had the other).")
        if problems := result.problems:
            report = Path(options["errors"] or f"{path}.errors.csv")
            write_error_report(path, problems, report, leave_out=result.refused_at, encoding=result.encoding)
            for problem in problems[:20]:
                self.stderr.write(f"  {problem.describe()}")
            self.stderr.write(f"Report of those rows, as they came, to fix and import again: {report}")
        if result.fatal:
            raise CommandError(result.fatal)
