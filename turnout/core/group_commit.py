"""Group commit for the one row a public form stores: while one request thread of a web process
writes, the rows its other threads bring wait, and the next of them writes them all in one
statement and one commit. A crowd's forms then cost the database one commit per few rows
instead of one each (a commit is most of what a one-row INSERT costs PostgreSQL), and no row
waits for more than the write before its own. Each thread returns once its own row is
committed, or raises what writing its row alone raised: one bad row fails only its own request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

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
