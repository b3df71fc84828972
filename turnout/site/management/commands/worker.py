"""`turnout worker`: runs background tasks from the database queue, or from Redis when REDIS_URL is set."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--burst", action="store_true", help="Exit when the queue is empty.")

    def handle(self, *args: Any, **options: Any) -> None:
        from turnout.actions.tasks import settle_forms
        from turnout.core import files, geo
        from turnout.events.tasks import settle_rsvps
        from turnout.messaging.sending import recover
        from turnout.messaging.tasks import offer_replies
        from turnout.mobilization.services import finish_unfinished
        from turnout.mobilization.tasks import settle_pledge_forms

        files.tighten(settings.VAR_DIR)  # files an older install left open to others
        geo.warm()  # once, before Redis's worker forks a process for each task
        gc.freeze()  # and kept out of the garbage collector's full collections (see `serve`)
        recover()  # a worker that died mid-send left claims and a dispatch task that will never finish
        finish_unfinished()  # an activation whose sender stopped after its nearest people
        settle_rsvps.enqueue(last_look=True)  # RSVP forms that arrived while no worker ran
        settle_forms.enqueue(last_look=True)  # and forms, petitions and pledges
        settle_pledge_forms.enqueue(last_look=True)
        offer_replies.enqueue(last_look=True)  # and replies
        if not options["burst"]:
            threading.Thread(target=_recover_every_minute, daemon=True).start()
        if settings.REDIS_URL:
            extra = ["--burst"] if options["burst"] else []
            # The scheduler moves deferred tasks (webhook retries with backoff) onto the queue when due.
            # Queues in the order RQ takes them: "sending" only when "default" is empty.
            call_command("rqworker", *settings.TASK_QUEUES, "--job-class", "django_tasks_rq.Job", "--with-scheduler",
                         *extra)
        else:
            extra = ["--batch"] if options["burst"] else []
            # Every queue; the tasks' priorities order them (`messaging.tasks.SENDING_PRIORITY`).
            call_command("db_worker", "--no-startup-delay", "--interval", "0.5", "--queue-name",
                         ",".join(settings.TASK_QUEUES), *extra)


# Retention runs at start and then once an hour, not every minute: removing old rows is slow
# work that nothing waits for.
RETENTION_EVERY_MINUTES = 60


def _recover_every_minute(sleep: Callable[[float], None] = time.sleep) -> None:
    """Pick up what was left behind, every minute; apply retention at start and hourly. (`sleep` is
    the clock a test hands in.)"""
    from django.db import close_old_connections

    from turnout.actions.services import settle_waiting as settle_public_forms
    from turnout.events.services import settle_waiting
    from turnout.messaging.sending import recover
    from turnout.messaging.services import offer_waiting
    from turnout.mobilization.services import finish_unfinished, settle_pledges
    from turnout.texting.services import release_unanswered

    apply_retention()
    minutes = 0
    while True:
        sleep(60)
        minutes += 1
        try:
            recover()
            finish_unfinished()
            settle_waiting()  # a form that slipped past every settling run
            settle_public_forms()
            settle_pledges()
            offer_waiting()  # and a reply
            release_unanswered()  # texting conversations a texter held too long, for the next to ask
        except Exception:  # keep recovering; one failure (a database restart) must not end it
            logging.getLogger(__name__).exception("Recovering messages, activations, replies or waiting forms failed")
        finally:
            close_old_connections()
        if minutes % RETENTION_EVERY_MINUTES == 0:
            apply_retention()


def apply_retention() -> dict[str, int]:
    """Remove what the retention periods say is no longer needed (turnout.site.retention); a failure
    is logged and tried again at the next hour. How many of each kind were removed."""
    from django.db import close_old_connections

    from turnout.site import retention

    try:
        return retention.run()
    except Exception:
        logging.getLogger(__name__).exception("Removing records past their retention period failed")
        return {}
    finally:
        close_old_connections()
