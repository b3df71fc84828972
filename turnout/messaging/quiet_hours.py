"""Quiet hours: texts go out only between 09:00 and 20:00 where the recipient is.

The window is the organization's default (TURNOUT_QUIET_HOURS_START/END) unless the
sending group set its own. The zone comes from the person's address, else their phone's
area code. When neither is known, a text may go only when it is inside the window in
every US zone at once (Eastern through Hawaii), the conservative choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings

if TYPE_CHECKING:
    from turnout.accounts.models import Group

FALLBACK_ZONES = ("America/New_York", "Pacific/Honolulu")


@dataclass(frozen=True)
class Window:
    start: int  # first hour texts may arrive, 0 to 23
    end: int  # hour they must stop, 1 to 24 (24 = midnight)

    def contains(self, local: time) -> bool:
        return time(self.start) <= local and (self.end == 24 or local < time(self.end))


def window(group: Group | None = None) -> Window:
    """The group's hours where it set them, else the organization's."""
    start, end = settings.QUIET_HOURS_WINDOW
    if group is not None:
        start = group.texts_from if group.texts_from is not None else start
        end = group.texts_until if group.texts_until is not None else end
    return Window(start, end)


def is_open(moment: datetime, zone: str | None, hours: Window | None = None) -> bool:
    """May a text reach someone in `zone` (None: unknown) at this moment?"""
    hours = hours or window()
    zones = (zone,) if zone else FALLBACK_ZONES
    return all(hours.contains(moment.astimezone(ZoneInfo(z)).time()) for z in zones)


def next_opening(moment: datetime, zone: str | None, hours: Window | None = None) -> datetime:
    """The first moment at or after `moment` when the window is open, to the quarter hour."""
    candidate = moment
    for _ in range(4 * 48):
        if is_open(candidate, zone, hours):
            return candidate
        candidate = (candidate + timedelta(minutes=15)).replace(second=0, microsecond=0)
        candidate -= timedelta(minutes=candidate.minute % 15)
    return candidate


def seconds_left(moment: datetime, zone: str | None, hours: Window | None = None) -> int:
    """How long from `moment` the window stays open (0 when closed): a text held up longer
    than this by the carrier should expire rather than arrive at night."""
    hours = hours or window()
    if not is_open(moment, zone, hours):
        return 0
    left = []
    for z in (zone,) if zone else FALLBACK_ZONES:
        local = moment.astimezone(ZoneInfo(z))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        closes = midnight + timedelta(hours=hours.end)  # wall-clock arithmetic in the zone
        left.append(int((closes.astimezone(ZoneInfo("UTC")) - moment).total_seconds()))
    return max(0, min(left))
