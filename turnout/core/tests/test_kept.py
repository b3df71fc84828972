"""Pages and counts kept in a web process (`core.kept.KeptPages`): a row kept too long is read
again once, not by every thread of a crowd at the same moment."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.http import Http404
from django.test import SimpleTestCase

from turnout.core.kept import KeptPages


class KeptPagesTests(SimpleTestCase):
    def test_a_row_kept_too_long_is_read_again_by_one_thread_while_the_others_get_it_as_kept(self) -> None:
        """A popular petition's count, out of date: the first thread to ask counts again; the
        signers answered meanwhile by the process's other threads see the count as it was, and
        nobody else counts. Once the count is done, everyone sees the new one."""
        kept: KeptPages[int] = KeptPages(seconds=5)
        kept.rows["petition"] = (time.monotonic() - 6, 41)  # read six seconds ago
        counting, go_on = threading.Event(), threading.Event()
        reads: list[str] = []

        def count_slowly() -> int:
            reads.append("slow")
            counting.set()
            go_on.wait(timeout=10)
            return 57

        def count() -> int:
            reads.append("again")
            return 99

        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(kept.get, "petition", count_slowly)
            self.assertTrue(counting.wait(timeout=10))
            self.assertEqual([kept.get("petition", count) for _ in range(20)], [41] * 20)
            go_on.set()
            self.assertEqual(first.result(timeout=10), 57)
        self.assertEqual(kept.get("petition", count), 57)
        self.assertEqual(reads, ["slow"])

    def test_a_row_that_cannot_be_read_again_is_no_longer_kept(self) -> None:
        """A page deleted in another process: the read again says 404, and the next request is not
        answered from the old copy but asks again."""
        kept: KeptPages[str] = KeptPages(seconds=5)
        kept.rows["page"] = (time.monotonic() - 6, "the page as it was")

        def gone() -> str:
            raise Http404("deleted")

        with self.assertRaises(Http404):
            kept.get("page", gone)
        with self.assertRaises(Http404):
            kept.get("page", gone)
        self.assertEqual(kept.get("page", lambda: "a new page"), "a new page")

    def test_a_row_read_within_its_seconds_is_not_read_again(self) -> None:
        kept: KeptPages[int] = KeptPages(seconds=5)
        self.assertEqual(kept.get("form", lambda: 1), 1)
        self.assertEqual(kept.get("form", lambda: 2), 1)
        kept.forget("form")
        self.assertEqual(kept.get("form", lambda: 3), 3)

    def test_a_count_expired_by_a_new_signature_is_read_again_once(self) -> None:
        """A signature taken in this process makes the count out of date: the next view counts
        again, and a view answered while it counts shows the count as it was."""
        kept: KeptPages[int] = KeptPages(seconds=5)
        self.assertEqual(kept.get("petition", lambda: 41), 41)
        kept.expire("petition")
        counting, go_on = threading.Event(), threading.Event()

        def count_slowly() -> int:
            counting.set()
            go_on.wait(timeout=10)
            return 42

        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(kept.get, "petition", count_slowly)
            self.assertTrue(counting.wait(timeout=10))
            self.assertEqual(kept.get("petition", lambda: 99), 41)
            go_on.set()
            self.assertEqual(first.result(timeout=10), 42)
        self.assertEqual(kept.get("petition", lambda: 99), 42)
        kept.expire("nothing kept")  # nothing to expire: the next ask reads it
        self.assertEqual(kept.get("nothing kept", lambda: 7), 7)
