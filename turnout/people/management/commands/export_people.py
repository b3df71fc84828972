"""`turnout export_people [--group SLUG] [--tag NAME]`: CSV to standard output, audited."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from turnout.accounts.models import Group
from turnout.people.models import Person, Tag
from turnout.people.services import export_people, people_filter


class Command(BaseCommand):
    help = "Write people as CSV to standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--group", default="", help="Only people in this group (or below).")
        parser.add_argument("--tag", default="", help="Only people with a tag of this name (in --group, when given).")

    def handle(self, *args: Any, **options: Any) -> None:
        group = None
        if options["group"]:
            group = Group.objects.filter(slug=options["group"]).first()
            if group is None:
                raise CommandError(f"No group with the short name {options['group']!r}.")
        tags = None
        if options["tag"]:
            # With --group, that group's tag of this name (and its groups' below); else every group's.
            tags = (Tag.objects.in_group(group) if group else Tag.objects.all()).named(options["tag"])
        people = people_filter(Person.objects.all(), tag=tags, group=group)
        summary = " ".join(f"--{k} {options[k]}" for k in ("group", "tag") if options[k]) or "everyone"
        count = export_people(actor=None, people=people, out=self.stdout, summary=summary, group=group)
        self.stderr.write(f"Exported {count:,} people.")
