"""During a burst, the next batch's confirmations are written before an earlier batch is sent: the
worker takes the default queue first and leaves bulk dispatch (the "sending" queue) for after,
on the database queue and on Redis; everything is still sent, each message once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from django.core import mail
from django.core.cache import cache
from django.test import TransactionTestCase
from django_tasks_db.models import DBTaskResult

from turnout.events import services
from turnout.events.models import Rsvp, RsvpIntake
from turnout.events.tests.test_settle_batch import form, make_event
from turnout.messaging import sending
from turnout.messaging.models import Delivery, Message
from turnout.site.testing import TurnoutTestCase, make_group
from turnout.site.tests.helpers import turnout

# A database of its own on the local Redis, apart from the other worker tests' (15).
REDIS_URL = "redis://127.0.0.1:6379/13"


class ConfirmBeforeSendingTests(TransactionTestCase):
    def setUp(self) -> None:
        local = make_group("Local 8")
        self.event = make_event(local, starts_at=datetime.now(UTC) + timedelta(days=3))
        self.topic = f"event:{self.event.pk}:confirmation"

    def settle(self, names: list[str]) -> list[int]:
        """Forms from these people, settled in one batch; the batch's RSVP ids."""
        before = set(Rsvp.objects.values_list("pk", flat=True))
        for name in names:
            services.rsvp_later(self.event, form(name, f"{name.lower()}@example.org"))
        services.settle_batch(list(RsvpIntake.objects.filter(outcome="").values_list("id", flat=True)))
        return sorted(set(Rsvp.objects.values_list("pk", flat=True)) - before)

    def first_batch_confirmed(self, names: list[str], env: dict[str, str] | None = None) -> list[int]:
        """The first batch settled and its confirmations written, their dispatch queued (in a child
        process when `env` points it at Redis); then the second batch's forms settled, their
        confirmations queued after that dispatch."""
        first = self.settle(names)
        if env is None:
            DBTaskResult.objects.all().delete()  # the first batch's confirmations: written here instead
            services.confirm_many(first)
        else:
            made = turnout("shell", "-c", f"from turnout.events import services; services.confirm_many({first})",
                           env=env)
            self.assertEqual(made.returncode, 0, made.stderr)
        self.assertEqual(Message.objects.filter(topic=self.topic).count(), 2 * len(first))
        self.assertFalse(Delivery.objects.filter(status=Delivery.Status.SENT).exists())
        return first

    def assert_second_written_before_first_sent(self, first: list[int], second: list[int]) -> None:
        first_people = Rsvp.objects.filter(pk__in=first).values("person")
        second_people = Rsvp.objects.filter(pk__in=second).values("person")
        first_sent = Delivery.objects.filter(person__in=first_people, status=Delivery.Status.SENT)
        second_written = Message.objects.filter(topic=self.topic, deliveries__person__in=second_people)
        # Everyone is confirmed, each once, and every confirmation went out.
        self.assertEqual(first_sent.count(), len(first))
        self.assertEqual(second_written.count(), len(second))
        self.assertEqual(Delivery.objects.filter(person__in=second_people, status=Delivery.Status.SENT).count(),
                         len(second))
        self.assertEqual(Delivery.objects.count(), len(first) + len(second))
        last_written = max(second_written.values_list("created_at", flat=True))
        first_out = min(first_sent.values_list("status_at", flat=True))
        self.assertLess(last_written, first_out, "the second batch's confirmations waited for the first's sending")

    def test_the_database_worker_writes_waiting_confirmations_before_sending_an_earlier_batch(self) -> None:
        first = self.first_batch_confirmed(["Ana", "Ben", "Cy"])
        second = self.settle(["Dee", "Eli", "Fay"])  # queues their confirmations after the first's dispatch
        queued = DBTaskResult.objects.exclude(task_path="turnout.events.tasks.settle_rsvps").order_by("enqueued_at")
        self.assertEqual(list(queued.values_list("task_path", flat=True)),
                         ["turnout.messaging.tasks.dispatch_messages", "turnout.events.tasks.send_confirmations"])
        worked = turnout("worker", "--burst")
        self.assertEqual(worked.returncode, 0, worked.stderr)
        self.assert_second_written_before_first_sent(first, second)

    def test_the_redis_worker_writes_waiting_confirmations_before_sending_an_earlier_batch(self) -> None:
        env = {"REDIS_URL": REDIS_URL}
        redis.Redis.from_url(REDIS_URL).flushdb()
        first = self.first_batch_confirmed(["Ana", "Ben", "Cy"], env)
        second = self.settle(["Dee", "Eli", "Fay"])
        DBTaskResult.objects.all().delete()  # queued on the database; queue it on Redis from another process
        queued = turnout("shell", "-c", "from turnout.events.tasks import send_confirmations; "
                         f"send_confirmations.enqueue(rsvp_ids={second})", env=env)
        self.assertEqual(queued.returncode, 0, queued.stderr)
        worked = turnout("worker", "--burst", env=env)
        self.assertEqual(worked.returncode, 0, worked.stderr)
        self.assert_second_written_before_first_sent(first, second)
        self.assertEqual(redis.Redis.from_url(REDIS_URL).llen("rq:queue:sending"), 0)


class DispatchSliceTests(TurnoutTestCase):
    def test_a_dispatch_out_of_time_queues_the_rest_behind_waiting_work_and_sends_each_once(self) -> None:
        """A dispatch task that has used its time hands the rest to a new task, which runs after
        the work already waiting on the default queue; nobody is sent anything twice."""
        event = make_event(self.local, starts_at=datetime.now(UTC) + timedelta(days=3))
        with self.captureOnCommitCallbacks(execute=True):
            for name in ["Ana", "Ben", "Cy"]:
                services.rsvp_later(event, form(name, f"{name.lower()}@example.org"))
        services.settle_batch(list(RsvpIntake.objects.values_list("id", flat=True)))
        DBTaskResult.objects.all().delete()
        with self.captureOnCommitCallbacks(execute=True):
            services.confirm_many(list(Rsvp.objects.values_list("pk", flat=True)))
        due = DBTaskResult.objects.get().task_result.kwargs["message_ids"]
        DBTaskResult.objects.all().delete()

        sending.dispatch_many(message_ids=due, for_at_most=timedelta(0))
        self.assertEqual(len(mail.outbox), 1)  # the first message, then its time was up
        cache.clear()  # the forms above asked for a settling run less than a second ago
        with self.captureOnCommitCallbacks(execute=True):
            services.rsvp_later(event, form("Dee", "dee@example.org"))  # asks for a settling run
        self.assertEqual(list(DBTaskResult.objects.ready().values_list("task_path", flat=True)),
                         ["turnout.events.tasks.settle_rsvps", "turnout.messaging.tasks.dispatch_messages"])
        rest = DBTaskResult.objects.get(task_path="turnout.messaging.tasks.dispatch_messages")
        self.assertEqual((rest.queue_name, rest.task_result.kwargs["message_ids"]), ("sending", due[1:]))

        self.run_worker()  # in the worker's order: the settling, Dee's confirmation, then the rest
        self.assertEqual(sorted(m.to[0] for m in mail.outbox),
                         ["ana@example.org", "ben@example.org", "cy@example.org", "dee@example.org"])
        self.assertEqual(Delivery.objects.filter(status=Delivery.Status.SENT).count(), 4)


class SettleSliceTests(TurnoutTestCase):
    def test_a_settling_run_out_of_time_queues_the_rest_behind_the_confirmations_it_queued(self) -> None:
        """During a burst a settling run hands the worker over after a couple of seconds: the
        confirmations of what it settled are written before it settles more, and every form is
        settled and confirmed once."""
        event = make_event(self.local, starts_at=datetime.now(UTC) + timedelta(days=3))
        names = ["Ana", "Ben", "Cy", "Dee", "Eli"]
        with self.captureOnCommitCallbacks(execute=True):
            for name in names:
                services.rsvp_later(event, form(name, f"{name.lower()}@example.org"))
        self.assertEqual(DBTaskResult.objects.get().task_path, "turnout.events.tasks.settle_rsvps")  # the forms' ask
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(services.settle_for_a_while(batch=2, for_at_most=timedelta(0)), 2)
        self.assertEqual(RsvpIntake.objects.filter(outcome="").count(), 3)
        # In the worker's order: the settled batch's confirmations first, even before the ask
        # queued earlier; then the settling runs.
        self.assertEqual(list(DBTaskResult.objects.ready().values_list("task_path", flat=True)),
                         ["turnout.events.tasks.send_confirmations", "turnout.events.tasks.settle_rsvps",
                          "turnout.events.tasks.settle_rsvps"])

        self.run_worker()
        self.assertEqual(RsvpIntake.objects.filter(outcome="").count(), 0)
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), sorted(f"{n.lower()}@example.org" for n in names))
        self.assertEqual(Message.objects.filter(topic=f"event:{event.pk}:confirmation").count(), 10)

    def test_a_run_that_settles_everything_in_time_queues_no_other(self) -> None:
        event = make_event(self.local, starts_at=datetime.now(UTC) + timedelta(days=3))
        with self.captureOnCommitCallbacks(execute=True):
            services.rsvp_later(event, form("Ana", "ana@example.org"))
        DBTaskResult.objects.all().delete()
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(services.settle_for_a_while(batch=2, for_at_most=timedelta(0)), 1)
        self.assertEqual(list(DBTaskResult.objects.values_list("task_path", flat=True)),
                         ["turnout.events.tasks.send_confirmations"])
