"""Group commit for the one row a public form stores: while one request thread of a web process
writes, the rows its other threads bring wait, and the next of them writes them all in one
statement and one commit. A crowd's forms then cost the database one commit per few rows
instead of one each (a commit is most of what a one-row INSERT costs PostgreSQL), and no row
waits for more than the write before its own. Each thread returns once its own row is
committed, or raises what writing its row alone raised: one bad row fails only its own request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)

_WRITTEN = "written"
_LEAD = "lead"  # the row's thread writes the rows waiting now, its own among them


class _Row:
    __slots__ = ("done", "outcome", "values")

    def __init__(self, values: Sequence[Any]) -> None:
        self.values = values
        self.done = threading.Event()
        self.outcome: object = None  # _WRITTEN, _LEAD, or the exception writing it alone raised


class Writer:
    """Rows for one table, written by `write(rows)` (one statement, committed when it returns)."""

    def __init__(self, write: Callable[[list[Sequence[Any]]], None]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._waiting: list[_Row] = []
        self._writing = False

    def add(self, values: Sequence[Any]) -> None:
        """Write one row, with whatever rows are waiting; return once it is committed."""
        mine = _Row(values)
        with self._lock:
            self._waiting.append(mine)
            lead, self._writing = not self._writing, True
        if not lead:
            mine.done.wait()
            if mine.outcome is _WRITTEN:
                return
            if isinstance(mine.outcome, BaseException):
                raise mine.outcome
        with self._lock:
            rows, self._waiting = self._waiting, []
        try:
            self._write_all(rows)
        finally:
            with self._lock:
                if self._waiting:  # rows that came meanwhile: the first one's thread writes them next
                    self._waiting[0].outcome = _LEAD
                    self._waiting[0].done.set()
                else:
                    self._writing = False
            for row in rows:
                if row is not mine:
                    if row.outcome is None:  # the write was cut short (the process is stopping)
                        row.outcome = RuntimeError("the row's write was interrupted")
                    row.done.set()
        if isinstance(mine.outcome, BaseException):
            raise mine.outcome

    def _write_all(self, rows: list[_Row]) -> None:
        try:
            self._write([row.values for row in rows])
        except Exception as exc:
            if len(rows) == 1:
                rows[0].outcome = exc
                return
            for row in rows:  # one at a time, so that a bad row fails only its own request
                try:
                    self._write([row.values])
                except Exception as alone:
                    row.outcome = alone
                else:
                    row.outcome = _WRITTEN
        else:
            for row in rows:
                row.outcome = _WRITTEN


ALONE = "alone"  # what `Together` answers an act that its batch did not take: the caller does it alone


class _Act[T]:
    __slots__ = ("done", "item", "outcome")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = threading.Event()
        self.outcome: object = None


class Together[T, R]:
    """Acts that a web process's request threads bring at the same moment, done by one of them in
    one call, `run(items)` (one transaction, committed when it returns), which answers each item's
    result in order, or ALONE for one it leaves to its caller. As with `Writer`, the acts that come
    while one batch runs wait for it and make the next batch, and each thread returns with its own
    item's result. A batch that fails as a whole answers ALONE to every item: each request then
    takes the one-by-one path, where an error is its own.

    While a crowd comes (the last batch had more than one act), the thread that runs the next batch
    first waits up to `gather` seconds for more acts, and no longer once `most` are waiting: what a
    batch costs the database is mostly the same for one act or many, so fewer, larger batches let
    the process answer more acts. A lone act never waits."""

    def __init__(self, run: Callable[[list[T]], list[R | str]], *, gather: float = 0.0, most: int = 32) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._waiting: list[_Act[T]] = []
        self._running = False
        self.gather, self.most = gather, most
        self._last = 0  # how many acts the last batch took

    def _gather(self) -> None:
        """Wait up to `gather` seconds, or until `most` acts are waiting. Polled with short sleeps,
        not a timed wait on a condition: under libfaketime (the test suite's future clock) with
        Python 3.13 such a wait may never end."""
        deadline = time.monotonic() + self.gather
        while time.monotonic() < deadline:
            with self._lock:
                if len(self._waiting) >= self.most:
                    return
            time.sleep(min(0.0005, self.gather))

    def do(self, item: T) -> R | str:
        """`item`'s result from the batch it joins, or ALONE."""
        mine = _Act(item)
        with self._lock:
            self._waiting.append(mine)
            lead, self._running = not self._running, True
        if not lead:
            mine.done.wait()
            if mine.outcome is not _LEAD:
                return mine.outcome  # type: ignore[return-value]
        if self.gather > 0 and self._last > 1:
            self._gather()
        with self._lock:
            acts, self._waiting = self._waiting[:self.most], self._waiting[self.most:]
            self._last = len(acts)
        try:
            try:
                results = self._run([act.item for act in acts])
            except Exception:
                logger.exception("A batch of %s acts failed; each is done alone", len(acts))
                results = [ALONE] * len(acts)
            for act, result in zip(acts, results, strict=True):
                act.outcome = result
        finally:
            with self._lock:
                if self._waiting:  # acts that came meanwhile: the first one's thread runs them next
                    self._waiting[0].outcome = _LEAD
                    self._waiting[0].done.set()
                else:
                    self._running = False
            for act in acts:
                if act is not mine:
                    if act.outcome is None:  # the batch was cut short (the process is stopping)
                        act.outcome = ALONE
                    act.done.set()
        return mine.outcome if mine.outcome is not None else ALONE  # type: ignore[return-value]
