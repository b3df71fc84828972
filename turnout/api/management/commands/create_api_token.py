"""`turnout create_api_token EMAIL`: make an API token for a staff user and print it once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from turnout.accounts.models import Group, StaffRole, User
from turnout.accounts.services import create_api_token


class Command(BaseCommand):
    help = "Create an API token for a staff user and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--group", help="Short name of the group new people join (default: the user's first).")
        parser.add_argument("--name", default="Command-line token", help="What the token is for.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active staff user with the email {options['email']}.")
        groups = Group.objects.visible_to(user)
        if options["group"]:
            group = groups.filter(slug=options["group"]).first()
            if group is None:
                raise CommandError(f"{user.email} holds no role in a group called {options['group']}.")
        else:
            role = StaffRole.objects.filter(user=user).select_related("group").order_by("group__path").first()
            group = role.group if role else groups.first()
            if group is None:
                raise CommandError(f"{user.email} holds no role in any group; give them one first.")
        _token, key = create_api_token(actor=None, user=user, group=group, name=options["name"])
        self.stdout.write(key)
