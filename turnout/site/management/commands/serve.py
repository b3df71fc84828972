"""`turnout serve`: the production web server (gunicorn)."""

from __future__ import annotations

import gc
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from gunicorn.app.base import BaseApplication

from turnout.core import files, geo
from turnout.wsgi import application


class GunicornApp(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


class Command(BaseCommand):
    help = "Serve Turnout with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        # Sixteen threads a worker: a public form's request spends much of its time waiting on the
        # database's commit, and an API helper's on its batch (`api.helpers`), which holds only the
        # requests its process has in hand: with fewer threads the cores sat partly idle
        # (docs/performance.md).
        parser.add_argument("--threads", type=int, default=16)
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SECRET_KEY == settings.INSECURE_DEV_KEY and not settings.DEBUG:
            raise CommandError("Set TURNOUT_SECRET_KEY before serving (see docs/operations.md).")
        files.tighten(settings.VAR_DIR)  # files an older install left open to others
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        geo.warm()  # read once here: the workers forked below share the tables
        # Django compiles its email patterns on first use: once here, before the fork, rather than
        # in each worker on its first form.
        validate_email("warm@example.org")
        # Everything loaded so far (Django, the tables) lives as long as the server: the garbage
        # collector need not walk it again on every full collection in each worker.
        gc.freeze()
        GunicornApp({
            "bind": options["bind"],
            "workers": options["workers"],
            "threads": options["threads"],
            "timeout": options["timeout"],
            "accesslog": "-",
            "logger_class": "turnout.site.access_log.AccessLogger",  # private links' keys left out
            "worker_class": "gthread",
        }).run()
