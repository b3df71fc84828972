"""Quiet hours: texts go out only between 09:00 and 20:00 where the recipient is.

The zone comes from the person's address, else their phone's area code. When neither is
known, a text may go only when it is inside the window in every US zone at once (Eastern
through Hawaii), the conservative choice.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

FALLBACK_ZONES = ("America/New_York", "Pacific/Honolulu")


def window() -> tuple[time, time]:
    start, end = settings.QUIET_HOURS_WINDOW
    return time(start), time(end)


def _open_in(moment: datetime, zone: str) -> bool:
    start, end = window()
    local = moment.astimezone(ZoneInfo(zone)).time()
    return start <= local < end


def is_open(moment: datetime, zone: str | None) -> bool:
    """May a text reach someone in `zone` (None: unknown) at this moment?"""
    zones = (zone,) if zone else FALLBACK_ZONES
    return all(_open_in(moment, z) for z in zones)


def next_opening(moment: datetime, zone: str | None) -> datetime:
    """The first moment at or after `moment` when the window is open, to the quarter hour."""
    candidate = moment
    for _ in range(4 * 48):
        if is_open(candidate, zone):
            return candidate
        candidate = (candidate + timedelta(minutes=15)).replace(second=0, microsecond=0)
        candidate -= timedelta(minutes=candidate.minute % 15)
    return candidate
