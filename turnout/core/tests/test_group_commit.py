"""Group commit: rows that arrive while one is being written go together in the next write, each
thread returns only once its own row is written, and a bad row fails only its own thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from django.test import SimpleTestCase

from turnout.core.group_commit import ALONE, Together, Writer


class Held:
    """A write that holds its first call until released, recording every batch it is given."""

    def __init__(self, bad: object = None) -> None:
        self.batches: list[list[Any]] = []
        self.started, self.release = threading.Event(), threading.Event()
        self.bad = bad

    def __call__(self, rows: list[Sequence[Any]]) -> None:
        first = not self.batches
        self.batches.append([row[0] for row in rows])
        if first:
            self.started.set()
            self.release.wait(10)
        if any(row[0] == self.bad for row in rows):
            raise ValueError(f"cannot store {self.bad}")


def add_in_thread(writer: Writer, value: str, results: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            writer.add((value,))
            results[value] = "written"
        except ValueError as exc:
            results[value] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def crowd(write: Held, later: str) -> dict[str, Any]:
    """One row is being written while the rows in `later` arrive; what each thread got."""
    writer, results = Writer(write), dict[str, Any]()
    threads = [add_in_thread(writer, "first", results)]
    assert write.started.wait(10)
    threads += [add_in_thread(writer, value, results) for value in later]
    deadline = time.monotonic() + 10
    while len(writer._waiting) < len(later) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(results.get(value) for value in later), "nobody returns before their row is written"
    write.release.set()
    for thread in threads:
        thread.join(10)
    return results


class GroupCommitTests(SimpleTestCase):
    def test_rows_arriving_during_a_write_are_written_together_next(self) -> None:
        write = Held()
        results = crowd(write, "abcd")
        self.assertEqual(results, dict.fromkeys(["first", *"abcd"], "written"))
        self.assertEqual(write.batches[0], ["first"])
        self.assertEqual(sorted(write.batches[1]), list("abcd"))
        self.assertEqual(len(write.batches), 2)

    def test_a_bad_row_fails_its_own_thread_and_the_rest_are_written(self) -> None:
        write = Held(bad="b")
        results = crowd(write, "abc")
        self.assertIsInstance(results.pop("b"), ValueError)
        self.assertEqual(results, dict.fromkeys(["first", "a", "c"], "written"))
        # The batch of three failed; each of its rows was then tried alone.
        self.assertEqual(sorted(write.batches[1]), list("abc"))
        self.assertEqual(sorted(map(tuple, write.batches[2:])), [("a",), ("b",), ("c",)])

    def test_one_thread_alone_writes_its_row_at_once(self) -> None:
        written: list[Any] = []
        Writer(lambda rows: written.extend(rows)).add(("only",))
        self.assertEqual(written, [("only",)])


class TogetherTests(SimpleTestCase):
    """`Together`: acts that arrive while a batch runs make the next batch, each thread gets its
    own act's result, and a batch that fails leaves every act of it to its own thread."""

    def run_crowd(self, fail_with: str | None) -> tuple[dict[str, Any], list[list[str]]]:
        batches: list[list[str]] = []
        started, release = threading.Event(), threading.Event()

        def run(items: list[str]) -> list[str]:
            batches.append(list(items))
            if len(batches) == 1:
                started.set()
                release.wait(10)
            if fail_with in items:
                raise ValueError(f"cannot take {fail_with}")
            return [f"{item} taken" for item in items]

        together: Together[str, str] = Together(run)
        results: dict[str, Any] = {}

        def act(value: str) -> None:
            results[value] = together.do(value)

        threads = [threading.Thread(target=act, args=("first",))]
        threads[0].start()
        assert started.wait(10)
        later = [threading.Thread(target=act, args=(v,)) for v in ("a", "b", "c")]
        for thread in later:
            thread.start()
        deadline = time.monotonic() + 10
        while len(together._waiting) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        for thread in threads + later:
            thread.join(10)
        return results, batches

    def test_acts_that_come_during_a_batch_make_the_next_and_each_gets_its_own_result(self) -> None:
        """Three acts arriving while the first runs go in one batch; each thread gets its own result."""
        results, batches = self.run_crowd(fail_with=None)
        self.assertEqual(batches, [["first"], ["a", "b", "c"]])
        self.assertEqual(results, {"first": "first taken", "a": "a taken", "b": "b taken", "c": "c taken"})

    def test_a_batch_that_fails_leaves_each_of_its_acts_to_its_own_thread(self) -> None:
        """A failing batch answers ALONE to each of its acts (each request then goes one by one); the
        batch before it is unaffected."""
        results, _batches = self.run_crowd(fail_with="b")
        self.assertEqual(results, {"first": "first taken", "a": ALONE, "b": ALONE, "c": ALONE})

    def test_in_a_crowd_the_next_batch_gathers_up_to_its_most_and_a_lone_act_does_not_wait(self) -> None:
        """After a batch of several acts, the next batch waits for more until `most` are there (not the
        whole window), or at most the window; once acts come alone, none waits."""
        batches: list[list[str]] = []

        def run(items: list[str]) -> list[str]:
            batches.append(list(items))
            return [f"{item} taken" for item in items]

        together: Together[str, str] = Together(run, gather=5.0, most=3)
        together._last = 2  # the batch before had several acts: a crowd is coming
        results: dict[str, Any] = {}

        def act(value: str) -> None:
            results[value] = together.do(value)

        started = time.monotonic()
        threads = [threading.Thread(target=act, args=(value,)) for value in ("a", "b", "c")]
        for thread in threads:
            thread.start()
            time.sleep(0.05)  # not a timed join: under the suite's future clock (libfaketime) it may not end
        for thread in threads:
            thread.join()
        self.assertLess(time.monotonic() - started, 4.5, "the batch ran once `most` acts were there")
        self.assertEqual(batches, [["a", "b", "c"]])
        self.assertEqual(results, {v: f"{v} taken" for v in "abc"})

        together.gather = 0.3
        started = time.monotonic()
        self.assertEqual(together.do("late"), "late taken")
        self.assertGreaterEqual(time.monotonic() - started, 0.25, "after a crowd, the next batch waits a little")
        self.assertLess(time.monotonic() - started, 3.0, "and no longer than its window")
        started = time.monotonic()
        self.assertEqual(together.do("alone"), "alone taken")
        self.assertLess(time.monotonic() - started, 0.25, "a lone act after a lone act does not wait")
        self.assertEqual(batches[1:], [["late"], ["alone"]])
