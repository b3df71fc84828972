"""A batch of new RSVPs is confirmed together, saying and reaching exactly what one-by-one confirmations would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from turnout.events import services, tasks
from turnout.events.models import Rsvp, RsvpIntake, Shift
from turnout.events.tests.test_settle_batch import form, make_event
from turnout.messaging.models import Delivery, Message
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_group, make_person, run_due_tasks
from turnout.site.tests.helpers import turnout

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
class BatchConfirmationTests(TurnoutTestCase):
    def setUp(self) -> None:
        stopped = make_person(make_group("Local 99"), email="stopped@example.org")
        record_consent(person=stopped, channel="email", address="stopped@example.org", action="opt_out",
                       source="form")
        self.event = make_event(self.local)
        shift = Shift.objects.create(event=self.event, label="Marshals", starts_at=self.event.starts_at)
        with self.captureOnCommitCallbacks(execute=True):
            for data in [
                form("Ana", "ana@example.org"),
                form("Ben", "ben@example.org", "2065550101"),
                form("Cy", "cy@example.org", "2065550102", texts=False),  # no box ticked: no texts
                form("Eve", "stopped@example.org"),  # opted out of email elsewhere
                form("Gil", phone="2065550103", shift_id=shift.pk),
                form("Hal", "hal@example.org", "2065550104", language="es"),
            ]:
                services.rsvp_later(self.event, data)
        # Settled without running the confirmations the batch queues: each test sends them its own way.
        services.settle_batch(list(RsvpIntake.objects.values_list("id", flat=True)))
        DBTaskResult.objects.all().delete()  # the settling task the forms asked for: done above
        with transaction.atomic():  # and a member an organizer has yet to seat
            services.take_seat(self.event, self.member, waitlist=True, notify=False)
        self.rsvps = list(Rsvp.objects.filter(event=self.event).order_by("pk").values_list("pk", flat=True))
        self.assertEqual(len(self.rsvps), 7)

    def sent(self) -> dict[str, Any]:
        """What went out and what the outbox and the message pages hold of it."""
        messages = sorted(
            (m.channel, m.subject, m.body, m.topic, m.status, m.ignore_quiet_hours, m.override_reason, m.group.name,
             sorted(m.deliveries.values_list("person__given_name", "channel", "address", "status", "error")))
            for m in Message.objects.filter(topic__startswith="event:"))
        return {"messages": messages,
                "emails": sorted((m.to[0], m.subject, m.body) for m in mail.outbox),
                "texts": sorted(Delivery.objects.filter(channel="sms", status="sent").values_list(
                    "address", "message__body"))}

    def forget_sent(self) -> None:
        Delivery.objects.all().delete()
        Message.objects.all().delete()
        mail.outbox.clear()

    def test_a_batch_is_confirmed_as_each_rsvp_would_be_alone(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            for rsvp_id in self.rsvps:
                services.confirm(rsvp_id=rsvp_id)
        self.run_worker()
        one_by_one = self.sent()
        self.forget_sent()

        with self.captureOnCommitCallbacks(execute=True):
            tasks.send_confirmations.enqueue(rsvp_ids=self.rsvps)
        self.run_worker()
        together = self.sent()
        self.maxDiff = None
        self.assertEqual(together, one_by_one)
        # Each person once, by email where they can be emailed, by text only with consent.
        self.assertEqual([to for to, _s, _b in together["emails"]],
                         ["ana@example.org", "ben@example.org", "cy@example.org", "hal@example.org"])
        self.assertEqual([to for to, _b in together["texts"]], ["+12065550101", "+12065550103", "+12065550104"])
        # In their own language, with their own link.
        hal = next(body for to, _s, body in together["emails"] if to == "hal@example.org")
        self.assertIn("¡Va a Rally for a fair contract!", hal)
        self.assertIn(Rsvp.objects.get(person__given_name="Hal").key, hal)
        maria = next(body for channel, _s, body, *_m, rows in together["messages"]
                     if channel == "email" and rows and rows[0][0] == "Maria")
        self.assertIn("waitlist", maria)
        self.assertIn(Rsvp.objects.get(person=self.member).key, maria)
        gil = next(body for to, body in together["texts"] if to == "+12065550103")
        self.assertIn(Rsvp.objects.get(person__given_name="Gil").key, gil)
        suppressed = [(name, channel, error) for *_m, rows in together["messages"]
                      for name, channel, _a, status, error in rows if status == "suppressed"]
        self.assertEqual(sorted(suppressed), [("Cy", "sms", "no consent"), ("Eve", "email", "no consent"),
                                             ("Maria", "email", "no consent"), ("Maria", "sms", "no consent")])

    def test_the_batch_is_handed_to_one_dispatch_task(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            services.confirm_many(self.rsvps)
        queued = list(DBTaskResult.objects.values_list("task_path", flat=True))
        self.assertEqual(queued, ["turnout.messaging.tasks.dispatch_messages"])
        self.assertEqual(Message.objects.filter(topic=f"event:{self.event.pk}:confirmation").count(), 14)

    def test_a_confirmation_task_run_again_confirms_nobody_twice(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            tasks.send_confirmations.enqueue(rsvp_ids=self.rsvps)
        result = DBTaskResult.objects.ready().get()
        result.claim("worker-1")
        with self.captureOnCommitCallbacks(execute=True):
            result.task.call(*result.task_result.args, **result.task_result.kwargs)
        # The worker dies before it marks the task done; another runs it again.
        with self.captureOnCommitCallbacks(execute=True):
            result.task.call(*result.task_result.args, **result.task_result.kwargs)
        result.set_successful(None)
        self.run_worker()
        self.assertEqual(Message.objects.filter(topic__startswith="event:").count(), 14)
        self.assertEqual(len(mail.outbox), 4)
        self.assertEqual(Delivery.objects.filter(channel="sms", status="sent").count(), 3)

    def test_someone_who_rsvps_again_later_is_confirmed_again(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            services.confirm_many(self.rsvps)
        self.run_worker()
        ana = Rsvp.objects.get(person__given_name="Ana")
        self.travel_to(NOW + timedelta(hours=1))
        Rsvp.objects.filter(pk=ana.pk).update(confirmed_at=NOW + timedelta(hours=1))
        with self.captureOnCommitCallbacks(execute=True):
            services.confirm_many(self.rsvps)
        self.run_worker()
        self.assertEqual(sorted(m.to[0] for m in mail.outbox).count("ana@example.org"), 2)
        self.assertEqual(len(mail.outbox), 5)


class ConfirmationRunTests(TurnoutTestCase):
    """However many RSVPs one confirmation run takes, each is confirmed once, in a fixed number of statements."""

    def settle(self, event: Any, names: list[str]) -> list[int]:
        """Forms from these people, settled in one batch (its confirmation task queued); the batch's RSVP ids."""
        before = set(Rsvp.objects.values_list("pk", flat=True))
        with self.captureOnCommitCallbacks(execute=True):
            for n, name in enumerate(names):
                services.rsvp_later(event, form(name, f"{name.lower()}@example.org",
                                                f"206555{len(before) + n:04d}" if n % 2 else "",
                                                language="es" if n % 3 == 0 else "en"))
        DBTaskResult.objects.filter(task_path="turnout.events.tasks.settle_rsvps").delete()
        with self.captureOnCommitCallbacks(execute=True):
            services.settle_batch(list(RsvpIntake.objects.filter(outcome="").values_list("id", flat=True)))
        return sorted(set(Rsvp.objects.values_list("pk", flat=True)) - before)

    def test_a_run_taking_several_batches_confirms_each_rsvp_once(self) -> None:
        """One run given two batches' RSVPs, then each batch's own task, confirms everyone once, by
        email and with consent by text, in their language."""
        event = make_event(self.local, starts_at=datetime.now(UTC) + timedelta(days=3))
        first, second = self.settle(event, ["Ana", "Ben", "Cy"]), self.settle(event, ["Dee", "Eli", "Fay", "Gus"])
        self.assertEqual(DBTaskResult.objects.filter(task_path="turnout.events.tasks.send_confirmations").count(), 2)
        with self.captureOnCommitCallbacks(execute=True):
            services.confirm_many(first + second)
        self.run_worker()  # the batches' own confirmation tasks, then the dispatch
        self.assertEqual(Message.objects.filter(topic=f"event:{event.pk}:confirmation").count(), 14)
        self.assertEqual(sorted(m.to[0] for m in mail.outbox),
                         [f"{name}@example.org" for name in ["ana", "ben", "cy", "dee", "eli", "fay", "gus"]])
        self.assertEqual(Delivery.objects.filter(channel="sms", status="sent").count(), 3)  # Ben, Eli, Gus
        dee = next(m.body for m in mail.outbox if m.to == ["dee@example.org"])
        self.assertIn("¡Va a Rally for a fair contract!", dee)
        self.assertIn(Rsvp.objects.get(person__given_name="Dee").key, dee)

    def test_the_statements_of_a_confirmation_run_do_not_grow_with_its_size(self) -> None:
        event = make_event(self.local, starts_at=datetime.now(UTC) + timedelta(days=3))
        small = self.settle(event, ["Ana", "Ben"])
        large = self.settle(event, [f"P{n}" for n in range(30)])
        with CaptureQueriesContext(connection) as few, self.captureOnCommitCallbacks(execute=True):
            services.confirm_many(small)
        with CaptureQueriesContext(connection) as many, self.captureOnCommitCallbacks(execute=True):
            services.confirm_many(large)
        self.assertEqual(len(many), len(few))
        self.assertEqual(Message.objects.filter(topic=f"event:{event.pk}:confirmation").count(), 64)

    def test_a_key_with_other_characters_gets_the_link_its_page_has(self) -> None:
        """An RSVP's link in a batch's confirmation is the one its page answers to, whatever its key holds."""
        event = make_event(self.local, starts_at=datetime.now(UTC) + timedelta(days=3))
        ids = self.settle(event, ["Ana", "Ben"])
        Rsvp.objects.filter(pk=ids[0]).update(key="café-1")
        with self.captureOnCommitCallbacks(execute=True):
            services.confirm_many(ids)
        self.run_worker()
        ana = next(m.body for m in mail.outbox if m.to == ["ana@example.org"])
        link = services.rsvp_link(Rsvp.objects.get(pk=ids[0]))
        self.assertIn(f": {link}\n", ana)  # the last line, in her language
        self.assertIn("caf%C3%A9", link)
        self.assertEqual(self.client.get(link.removeprefix(settings.BASE_URL)).status_code, 200)


class ConfirmationCrashTests(TransactionTestCase):
    """A worker that dies while writing a batch's confirmations leaves them to the task's next run, whole."""

    def test_a_worker_killed_mid_confirmation_loses_none_and_the_rerun_sends_each_once(self) -> None:
        local = make_group("Local 8")
        event = make_event(local, starts_at=datetime.now(UTC) + timedelta(days=3))
        for n in range(12):
            services.rsvp_later(event, form(f"P{n}", f"p{n}@example.org", f"20655501{n:02d}"))
        services.settle_batch(list(RsvpIntake.objects.values_list("id", flat=True)))
        ids = list(Rsvp.objects.order_by("pk").values_list("pk", flat=True))
        code = ("import os; from django.db import transaction; from turnout.events import services; "
                "from turnout.messaging.models import Message; "
                f"atomic = transaction.atomic(); atomic.__enter__(); services.confirm_many({ids}); "
                "print(Message.objects.count(), flush=True); os._exit(9)")
        died = turnout("shell", "-c", code)
        self.assertEqual(died.returncode, 9, died.stderr)
        self.assertEqual(died.stdout.split()[-1], "24")  # it had written them
        self.assertFalse(Message.objects.exists())
        while run_due_tasks():  # the confirmation task queued by the batch, then its dispatch
            pass
        self.assertEqual(Message.objects.filter(topic=f"event:{event.pk}:confirmation").count(), 24)
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), sorted(f"p{n}@example.org" for n in range(12)))
        self.assertEqual(Delivery.objects.filter(channel="sms", status="sent").count(), 12)
