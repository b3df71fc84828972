"""Door knocking: a campaign whose channel is "door". Its contacts' households are cut into turfs
(by count, or drawn on the map) in walking order, each turf given to a canvasser or a pair; the
canvasser's phone downloads a turf, records results with no signal, and syncs them once.

Walking order: by street, then the odd side up and the even side back down, by house number; where
the households have their own coordinates (an import's latitude and longitude, not their ZIP's
centre), streets follow one another by distance, and turfs cut by count are cut along a
space-filling curve, so each is a compact patch of the map.
"""

from __future__ import annotations

import gc
import math
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from turnout.accounts.models import User
from turnout.core import audit, geo
from turnout.core.models import AuditEntry
from turnout.messaging import audience as audience_mod
from turnout.messaging import merge
from turnout.messaging import results as contact_results
from turnout.people.models import ResultCode
from turnout.people.services import add_tag_many
from turnout.texting import tasks
from turnout.texting.models import (
    Conversation,
    DoorResult,
    MergedContact,
    SurveyChoice,
    SurveyResponse,
    Texter,
    TextingCampaign,
    Turf,
    TurfDownload,
)
from turnout.texting.services import PLACE, TextingError, _live, fill_texter, whole

MAX_TURF_DOORS = 500
MAX_SYNC = 500  # results in one sync request
MAX_AREA_POINTS = 200
# A house number, a letter glued to it (12B), then the street; "100 N Main St" keeps its N.
_HOUSE = re.compile(r"^\s*(\d+)([a-z]?)\b[\s,]*(.*)$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


# The words of an address written more than one way, in the USPS's short form, so "201 Oak Avenue."
# and "201 Oak Ave" are one door, and "North Main Street" and "N Main St" one street.
_ADDRESS_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr", "boulevard": "blvd",
    "lane": "ln", "court": "ct", "place": "pl", "terrace": "ter", "parkway": "pkwy", "highway": "hwy",
    "circle": "cir", "square": "sq", "trail": "trl", "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw", "apartment": "apt", "unit": "apt",
    "#": "apt", "suite": "ste",
}
_ADDRESS_MARKS = re.compile(r"[.,;\x1f]")


def household_key(key: str) -> str:
    """A household's key as launch wrote it (address lines in lower case, "|", the ZIP) in one
    spelling: short forms, punctuation aside, so one door typed two ways is one household."""
    if key.startswith(PLACE):
        return key
    line1, _sep, rest = key.partition("|")
    line2, _sep, postal_code = rest.partition("|")
    lines = []
    for line in (line1, line2):
        words = _ADDRESS_MARKS.sub(" ", line).replace("#", " # ").split() if line else ()
        lines.append(" ".join([_ADDRESS_WORDS.get(word, word) for word in words]).replace("apt apt", "apt"))
    return f"{lines[0]}|{lines[1]}|{postal_code}"[:250]


@dataclass(slots=True)
class Household:
    key: str
    line1: str
    postal_code: str
    lat: float | None
    lng: float | None
    street: str = ""
    number: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def side(self) -> int:
        return self.number % 2


def _households(rows: Iterable[Sequence[Any]]) -> list[Household]:
    """Rows of (conversation id, household, address line 1, ZIP, lat, lng) as households, each with
    its street and house number read from the address, and coordinates only where they are the
    household's own (not the ZIP's centre, which every household of the ZIP shares)."""
    found: dict[str, Household] = {}
    places: dict[str, Any] = {}
    spelt: dict[str, str] = {}
    for pk, typed, line1, postal_code, lat, lng in rows:
        key = spelt.get(typed) or spelt.setdefault(typed, household_key(typed))
        if key.startswith(PLACE):  # a place in a workplace: walked by its name, not the map
            line1, lat, lng = key[len(PLACE):], None, None
        else:  # the street as the household's key spells it: "N Main St", however it was typed
            line1 = key.partition("|")[0] or line1
        home = found.get(key)
        if home is None:
            if postal_code not in places:
                places[postal_code] = geo.lookup_zip(postal_code) if postal_code else None
            place = places[postal_code]
            own = lat is not None and lng is not None and not (
                place is not None and abs(place.latitude - lat) < 1e-6 and abs(place.longitude - lng) < 1e-6)
            home = found[key] = Household(key, line1, postal_code, lat if own else None, lng if own else None)
            match = _HOUSE.match(line1 or "")
            if match:
                home.number, home.street = int(match.group(1)), _SPACES.sub(" ", match.group(3).strip().lower())
            else:
                home.street = _SPACES.sub(" ", (line1 or "").strip().lower())
        home.ids.append(pk)
    return list(found.values())


def _curve(x: int, y: int, order: int) -> int:
    """The cell (x, y)'s place along a Hilbert curve over a 2**order square: near on the curve, near
    on the ground."""
    side = 1 << order
    d, s = 0, side >> 1
    while s > 0:
        rx, ry = int(x & s > 0), int(y & s > 0)
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = side - 1 - x, side - 1 - y
            x, y = y, x
        s >>= 1
    return d


def _along_curve(homes: list[Household], order: int = 12) -> None:
    """Sort households with coordinates along a Hilbert curve over their own bounding box (4,096
    cells a side: a few metres in a city), those without at the end by street."""
    placed = [h for h in homes if h.lat is not None and h.lng is not None]
    if not placed:
        return
    south, north = min(h.lat for h in placed), max(h.lat for h in placed)  # type: ignore[type-var]
    west, east = min(h.lng for h in placed), max(h.lng for h in placed)  # type: ignore[type-var]
    top = (1 << order) - 1
    span_y, span_x = max(north - south, 1e-9), max(east - west, 1e-9)  # type: ignore[operator]
    keys = {id(h): _curve(int((h.lng - west) / span_x * top), int((h.lat - south) / span_y * top), order)  # type: ignore[operator]
            for h in placed}
    homes.sort(key=lambda h: (keys.get(id(h), 1 << 40), h.postal_code, h.street, h.side, h.number))


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance, in degrees of latitude: enough to order doors a walk apart."""
    return math.hypot(a[0] - b[0], (a[1] - b[1]) * math.cos(math.radians((a[0] + b[0]) / 2)))


def walk_order(homes: list[Household]) -> list[Household]:
    """Street by street: the odd side up by house number, then the even side back down. With
    coordinates, each next street is the nearest to where the last one ended; else by ZIP and name."""
    streets: dict[tuple[str, str], list[Household]] = {}
    for home in homes:
        streets.setdefault((home.postal_code, home.street), []).append(home)
    walks = []
    for doors in streets.values():
        odd = sorted((h for h in doors if h.side), key=lambda h: (h.number, h.key))
        even = sorted((h for h in doors if not h.side), key=lambda h: (-h.number, h.key))
        walks.append(odd + even)
    placed = [w for w in walks if any(h.lat is not None for h in w)]
    if len(placed) < 2:
        return [home for walk in sorted(walks, key=lambda w: (w[0].postal_code, w[0].street)) for home in walk]

    def ends(walk: list[Household]) -> tuple[tuple[float, float], tuple[float, float]]:
        points = [(h.lat, h.lng) for h in walk if h.lat is not None and h.lng is not None]
        return points[0], points[-1]

    ordered: list[list[Household]] = []
    left = sorted(placed, key=lambda w: (ends(w)[0][1], ends(w)[0][0]))  # start in the west
    here = ends(left[0])[0]
    while left:
        nearest = min(left, key=lambda w: _distance(here, ends(w)[0]))
        left.remove(nearest)
        ordered.append(nearest)
        here = ends(nearest)[1]
    unplaced = sorted((w for w in walks if w not in placed), key=lambda w: (w[0].postal_code, w[0].street))
    return [home for walk in ordered + unplaced for home in walk]


def _name(homes: list[Household], number: int) -> str:
    streets = list(dict.fromkeys(h.street.title() for h in homes if h.street))
    where = streets[0] + (f" +{len(streets) - 1}" if len(streets) > 1 else "") if streets else ""
    return f"{number}. {where}".strip()[:100] if where else str(number)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A cut makes a few hundred thousand objects that all live until it ends; Python's cycle
    collector would walk them over and over for nothing (a second of a 100,000-household cut)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _last_number(campaign: TextingCampaign) -> int:
    """The highest number a turf's name starts with ("12. Pine St"), so a turf cut after one was
    dissolved takes a number of its own."""
    names = campaign.turfs.values_list("name", flat=True)
    return max((int(m.group(1)) for m in (_NUMBERED.match(n) for n in names) if m), default=0)


_NUMBERED = re.compile(r"^(\d{1,9})\.")


def _unturfed(campaign: TextingCampaign) -> list[Household]:
    rows = (Conversation.objects.filter(campaign=campaign, turf__isnull=True)
            .exclude(status=Conversation.Status.OPTED_OUT).order_by("pk")
            .values_list("pk", "household", "person__address_line1", "person__postal_code", "person__latitude",
                         "person__longitude"))
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:  # plain tuples: a turf cut reads every household at once
        cursor.execute(sql, params)
        return _households(cursor.fetchall())


def _place(turfs: list[tuple[Turf, list[Household]]]) -> None:
    """Write each contact's turf, place in its walk and household (in `household_key`'s spelling), set-based."""
    ids, turf_ids, orders, keys = [], [], [], []
    for turf, homes in turfs:
        for position, home in enumerate(walk_order(homes), start=1):
            for pk in home.ids:
                ids.append(pk)
                turf_ids.append(turf.pk)
                orders.append(position)
                keys.append(home.key.replace(_UNIT, " "))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Each list as one string, split by the server: a hundred thousand numbers bound one by one
            # cost more than the update.
            cursor.execute("UPDATE texting_conversation c SET turf_id = v.turf, walk_order = v.ord, household = v.home "
                           "FROM (SELECT UNNEST(STRING_TO_ARRAY(%s, ',')::bigint[]) AS id, "
                           "UNNEST(STRING_TO_ARRAY(%s, ',')::bigint[]) AS turf, "
                           "UNNEST(STRING_TO_ARRAY(%s, ',')::integer[]) AS ord, "
                           "UNNEST(STRING_TO_ARRAY(%s, %s)) AS home) v WHERE c.id = v.id",
                           [*(",".join(map(str, values)) for values in (ids, turf_ids, orders)), _UNIT.join(keys),
                            _UNIT])
        else:
            cursor.executemany("UPDATE texting_conversation SET turf_id = %s, walk_order = %s, household = %s "
                               "WHERE id = %s", list(zip(turf_ids, orders, keys, ids, strict=True)))


_UNIT = "\x1f"  # the ASCII unit separator, between the households' keys sent as one string


def _by_street(homes: list[Household], doors: int) -> list[list[Household]]:
    """Turfs of about `doors` households that keep each street whole where they can: a street joins
    the turf being filled unless that takes it past a quarter over; a longer street is cut alone."""
    groups: list[list[Household]] = []
    current: list[Household] = []
    at = 0
    while at < len(homes):
        end = at
        while end < len(homes) and (homes[end].postal_code, homes[end].street) == (homes[at].postal_code,
                                                                                     homes[at].street):
            end += 1
        street = homes[at:end]
        if current and len(current) + len(street) > doors * 1.25:
            groups.append(current)
            current = []
        if len(street) > doors * 1.25:
            count = math.ceil(len(street) / doors)
            size = math.ceil(len(street) / count)
            groups += [street[n:n + size] for n in range(0, len(street), size)]
        else:
            current += street
        at = end
    if current:
        groups.append(current)
    return groups


def _door_campaign(campaign: TextingCampaign) -> None:
    if not campaign.is_door:
        raise TextingError(_("Only a door-knocking campaign has turfs."))
    if campaign.status == TextingCampaign.Status.DRAFT:
        raise TextingError(_("Launch the campaign first: its households are read at launch."))


def cut(*, actor: User, campaign: TextingCampaign, doors: int) -> int:
    """Cut every household not yet in a turf into turfs of about `doors` households each; how many
    turfs. Where most households have their own coordinates the cut follows the map, else the streets."""
    if not 5 <= doors <= MAX_TURF_DOORS:
        raise TextingError(_("A turf holds between 5 and %(max)s doors.") % {"max": MAX_TURF_DOORS})
    with transaction.atomic(), _collector_paused():
        campaign = TextingCampaign.objects.select_for_update().select_related("group").get(pk=campaign.pk)
        _door_campaign(campaign)  # as it is now, and one cut at a time
        homes = _unturfed(campaign)
        if not homes:
            raise TextingError(_("Every household is in a turf already."))
        if sum(h.lat is not None for h in homes) * 2 > len(homes):
            _along_curve(homes)
            count = math.ceil(len(homes) / doors)
            size = math.ceil(len(homes) / count)  # even turfs: 130 doors in 60s is 44, 43 and 43
            groups = [homes[at:at + size] for at in range(0, len(homes), size)]
        else:
            homes.sort(key=lambda h: (h.postal_code, h.street, h.side, h.number, h.key))
            groups = _by_street(homes, doors)
        start = _last_number(campaign)
        made = Turf.objects.bulk_create(Turf(campaign=campaign, name=_name(group, start + n), doors=len(group))
                                        for n, group in enumerate(groups, start=1))
        _place(list(zip(made, groups, strict=True)))
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                     summary=f"Cut {len(homes)} households into {len(made)} turfs of about {doors} doors")
    return len(made)


def _inside(point: tuple[float, float], polygon: list[tuple[float, float]]) -> bool:
    """Ray casting: whether (lat, lng) lies inside the polygon."""
    lat, lng = point
    inside = False
    for (lat1, lng1), (lat2, lng2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (lng1 > lng) != (lng2 > lng) and lat < (lat2 - lat1) * (lng - lng1) / (lng2 - lng1) + lat1:
            inside = not inside
    return inside


def parse_area(value: Any) -> list[tuple[float, float]]:
    """A polygon as the map sends it, [[lat, lng], …]; TextingError saying what is wrong."""
    try:
        points = [(float(lat), float(lng)) for lat, lng in value]
    except (TypeError, ValueError, OverflowError):
        raise TextingError(_("Draw the turf on the map: click at least three corners.")) from None
    if not 3 <= len(points) <= MAX_AREA_POINTS or not all(
            -90 <= lat <= 90 and -180 <= lng <= 180 and math.isfinite(lat + lng) for lat, lng in points):
        raise TextingError(_("Draw the turf on the map: click at least three corners."))
    return points


def cut_area(*, actor: User, campaign: TextingCampaign, name: str, area: Any) -> Turf:
    """A turf of the households not yet in one whose own coordinates lie inside the polygon drawn."""
    polygon = parse_area(area)
    with transaction.atomic(), _collector_paused():
        campaign = TextingCampaign.objects.select_for_update().select_related("group").get(pk=campaign.pk)
        _door_campaign(campaign)
        homes = [h for h in _unturfed(campaign)
                 if h.lat is not None and h.lng is not None and _inside((h.lat, h.lng), polygon)]
        if not homes:
            raise TextingError(_("No household without a turf lies inside the area you drew. Households with no "
                                 "coordinates of their own can be cut by count."))
        turf = Turf.objects.create(campaign=campaign, name=(name.strip() or _name(homes, _last_number(campaign) + 1))[:100],
                                   area=[[lat, lng] for lat, lng in polygon], doors=len(homes))
        _place([(turf, homes)])
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                     summary=f"Cut the turf {turf.name} on the map: {len(homes)} households")
    return turf


def _turf_locked(turf: Turf) -> Turf:
    found = Turf.objects.select_for_update().filter(pk=turf.pk).first()
    if found is None:  # dissolved a moment ago (a second click)
        raise TextingError(_("That turf was dissolved: its doors are in no turf."))
    return found


def assign(*, actor: User, turf: Turf, canvassers: list[Texter]) -> Turf:
    """Give the turf to a canvasser or a pair (none: nobody holds it). A canvasser who loses it keeps
    nothing of it, and what their phone syncs from it later is kept and flagged."""
    if len(canvassers) > 2:
        raise TextingError(_("Give a turf to one canvasser or a pair."))
    if any(c.campaign_id != turf.campaign_id or c.removed_at for c in canvassers):
        raise TextingError(_("That canvasser is not on this campaign."))
    with transaction.atomic():
        turf = _turf_locked(turf)
        before = set(turf.canvassers.values_list("pk", flat=True))
        if before != {c.pk for c in canvassers}:
            turf.canvassers.set(canvassers)
            if before - {c.pk for c in canvassers}:
                turf.revision += 1
                turf.save(update_fields=["revision", "updated_at"])
            audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=turf.campaign, group=turf.campaign.group,
                         summary=f"Gave the turf {turf.name} to {' and '.join(c.name for c in canvassers) or 'nobody'}")
    return turf


def dissolve(*, actor: User, turf: Turf) -> int:
    """Undo a turf (drawn in the wrong place, cut too big): its doors go back to no turf, to be cut
    or drawn again, with their results. A canvasser's phone that downloaded it still syncs what it
    recorded there: kept and flagged. How many doors."""
    with transaction.atomic():
        campaign = TextingCampaign.objects.select_for_update().get(pk=turf.campaign_id)  # one cut at a time
        turf = _turf_locked(turf)
        doors = Conversation.objects.filter(turf=turf).update(turf=None, walk_order=None)
        name = turf.name
        turf.delete()
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                     summary=f"Dissolved the turf {name}: {doors} doors back to no turf")
    return doors


def progress(campaign: TextingCampaign) -> QuerySet[Turf]:
    """The campaign's turfs with their households knocked (`knocked`: any result) and reached."""
    return (campaign.turfs.annotate(
        knocked=Count("contacts__household", filter=Q(contacts__result__isnull=False), distinct=True),
        reached=Count("contacts", filter=Q(contacts__result__key="talked", contacts__result__group__isnull=True)))
        .prefetch_related("canvassers").order_by("pk"))


def turfs_of(texter: Texter) -> list[Turf]:
    return list(texter.turfs.filter(campaign_id=texter.campaign_id).order_by("pk"))


def turf_data(*, texter: Texter, turf_id: Any) -> dict[str, Any]:
    """What a canvasser's phone downloads to walk a turf with no signal: the households in walking
    order with each person's first name (the address is where to knock; nothing else of the
    record), the script, the survey and the result codes. The download is audited."""
    _live(texter)
    turf = texter.turfs.filter(public_id=str(turf_id)).first() if _uuid(turf_id) else None
    if turf is None:
        raise TextingError(_("This turf is no longer yours: your organizer gave it to someone else."))
    campaign = texter.campaign
    contacts = (Conversation.objects.filter(turf=turf).select_related("person", "result")
                .order_by("walk_order", "household", "pk"))
    households: list[dict[str, Any]] = []
    for contact in contacts:
        person = contact.person
        if not households or households[-1]["key"] != contact.household:
            where = (contact.household[len(PLACE):] if contact.household.startswith(PLACE) else
                     ", ".join(p for p in (person.address_line1, person.address_line2) if p))
            households.append({"key": contact.household, "order": contact.walk_order, "address": where,
                               "people": []})
        script = campaign.script_es if person.language == "es" and campaign.script_es else campaign.script
        households[-1]["people"].append({
            "id": contact.pk, "name": person.preferred_name or person.given_name or _("(no name)"),
            "script": fill_texter(merge.fill(script, person, link=campaign.link), texter.name),
            "result": contact.result.display if contact.result else ""})
    ids = [contact.pk for contact in contacts]
    download, made = TurfDownload.objects.get_or_create(turf=turf, texter=texter, defaults={"contacts": ids})
    if not made:  # downloaded again: the doors of both downloads are on the phone
        download.at, download.contacts = timezone.now(), sorted(set(download.contacts) | set(ids))
        download.save(update_fields=["at", "contacts"])
    audit.record(actor=None, action=AuditEntry.Action.VIEW, target=campaign, group=campaign.group,
                 summary=f"Canvasser {texter.name} downloaded the turf {turf.name}: {len(households)} households",
                 detail={"canvasser": str(texter.public_id), "turf": str(turf.public_id)})
    # Each person's address and first name went to the canvasser's phone: a read of their record.
    audit.record_many({"actor": None, "action": AuditEntry.Action.VIEW, "target": contact.person,
                       "group": campaign.group,
                       "summary": f"Canvasser {texter.name} downloaded this person's address in the turf {turf.name}"}
                      for contact in contacts)
    return {"id": str(turf.public_id), "name": turf.name, "revision": turf.revision, "households": households,
            "questions": [{"id": q.pk, "prompt": q.prompt,
                           "choices": [{"id": c.pk, "label": c.label, "follow_up": c.follow_up} for c in q.choices.all()]}
                          for q in campaign.questions.prefetch_related("choices")],
            "results": [{"id": c.pk, "label": c.display, "talked": _talked(c)}
                        for c in contact_results.codes_for(campaign.group)],
            "scale": [{"score": score, "label": str(label)} for score, label in _scale(campaign)]}


def _scale(campaign: TextingCampaign) -> Sequence[tuple[int, Any]]:
    """The scale a canvasser assesses each door on, when the walk is written back to where its people
    came from (an organizing campaign's 1 to 5 support); empty for a walk of homes."""
    source = audience_mod.source_walks(campaign.audience.get("source", "")) if campaign.is_door else None
    return source.scale if source else ()


def _assessed(item: dict[str, Any], scale: Sequence[tuple[int, Any]], talked: bool) -> tuple[int | None, str] | None:
    """A result's score on the campaign's scale (only with "talked": a door nobody opened says
    nothing of where they stand) and its next step; None when either is not one it takes."""
    score, next_step = item.get("score"), item.get("next_step", "")
    if score is not None and (not isinstance(score, int) or isinstance(score, bool) or not talked
                              or score not in {s for s, _label in scale}):
        return None
    if not isinstance(next_step, str) or len(next_step.strip()) > 300 or (next_step.strip() and not scale):
        return None
    return score, next_step.strip()


def _client_id(value: Any) -> str:
    """A result's id as the phone made it (a UUID), in one spelling; "" when it is not one."""
    if not isinstance(value, str):
        return ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


def _uuid(value: Any) -> bool:
    return bool(_client_id(str(value)))


def _when(value: Any, now: datetime) -> datetime:
    """When the phone recorded the result: its stamp, if it is a sane one, else now."""
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # a date that does not exist, an offset of a day or more
        moment = None
    if moment is None or timezone.is_naive(moment) or moment > now or (now - moment).days > 30:
        return now
    return moment


def _picked(value: Any, choices: dict[int, SurveyChoice]) -> list[SurveyChoice] | None:
    """The answers a result carries, at most one per question; None when one is not the campaign's."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > len({c.question_id for c in choices.values()}):
        return None
    picked = [choices.get(whole(c) or 0) for c in value]
    if None in picked or len({c.question_id for c in picked if c}) != len(picked):
        return None
    return [c for c in picked if c is not None]


def sync(*, texter: Texter, results: Any) -> dict[str, list[Any]]:
    """Take the results a canvasser's phone recorded, each exactly once however often it is sent
    (a sync cut off and retried, a phone that sends twice): each by its `client_id`.

    A result for a door of a turf the canvasser holds is written on the person's record. One for a
    turf they downloaded but no longer hold (given to someone else, or the canvasser removed, or the
    campaign finished) is kept and flagged for the organizer, who may write it on the record; one for
    a door of a turf they never had is refused. Answers {"accepted": [...], "flagged": [...],
    "refused": [{"client_id", "reason"}]}."""
    if not isinstance(results, list) or len(results) > MAX_SYNC:
        raise TextingError(_("Send at most %(n)s results at a time, as a list.") % {"n": MAX_SYNC})
    campaign = texter.campaign
    closed = texter.removed_at is not None or campaign.status == TextingCampaign.Status.FINISHED
    codes = {c.pk: c for c in contact_results.codes_for(campaign.group)}
    choices = {c.pk: c for c in SurveyChoice.objects.filter(question__campaign=campaign).select_related("question")}
    scale = _scale(campaign)
    answer: dict[str, list[Any]] = {"accepted": [], "flagged": [], "refused": []}
    now = timezone.now()
    items = [r if isinstance(r, dict) else {} for r in results]
    with transaction.atomic():
        # The doors first, locked in one order: a second sync of the same results waits here, then
        # finds them stored below and acknowledges them.
        asked = {pk for pk in (whole(r.get("contact")) for r in items) if pk is not None}
        # Doors gone with a merged record sync to the kept record's door.
        moved = {m.from_id: m for m in MergedContact.objects.filter(conversation__campaign=campaign, from_id__in=asked)}
        ids = sorted(asked | {m.conversation_id for m in moved.values()})
        contacts = {c.pk: c for c in Conversation.objects.select_for_update(of=("self",)).select_related("person")
                    .filter(campaign=campaign, pk__in=ids).order_by("pk")}
        wanted = [cid for cid in (_client_id(r.get("client_id")) for r in items) if cid]
        known = {str(cid) for cid in DoorResult.objects.filter(client_id__in=wanted).values_list("client_id", flat=True)}
        held = set() if closed else set(texter.turfs.values_list("pk", flat=True))
        had: set[Any] = set()  # the turfs this canvasser downloaded, and their doors
        downloaded: set[int] = set()
        for turf_id, door_ids in TurfDownload.objects.filter(texter=texter).values_list("turf_id", "contacts"):
            had.add(turf_id)
            downloaded.update(door_ids)
        had.discard(None)
        taken: list[DoorResult] = []
        for item in items:
            client_id = _client_id(item.get("client_id"))
            if not client_id:
                answer["refused"].append({"client_id": str(item.get("client_id", ""))[:40],
                                          "reason": _("A result without its id.")})
                continue
            if client_id in known:
                answer["accepted"].append(client_id)  # sent before (a sync retried): kept once
                continue
            asked_for = whole(item.get("contact")) or 0
            merged = moved.get(asked_for) if asked_for not in contacts else None
            contact = contacts.get(merged.conversation_id if merged else asked_for)
            door_turf = merged.turf_id if merged else contact.turf_id if contact else None  # the turf downloaded
            code = codes.get(whole(item.get("result")) or 0)
            picked = _picked(item.get("choices"), choices)
            assessed = _assessed(item, scale, code is not None and _talked(code))
            if contact is None or code is None or picked is None:
                answer["refused"].append({"client_id": client_id, "reason": _(
                    "That door, result or answer is not one of this campaign's.")})
                continue
            if assessed is None:
                answer["refused"].append({"client_id": client_id, "reason": _(
                    "Where they stand is a number on this campaign's scale, given only with \"Talked\"; a next step "
                    "is at most 300 characters.")})
                continue
            # Theirs to send: a door of a turf they hold, or one their phone downloaded.
            if door_turf not in held and door_turf not in had and asked_for not in downloaded:
                answer["refused"].append({"client_id": client_id, "reason": _(
                    "That door is not in a turf you were given.")})
                continue
            why = ("" if contact.turf_id is not None and contact.turf_id in held else
                   _("Sent after the canvasser was removed or the campaign finished.") if closed else
                   _("The person was merged with a record in another turf.") if merged else
                   _("The turf was dissolved.") if contact.turf_id is None else
                   _("The turf had been given to someone else."))
            taken.append(DoorResult(client_id=client_id, conversation=contact, texter=texter, code=code,
                                    choices=[c.pk for c in picked], score=assessed[0], next_step=assessed[1],
                                    recorded_at=_when(item.get("recorded_at"), now),
                                    flagged=bool(why), flag_reason=why))
            known.add(client_id)
            answer["flagged" if why else "accepted"].append(client_id)
        DoorResult.objects.bulk_create(taken)
        _apply(campaign, [r for r in taken if not r.flagged], choices)
        if taken:
            audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                         summary=f"Canvasser {texter.name} synced {len(taken)} door results "
                                 f"({len(answer['flagged'])} flagged)",
                         detail={"canvasser": str(texter.public_id)})
    return answer


def apply_flagged(*, actor: User, campaign: TextingCampaign, ids: list[int]) -> int:
    """The organizer writes flagged results on the records after all (checked with the turf's new
    canvassers); how many."""
    with transaction.atomic():
        chosen = _flagged_locked(campaign, ids)
        if not chosen:
            return 0
        choices = {c.pk: c for c in SurveyChoice.objects.filter(question__campaign=campaign)
                   .select_related("question")}
        _apply(campaign, chosen, choices)
        DoorResult.objects.filter(pk__in=[r.pk for r in chosen]).update(flagged=False)
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                     summary=f"Wrote {len(chosen)} flagged door results on the records")
    return len(chosen)


def _flagged_locked(campaign: TextingCampaign, ids: list[int]) -> list[DoorResult]:
    """The chosen flagged results still to check, locked: their doors first, in id order, as a sync
    locks them, then the results read as they now stand."""
    flagged = DoorResult.objects.filter(conversation__campaign=campaign, flagged=True, set_aside_at__isnull=True,
                                        pk__in=ids)
    list(Conversation.objects.select_for_update().filter(pk__in=flagged.values("conversation_id")).order_by("pk"))
    return list(flagged.select_for_update(of=("self",)).select_related("conversation__person", "texter", "code")
                .order_by("pk"))


def set_aside_flagged(*, actor: User, campaign: TextingCampaign, ids: list[int]) -> int:
    """The organizer chooses not to write flagged results on the records (the turf's new canvasser
    knocked those doors since): they are kept, off the list to check; how many."""
    with transaction.atomic():
        chosen = _flagged_locked(campaign, ids)
        DoorResult.objects.filter(pk__in=[r.pk for r in chosen]).update(set_aside_at=timezone.now())
        if chosen:
            audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                         summary=f"Set aside {len(chosen)} flagged door results, not written on the records")
    return len(chosen)


def _apply(campaign: TextingCampaign, results: list[DoorResult], choices: dict[int, SurveyChoice]) -> None:
    """Write door results on the people's records: for each door the latest result, unless a later
    one is there already (answers, tags, the result), and every visit counted. A few statements for
    the whole batch."""
    if not results:
        return
    visits = Counter(result.conversation_id for result in results)
    latest: dict[int, DoorResult] = {}
    for result in results:
        contact = result.conversation
        if contact.sent_at is not None and contact.sent_at > result.recorded_at:
            continue  # a later visit's result stands; this one is kept
        if contact.pk not in latest or latest[contact.pk].recorded_at <= result.recorded_at:
            latest[contact.pk] = result
    answered = {(r.conversation_id, r.question_id): r for r in SurveyResponse.objects.filter(
        conversation_id__in=list(latest))}
    new_answers: list[SurveyResponse] = []
    changed_answers: list[SurveyResponse] = []
    tagged: dict[str, list[Any]] = {}
    for result in latest.values():
        for choice in (choices[pk] for pk in result.choices if pk in choices):
            response = answered.get((result.conversation_id, choice.question_id))
            if response is None:
                new_answers.append(SurveyResponse(conversation=result.conversation, question=choice.question,
                                                  choice=choice, texter=result.texter, at=result.recorded_at))
            else:
                response.choice, response.texter, response.at = choice, result.texter, result.recorded_at
                changed_answers.append(response)
            if choice.tag:
                tagged.setdefault(choice.tag, []).append(result.conversation.person)
    SurveyResponse.objects.bulk_create(new_answers)
    SurveyResponse.objects.bulk_update(changed_answers, ["choice", "texter", "at"])
    for tag, people in tagged.items():
        add_tag_many(people=people, group=campaign.group, names=[tag])
    contact_results.record_many([
        {"person": r.conversation.person, "group": campaign.group, "code": r.code, "channel": "door",
         "source": f"door:{campaign.pk}:{r.conversation_id}", "source_label": campaign.title,
         "by": r.texter.name if r.texter else "", "at": r.recorded_at} for r in latest.values()])
    contacts = {result.conversation_id: result.conversation for result in results}
    for contact in contacts.values():
        contact.attempts += visits[contact.pk]
        last = latest.get(contact.pk)
        if last is None:
            continue
        code = last.code
        contact.result, contact.sent_at = code, last.recorded_at
        if contact.status != Conversation.Status.OPTED_OUT:  # "do not contact" holds
            contact.status = (Conversation.Status.OPTED_OUT if code.effect else Conversation.Status.WAITING
                              if code.group_id is None and code.key in ("not_home", "left_message")
                              else Conversation.Status.ANSWERED)
    Conversation.objects.bulk_update(list(contacts.values()), ["result", "sent_at", "attempts", "status"])
    # A walk of a workplace's roster: every door visited is the organizing campaign's one-on-one too,
    # written once this transaction has committed (`write_walks`): the organizing campaign's units
    # are locked there, never while the doors and people of a sync are.
    if _scale(campaign):
        transaction.on_commit(lambda: tasks.write_walks.enqueue(campaign_id=campaign.pk))


WALKS_AT_ONCE = 500


def write_walks(*, campaign_id: int) -> int:
    """Hand the door results written on the records and not yet handed over to where the walk's
    people came from (`Source.walked`: an organizing campaign's one-on-ones and assessments), in
    the organization's language whichever language the canvasser's phone speaks. Each result once
    (`walked_at`), however often this runs, and at the same time. How many."""
    campaign = TextingCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not _scale(campaign):
        return 0
    choices = {c.pk: c for c in SurveyChoice.objects.filter(question__campaign=campaign).select_related("question")}
    handed = 0
    while True:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            results = list(DoorResult.objects.select_for_update(skip_locked=True, of=("self",))
                           .filter(conversation__campaign=campaign, walked_at__isnull=True, flagged=False,
                                   set_aside_at__isnull=True)
                           .select_related("conversation", "texter", "code").order_by("pk")[:WALKS_AT_ONCE])
            if not results:
                return handed
            DoorResult.objects.filter(pk__in=[r.pk for r in results]).update(walked_at=timezone.now())
            audience_mod.source_walked(campaign.audience.get("source", ""), [audience_mod.Walk(
                person_id=r.conversation.person_id, at=r.recorded_at, by=r.texter.name if r.texter else "",
                result=r.code.display, talked=_talked(r.code), score=r.score, next_step=r.next_step or "",
                campaign=campaign.title,
                answers=[f"{choices[pk].question.prompt}: {choices[pk].label}" for pk in r.choices if pk in choices])
                for r in results])
            handed += len(results)


def _talked(code: ResultCode) -> bool:
    return code.group_id is None and code.key == "talked"


MAP_DOORS = 5000  # households drawn on the supervisor's map at most


def map_points(campaign: TextingCampaign, turfs: list[Turf]) -> dict[str, Any]:
    """The supervisor's map: each turf with its drawn area and progress, and households with their own
    coordinates (up to MAP_DOORS), each with its turf and whether it was knocked."""
    index = {turf.pk: n for n, turf in enumerate(turfs)}
    rows = (Conversation.objects.filter(campaign=campaign, person__latitude__isnull=False).order_by("pk")
            .values_list("pk", "household", "person__address_line1", "person__postal_code", "person__latitude",
                         "person__longitude", "turf_id", "result_id"))
    turf_of: dict[int, Any] = {}
    knocked: set[int] = set()
    seen = []
    for pk, key, line1, postal_code, lat, lng, turf_id, result_id in rows[:MAP_DOORS * 3]:
        seen.append((pk, key, line1, postal_code, lat, lng))
        turf_of[pk] = turf_id
        if result_id is not None:
            knocked.add(pk)
    # Each household as `_households` groups its doors, whether or not a cut wrote its key so.
    homes = [h for h in _households(seen) if h.lat is not None][:MAP_DOORS]
    return {"turfs": [{"name": t.name, "area": t.area, "doors": t.doors,
                       "knocked": getattr(t, "knocked", 0)} for t in turfs],
            "doors": [[round(h.lat, 6), round(h.lng, 6),
                       index.get(next((turf_of[pk] for pk in h.ids if turf_of[pk]), 0), -1),
                       any(pk in knocked for pk in h.ids)] for h in homes if h.lat is not None and h.lng is not None]}


def count_work(campaign: TextingCampaign, canvassers: list[Texter]) -> None:
    """Each canvasser's turfs and doors recorded (`turf_count`, `doors_recorded`), for the console."""
    turfs = dict(Texter.objects.filter(campaign=campaign).annotate(n=Count("turfs")).values_list("pk", "n"))
    recorded = dict(DoorResult.objects.filter(conversation__campaign=campaign).values("texter_id")
                    .annotate(n=Count("pk")).values_list("texter_id", "n"))
    for canvasser in canvassers:
        canvasser.turf_count = turfs.get(canvasser.pk, 0)  # type: ignore[attr-defined]
        canvasser.doors_recorded = recorded.get(canvasser.pk, 0)  # type: ignore[attr-defined]
