"""Merge fields: a person's name put into a message's text.

Both spellings fill: Turnout's own `{first_name}` and the `{{ first_name }}` most email tools
use, with or without spaces inside the braces. A field Turnout does not know is refused where
the text is written (`check`), so nobody gets a text with braces in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

from turnout.people.models import Person

FIELDS = ("first_name", "last_name", "name")
# A message that points somewhere (`Message.link`: a texting campaign's event) may also say
# {event_link}, the page itself, and {share_link}, the same page with the person's own share code,
# so that whoever they pass it to is credited to them.
LINK_FIELDS = ("event_link", "share_link")
# The person's own share code, made the first time it is asked for: set by the sharing app,
# which sits above messaging.
share_code: Callable[[Person], str] | None = None
# `{{ x }}` first, so its inner `{ x }` is not taken alone and the outer braces left behind.
FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


class UnknownMergeField(ValueError):
    """A text names a merge field Turnout cannot fill; the message says which and what may be used."""

    def __init__(self, names: list[str], template: str = "") -> None:
        self.names = names
        template = template or _("Unknown merge field %(fields)s: use {first_name}, {last_name} or {name} "
                                 "(or the same in double braces).")
        super().__init__(template % {"fields": ", ".join(f"{{{n}}}" for n in names)})


def unknown(text: str, *, links: bool = False) -> list[str]:
    """The merge fields in `text` that cannot be filled, each once, in order (`links`: the
    message has a link, so LINK_FIELDS can)."""
    found: list[str] = []
    for match in FIELD.finditer(text or ""):
        name = match.group(1) or match.group(2)
        if name not in FIELDS and not (links and name in LINK_FIELDS) and name not in found:
            found.append(name)
    return found


def uses_links(text: str) -> bool:
    return any((m.group(1) or m.group(2)) in LINK_FIELDS for m in FIELD.finditer(text or ""))


def check(*texts: str, links: bool = False) -> None:
    """Refuse texts that name a merge field Turnout cannot fill (UnknownMergeField)."""
    names: list[str] = []
    for text in texts:
        names += [n for n in unknown(text, links=links) if n not in names]
    if names:
        raise UnknownMergeField(names)


def check_subject(subject: str) -> None:
    """A subject goes out as written: any merge field in it is refused (UnknownMergeField)."""
    names = [m.group(1) or m.group(2) for m in FIELD.finditer(subject or "")]
    if names:
        raise UnknownMergeField(names, _("Merge fields are filled in the message, not in the subject: %(fields)s."))


def values(person: Person) -> dict[str, str]:
    first = person.preferred_name or person.given_name or ""
    return {"first_name": first, "last_name": person.family_name or "",
            "name": f"{first} {person.family_name or ''}".strip()}


def share_link(link: str, person: Person) -> str:
    code = share_code(person) if share_code is not None and person.pk else ""
    return f"{link}?ref={code}" if link and code else link


def fill(text: str, person: Person, link: str = "") -> str:
    """`text` with the person's merge fields filled, and the link fields with `link` (the person's
    own share code asked for only where the text uses it); anything else in braces is left as written."""
    known = values(person)

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "event_link":
            return link
        if name == "share_link":
            return share_link(link, person)
        return known[name] if name in known else match.group(0)

    return FIELD.sub(one, text)
