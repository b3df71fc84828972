"""Reading OSDI person bodies into the arguments of people.services, with 400s for bad input."""

from __future__ import annotations

from typing import Any

from turnout.api.hal import ApiError
from turnout.api.openapi import SPACE
from turnout.core.dangerous import Refused, split_dangerous
from turnout.people.contact import InvalidContact, normalize_email, normalize_phone
from turnout.people.models import ConsentEvent, PhoneNumber
from turnout.people.services import ContactChoice

OPT_IN, OPT_OUT = ConsentEvent.Action.OPT_IN.value, ConsentEvent.Action.OPT_OUT.value
# Action Network's email statuses. Bounces are Turnout's own to record (from the mail
# provider), so a client's bounce status changes nothing.
EMAIL_STATUSES: dict[str, str | None] = {
    "subscribed": OPT_IN, "unsubscribed": OPT_OUT, "spam complaint": OPT_OUT,
    "previous spam complaint": OPT_OUT, "bouncing": None, "previous bounce": None,
}
PHONE_STATUSES: dict[str, str | None] = {"subscribed": OPT_IN, "unsubscribed": OPT_OUT, "bouncing": None,
                                         "previous bounce": None}
NUMBER_TYPES = {"mobile": PhoneNumber.Kind.MOBILE, "home": PhoneNumber.Kind.LANDLINE,
                "work": PhoneNumber.Kind.LANDLINE, "landline": PhoneNumber.Kind.LANDLINE}
PERSON_TEXT = {"given_name": 100, "family_name": 100}


def text(value: Any, name: str, max_length: int) -> str:
    """Text with ASCII white space trimmed (as the API document's "not blank" means); null is ""."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be text.")
    value = value.strip(SPACE)
    if len(value) > max_length:
        raise ApiError(400, f"{name} is longer than {max_length} characters.")
    return value


def whole(value: Any, name: str, low: int, high: int) -> int:
    """A whole number in [low, high]; 60.0 is 60, as JSON Schema's integer has it, and true is not 1."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}.")
    return value


def items(value: Any, name: str) -> list[Any]:
    """A list, or one value standing for a list of one (clients send both)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, (str, int, dict)):
        return [value]
    raise ApiError(400, f"{name} must be a list.")


def _status(entry: dict[str, Any], table: dict[str, str | None], name: str) -> str | None:
    status = entry.get("status")
    if status in (None, ""):
        return None
    if not isinstance(status, str) or status.lower() not in table:
        raise ApiError(400, f"Unknown {name} status “{str(status)[:40]}”; use subscribed or unsubscribed.")
    return table[status.lower()]


def emails(value: Any) -> list[ContactChoice]:
    out = []
    for entry in items(value, "email_addresses"):
        entry = {"address": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict):
            raise ApiError(400, "Each email address must be an object with an address.")
        raw = entry.get("address", entry.get("email_address"))
        if raw in (None, ""):
            continue
        try:
            address = normalize_email(text(raw, "email address", 254))
        except InvalidContact as exc:
            raise ApiError(400, str(exc)) from None
        out.append(ContactChoice(address, _status(entry, EMAIL_STATUSES, "email")))
    return out


def phones(value: Any) -> list[ContactChoice]:
    out = []
    for entry in items(value, "phone_numbers"):
        entry = {"number": entry} if isinstance(entry, (str, int)) else entry
        if not isinstance(entry, dict):
            raise ApiError(400, "Each phone number must be an object with a number.")
        raw = entry.get("number")
        if raw in (None, ""):
            continue
        try:
            number, kind = normalize_phone(text(raw, "phone number", 40))
        except InvalidContact as exc:
            raise ApiError(400, str(exc)) from None
        declared = entry.get("number_type")
        if isinstance(declared, str) and declared.lower() in NUMBER_TYPES:
            kind = NUMBER_TYPES[declared.lower()]
        out.append(ContactChoice(number, _status(entry, PHONE_STATUSES, "phone"), kind))
    return out


def custom_fields(value: Any) -> tuple[dict[str, Any], list[Refused]]:
    """(the custom fields to store, those Turnout does not keep: core.dangerous). A refused field
    refuses nothing else: the rest of the request goes through, and the answer names it."""
    if value in (None, ""):
        return {}, []
    if not isinstance(value, dict):
        raise ApiError(400, "custom_fields must be an object of names and values.")
    out: dict[str, Any] = {}
    for key, field_value in value.items():
        if not key.strip(SPACE) or len(key) > 100:
            raise ApiError(400, "Custom field names must be 1 to 100 characters.")
        if isinstance(field_value, (dict, list)):
            raise ApiError(400, f"Custom field “{key[:40]}” must be text, a number or true/false.")
        if isinstance(field_value, str) and len(field_value) > 2000:
            raise ApiError(400, f"Custom field “{key[:40]}” is longer than 2000 characters.")
        out[key.strip(SPACE)] = field_value
    return split_dangerous(out)


def person_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Name, language and postal address, only those the sender included."""
    fields: dict[str, Any] = {}
    for name, max_length in PERSON_TEXT.items():
        if name in data:
            fields[name] = text(data[name], name, max_length)
    languages = items(data.get("languages_spoken"), "languages_spoken")
    if languages:
        fields["language"] = text(languages[0], "languages_spoken", 16).lower()
    addresses = [a for a in items(data.get("postal_addresses"), "postal_addresses")]
    if any(not isinstance(a, dict) for a in addresses):
        raise ApiError(400, "Each postal address must be an object.")
    if addresses:
        address = next((a for a in addresses if a.get("primary")), addresses[0])
        lines = [text(line, "address_lines", 200) for line in items(address.get("address_lines"), "address_lines")]
        if lines:
            fields["address_line1"] = lines[0]
            fields["address_line2"] = lines[1] if len(lines) > 1 else ""
        for name, key, max_length in (("locality", "locality", 100), ("region", "region", 50),
                                      ("postal_code", "postal_code", 20)):
            if key in address:
                fields[name] = text(address[key], key, max_length)
        if address.get("country"):
            country = text(address["country"], "country", 60).upper()
            if country in ("USA", "UNITED STATES", "UNITED STATES OF AMERICA"):
                country = "US"
            if len(country) != 2 or not country.isalpha():
                raise ApiError(400, "country must be a two-letter code such as US.")
            fields["country"] = country
    return fields


def tag_names(value: Any, name: str) -> list[str]:
    names = [text(v, name, 100) for v in items(value, name)]
    return [n for n in names if n]
