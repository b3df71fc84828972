"""Senders and pacing: each sender no faster than its rate, counted in segments, shared by every worker;
a person keeps their sender; a group's own quiet hours."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import time_machine
from django.test import override_settings
from django.utils import timezone

from turnout.messaging import outbox, pacing
from turnout.messaging.models import Delivery, Message
from turnout.messaging.transports import OutgoingSms, simple
from turnout.people.models import Person
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_person

FROZEN = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # noon in Seattle


class ClockedTransport(simple.MemoryTransport):
    """Notes when each text left and from which sender."""

    sent: list[tuple[str, float, OutgoingSms]] = []
    lock = threading.Lock()

    def send(self, sms: OutgoingSms) -> str:
        with self.lock:
            self.sent.append((sms.sender, time.time(), sms))
        return super().send(sms)


class BookingTests(TurnoutTestCase):
    @override_settings(SMS_SENDERS=["+12065550100", "+12065550101:4"], SMS_RATE=2)
    def test_each_sender_is_booked_at_its_own_rate_and_a_second_worker_books_after_the_first(self) -> None:
        with time_machine.travel(FROZEN, tick=False):
            start = time.time()
            first = pacing.book([(f"+1206555{n:04d}", 1) for n in range(6)], {})
            second = pacing.book([("+12065559999", 3)], {})
        by_sender: dict[str, list[float]] = defaultdict(list)
        for booking in first:
            by_sender[booking.sender].append(round(booking.at - start, 3))
        # The sender at 4/s takes twice the texts of the one at 2/s, each at its own spacing;
        # the second starts a sixth of a second (one slot of the pair's 6/s) after the first.
        self.assertEqual(by_sender["+12065550100"], [0.0, 0.5])
        self.assertEqual(by_sender["+12065550101"], [0.167, 0.417, 0.667, 0.917])
        # Another worker's batch starts where the first one's bookings end; three segments take three slots.
        self.assertEqual((second[0].sender, round(second[0].at - start, 3)), ("+12065550100", 1.0))
        with time_machine.travel(FROZEN, tick=False):
            third = pacing.book([("+12065559998", 1), ("+12065559997", 1)], {})
        # The first sender is busy with those three segments until 2.5 s; the other is free sooner.
        self.assertEqual([(b.sender, round(b.at - start, 3)) for b in third],
                         [("+12065550101", 1.167), ("+12065550101", 1.417)])

    @override_settings(SMS_SENDERS=["+12065550100", "+12065550101"], SMS_RATE=1)
    def test_someone_texted_before_keeps_their_sender(self) -> None:
        with time_machine.travel(FROZEN, tick=False):
            bookings = pacing.book([("+12065550123", 1), ("+12065550124", 1), ("+12065550125", 1)],
                                   {"+12065550123": "+12065550101", "+12065550125": "+12065550101"})
        self.assertEqual([b.sender for b in bookings], ["+12065550101", "+12065550100", "+12065550101"])

    @override_settings(SMS_SENDERS=["+12065550100", "+12065550101"], SMS_RATE=0)
    def test_unlimited_senders_share_the_texts_in_turn(self) -> None:
        bookings = pacing.book([(f"+1206555{n:04d}", 1) for n in range(4)], {})
        self.assertEqual([b.sender for b in bookings], ["+12065550100", "+12065550101"] * 2)
        self.assertIsNone(pacing.texts_per_claim())


@override_settings(SMS_BACKEND=f"{__name__}.ClockedTransport", SMS_SENDERS=["+12065550100", "+12065550101"],
                   SMS_RATE=20)
class PacedDispatchTests(TurnoutTestCase):
    def setUp(self) -> None:
        ClockedTransport.sent.clear()
        self.numbers = [f"+1206556{n:04d}" for n in range(20)]
        for number in self.numbers:
            person = make_person(self.local, phone=number, postal_code="98101")
            record_consent(person=person, channel="sms", address=number, action="opt_in", source="form")
        self.people = Person.objects.filter(phones__number__in=self.numbers)

    def send(self, body: str) -> Message:
        message = Message.objects.create(group=self.local, channel="sms", body=body, ignore_quiet_hours=True,
                                         override_reason="test")
        outbox.materialize(message, self.people)
        outbox.dispatch(message)
        return message

    def test_no_sender_goes_faster_than_its_rate_and_people_keep_their_sender(self) -> None:
        # 150 characters, and the first text also says how to stop: two segments each.
        first = self.send("Rally at Westlake Park at 6pm tonight. Bring a sign, bring a coworker, bring water. "
                          "Marshals meet at 5:30 by the fountain. Childcare is on site.")
        self.assertEqual(len(ClockedTransport.sent), 20)
        self.assertEqual(set(Delivery.objects.filter(message=first).values_list("segments", flat=True)), {2})
        times: dict[str, list[float]] = defaultdict(list)
        for sender, at, _sms in ClockedTransport.sent:
            times[sender].append(at)
        self.assertEqual(sorted(len(t) for t in times.values()), [10, 10])
        for sender_times in times.values():
            sender_times.sort()
            # 20 segments a second at two segments a text: 10 texts a second. In any half second
            # a carrier counting would see at most 5 (6 with one on the window's edge).
            busiest = max(sum(1 for t in sender_times if start <= t < start + 0.5) for start in sender_times)
            self.assertLessEqual(busiest, 6, sender_times)
            # Ten texts at 0.1 s apart span 0.9 s; a first text sent late on a busy machine lets
            # the later ones keep their booked times, so the span may come out a little shorter.
            # Unpaced, it would be a few milliseconds.
            self.assertGreaterEqual(sender_times[-1] - sender_times[0], 0.75)
        senders = dict(Delivery.objects.filter(message=first).values_list("address", "sender"))

        ClockedTransport.sent.clear()
        second = self.send("Moved to the north entrance")
        self.assertEqual(dict(Delivery.objects.filter(message=second).values_list("address", "sender")), senders)
        self.assertEqual({sms.sender for _s, _t, sms in ClockedTransport.sent}, set(senders.values()))


@time_machine.travel(FROZEN, tick=False)
@override_settings(SMS_BACKEND="memory", ORGANIZATION_NAME="Local 8 Union")
class GroupQuietHoursTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")

    def blast_at(self, moment: datetime) -> Delivery:
        message = Message.objects.create(group=self.local, channel="sms", body="Picket at the gate")
        outbox.materialize(message, Person.objects.filter(pk=self.member.pk))
        with time_machine.travel(moment, tick=False):
            outbox.dispatch(message)
        return Delivery.objects.get(message=message)

    def test_a_group_that_texts_only_from_ten_to_six_waits_until_ten(self) -> None:
        seven_pm_seattle = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
        self.assertEqual(self.blast_at(seven_pm_seattle).status, "sent")  # the default window runs to 20:00
        self.local.texts_from, self.local.texts_until = 10, 18
        self.local.save()
        delivery = self.blast_at(seven_pm_seattle)
        self.assertEqual(delivery.status, "queued")
        self.assertEqual(delivery.not_before, datetime(2026, 11, 25, 18, 0, tzinfo=UTC))  # 10:00 next morning

    def test_an_admin_sets_the_hours_and_a_window_that_ends_before_it_starts_is_refused(self) -> None:
        self.login(self.admin)
        url = self.local.get_absolute_url()
        response = self.client.post(url, {"messaging": "1", "postal_address": "100 Union St, Seattle WA",
                                          "texts_from": "21", "texts_until": "8"})
        self.assertContains(response, "the end must come after the start")
        self.assertContains(response, "100 Union St, Seattle WA")  # what was typed is kept
        self.local.refresh_from_db()
        self.assertIsNone(self.local.texts_from)
        response = self.client.post(url, {"messaging": "1", "postal_address": "100 Union St, Seattle WA",
                                          "texts_from": "10", "texts_until": "18"})
        self.assertRedirects(response, url)
        self.local.refresh_from_db()
        self.assertEqual((self.local.texts_from, self.local.texts_until, self.local.postal_address),
                         (10, 18, "100 Union St, Seattle WA"))

    def test_only_an_admin_may_change_them(self) -> None:
        self.login(self.organizer)
        response = self.client.post(self.local.get_absolute_url(), {"messaging": "1", "texts_from": "0",
                                                                    "texts_until": "24"})
        self.assertEqual(response.status_code, 403)
        self.local.refresh_from_db()
        self.assertIsNone(self.local.texts_from)


@override_settings(SMS_BACKEND="memory", SMS_SENDERS=["+12065550100::2", "+13125550101"], SMS_RATE=0)
class DailyCapTests(TurnoutTestCase):
    """A number with a daily cap ("address:rate:cap") sends no more than that many texts a day:
    the others take the rest, and with every number capped a text waits for tomorrow."""

    def test_a_capped_number_leaves_the_pool_for_the_rest_of_the_day(self) -> None:
        with time_machine.travel(FROZEN, tick=False):
            first = pacing.book([(f"+1206555{n:04d}", 1) for n in range(5)], {})
            # Someone the capped number texted before goes to the other number once it is capped.
            later = pacing.book([("+12065550001", 1), ("+12065550009", 1)], {"+12065550001": "+12065550100"})
        self.assertEqual([b.sender for b in first].count("+12065550100"), 2)  # local to all five, but capped
        self.assertEqual([b.sender for b in later], ["+13125550101", "+13125550101"])
        with time_machine.travel(FROZEN + timedelta(days=1), tick=False):
            tomorrow = pacing.book([("+12065550010", 1)], {})
        self.assertEqual(tomorrow[0].sender, "+12065550100")

    @override_settings(SMS_SENDERS=["+12065550100::2"])
    def test_with_every_number_capped_a_text_waits_for_tomorrow_and_then_goes(self) -> None:
        simple.outbox.clear()
        people = [make_person(self.local, phone=f"+1206556{n:04d}", postal_code="98101") for n in range(3)]
        for person in people:
            record_consent(person=person, channel="sms", address=person.phones.get().number, action="opt_in",
                           source="form")
        message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
        outbox.materialize(message, Person.objects.filter(pk__in=[p.pk for p in people]))
        with time_machine.travel(FROZEN, tick=False):
            outbox.dispatch(message)
        self.assertEqual(len(simple.outbox), 2)
        waiting = Delivery.objects.get(message=message, status=Delivery.Status.QUEUED)
        self.assertEqual(waiting.attempts, 0)
        # Tomorrow at midnight where the organization is; it then waits for quiet hours to end too.
        self.assertEqual(timezone.localtime(waiting.not_before).time(), clock(0))
        self.assertEqual(timezone.localdate(waiting.not_before), timezone.localdate(FROZEN) + timedelta(days=1))
        with time_machine.travel(FROZEN + timedelta(days=1), tick=False):
            outbox.dispatch(message)
        self.assertEqual(len(simple.outbox), 3)
        self.assertEqual(Delivery.objects.filter(message=message, status=Delivery.Status.SENT).count(), 3)
