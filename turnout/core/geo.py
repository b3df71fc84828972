"""Offline geography: US ZIP code -> point -> IANA time zone, and distances.

Everything comes from the data the `zipcodes` package ships; nothing calls the network,
so a deployment without internet geocodes the same as one with it.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

import zipcodes

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LAT = 69.0


@dataclass(frozen=True, slots=True)
class Place:
    zip_code: str
    latitude: float
    longitude: float
    time_zone: str
    city: str
    state: str


# Reading the ZIP table takes about two seconds: once per process (see `warm`), not once per
# thread of a server whose first requests arrive together.
_reading = threading.Lock()


def warm() -> None:
    """Read the tables now, e.g. in a server before it forks its workers (which share them)."""
    _zip_table()
    _area_code_zones()


def _zip_table() -> dict[str, Place]:
    with _reading:
        return _read_zip_table()


@cache
def _read_zip_table() -> dict[str, Place]:
    table: dict[str, Place] = {}
    for row in zipcodes.list_all():
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (TypeError, ValueError):
            continue
        table[row["zip_code"]] = Place(
            zip_code=row["zip_code"],
            latitude=lat,
            longitude=lon,
            time_zone=row.get("timezone") or "",
            city=(row.get("city") or "").title(),
            state=row.get("state") or "",
        )
    return table


def normalize_zip(value: str) -> str:
    """The five-digit ZIP in '98101', '98101-1234' or '8540' (a leading zero lost by a spreadsheet)."""
    digits = value.strip().split("-")[0].strip()
    if digits.isdigit() and 3 <= len(digits) <= 5:
        return digits.zfill(5)
    return value.strip()


def lookup_zip(value: str) -> Place | None:
    """The place for a US ZIP code, or None when the code is unknown."""
    return _zip_table().get(normalize_zip(value))


def _area_code_zones() -> dict[str, str]:
    with _reading:
        return _read_area_code_zones()


def area_code_zones() -> dict[str, str]:
    """Each North American area code's most likely time zone: {"206": "America/Los_Angeles", …}."""
    return dict(_area_code_zones())


@cache
def _read_area_code_zones() -> dict[str, str]:
    votes: dict[str, Counter[str]] = {}
    for row in zipcodes.list_all():
        zone = row.get("timezone")
        if not zone:
            continue
        for code in row.get("area_codes") or []:
            votes.setdefault(code, Counter())[zone] += 1
    return {code: counter.most_common(1)[0][0] for code, counter in votes.items()}


def time_zone_for_phone(e164: str) -> str | None:
    """The most likely time zone of a North American number, from its area code."""
    if e164.startswith("+1") and len(e164) == 12:
        return _area_code_zones().get(e164[2:5])
    return None


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the circle."""
    dlat = miles / MILES_PER_DEGREE_LAT
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    dlon = miles / (MILES_PER_DEGREE_LAT * cos_lat)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def distance_expression(latitude: float, longitude: float, lat_field: str = "latitude",
                        lon_field: str = "longitude") -> Any:
    """Miles from a point to the row's (lat_field, lon_field), as a database expression (the
    spherical law of cosines, as `distance_miles` computes it)."""
    from django.db.models import F, FloatField
    from django.db.models.functions import ACos, Cos, Least, Radians, Sin

    lat0 = Radians(latitude, output_field=FloatField())
    lon0 = Radians(longitude, output_field=FloatField())
    cosine = Sin(lat0) * Sin(Radians(F(lat_field))) + Cos(lat0) * Cos(Radians(F(lat_field))) * Cos(
        Radians(F(lon_field)) - lon0)
    return EARTH_RADIUS_MILES * ACos(Least(cosine, 1.0))


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (spherical law of cosines, as `PersonQuerySet.near` computes it)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    cosine = math.sin(phi1) * math.sin(phi2) + math.cos(phi1) * math.cos(phi2) * math.cos(math.radians(lon2 - lon1))
    return EARTH_RADIUS_MILES * math.acos(max(-1.0, min(1.0, cosine)))
