"""Pages a crowd sends forms to, kept in each web process for a few seconds, and public forms
built once per version of the page they ask for.

A rally's crowd sends hundreds of forms a second to one page; reading its row, and building its
form's fields, for every one of them was a large part of what each form cost. What is kept here
is only what the answer shows and checks at the door: every act is settled under the page's
current rules by the worker, which reads the page again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django import forms

# How long a page read for the forms sent to it is kept, and for how many pages.
KEPT_SECONDS = 5
KEPT_PAGES = 1000


class KeptPages[M]:
    """Rows by public id, each kept for `seconds` in this process; saving or deleting the row
    in this process forgets it (`forget`), so a change made in another process is at most told a
    few seconds late."""

    def __init__(self, seconds: float = KEPT_SECONDS, bound: int = KEPT_PAGES) -> None:
        self.seconds, self.bound = seconds, bound
        self.rows: dict[Hashable, tuple[float, M]] = {}

    def get(self, key: Hashable, load: Callable[[], M]) -> M:
        """The kept row, or `load()`'s (which may raise, e.g. Http404: nothing is kept then).

        A row kept too long is read again by the first thread to ask; the process's other threads
        get the row as kept until that read is done. A crowd's threads would otherwise all read it
        at once, every few seconds: a popular petition's count (`PETITION_COUNTS`), a COUNT over
        all its signatures, then ran in every thread that answered a signer meanwhile."""
        now = time.monotonic()
        kept = self.rows.get(key)
        if kept is not None:
            if now - kept[0] < self.seconds:
                return kept[1]
            if self.rows.get(key) is kept:  # not forgotten meanwhile (a save in this process)
                self.rows[key] = (now, kept[1])  # the others keep it while this thread reads it again
        try:
            row = load()
        except BaseException:
            self.rows.pop(key, None)
            raise
        if len(self.rows) >= self.bound:
            self.rows.clear()
        self.rows[key] = (now, row)
        return row

    def forget(self, key: Hashable) -> None:
        """The row changed: the next to ask reads it again, and so does every thread asking meanwhile."""
        self.rows.pop(key, None)

    def expire(self, key: Hashable) -> None:
        """The row is out of date (a count that has grown): the next thread to ask reads it again,
        and the others get it as kept until that read is done (see `get`)."""
        kept = self.rows.get(key)
        if kept is not None:
            self.rows[key] = (float("-inf"), kept[1])


class SharedFields(dict[str, forms.Field]):
    """A built form's fields, shared by every form made from them. Django copies a form's fields
    deeply for each form so that one may change them; nothing changes these once built, and
    copying them was a tenth of what a public form cost."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


_BUILT: dict[Hashable, tuple[type[forms.Form], dict[str, Any]]] = {}
_BUILT_KEPT = 500
_building = threading.Lock()


def built_form[F: forms.Form](key: Hashable, build: Callable[[], F]) -> tuple[type[F], dict[str, Any]]:
    """The class of a public form whose fields `build()` made once for `key` (a page's version, the
    language, the consent words), and the attributes `build()` set on the form beside its fields;
    a form made from the class skips the building (see `made`)."""
    found = _BUILT.get(key)
    if found is None:
        with _building:
            built = build()
            state = set(vars(forms.Form()))  # what Django's Form.__init__ sets for each form
            attributes = {name: value for name, value in vars(built).items() if name not in state}
            made = type(f"Built{type(built).__name__}", (type(built),), {"__init__": _init})
            made.base_fields = SharedFields(built.fields)  # type: ignore[attr-defined]
            if len(_BUILT) >= _BUILT_KEPT:
                _BUILT.clear()
            found = _BUILT[key] = (made, attributes)
    return found  # type: ignore[return-value]


def _init(self: forms.Form, *args: Any, **kwargs: Any) -> None:
    forms.Form.__init__(self, *args, **kwargs)


def made[F: forms.Form](key: Hashable, build: Callable[[], F], data: Any = None, **kwargs: Any) -> F:
    """A public form for this request, from the fields built once for `key` (`built_form`)."""
    cls, attributes = built_form(key, build)
    form = cls(data, **kwargs)
    form.__dict__.update(attributes)
    return form
