"""Keys in Turnout's private links, left out of logs.

Several of Turnout's links are keys: a member's own RSVP link, an event host's roster, a signed
card's private copy, an unsubscribe link, a staff invitation or password reset. Whoever reads the
logs (a log collector, a hosting company) must not be able to open them, so `redact` replaces the
key with "…" wherever a log line holds a path: the web server's access log
(`site.access_log`) and Django's own messages ("Not Found: /r/<key>/"), through `RedactFilter`."""

from __future__ import annotations

import logging
import re

# The first segments that a key follows, and the key itself (up to the next "/", "?" or space).
SECRET = re.compile(r"(/(?:r|host|card/copy|u|accounts/invitation|accounts/reset/[^/?\s]+)/)[^/?\s\"']+")
# Query parameters that carry a key or a personal address.
SECRET_QUERY = re.compile(r"((?:^|[?&])(?:token|key|code|email|phone)=)[^&\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the keys in Turnout's private links replaced by "…"."""
    return SECRET_QUERY.sub(r"\1…", SECRET.sub(r"\1…", text)) if text else text


class RedactFilter(logging.Filter):
    """Applies `redact` to a log record's message and arguments (Django logs a 404's path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
