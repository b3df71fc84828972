from typing import Any

from django.core.management.base import BaseCommand

from turnout.site.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo groups, staff and people (once) and print the staff logins."

    def handle(self, *args: Any, **options: Any) -> str:
        return load_demo()
