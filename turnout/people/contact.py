"""Normalizing the email addresses and phone numbers people give us."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from turnout.people.models import PhoneNumber

_NON_DIGITS = re.compile(r"\D")
# Plain strings, not the enum members: they go straight into bulk inserts.
_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: PhoneNumber.Kind.MOBILE.value,
    phonenumbers.PhoneNumberType.FIXED_LINE: PhoneNumber.Kind.LANDLINE.value,
    phonenumbers.PhoneNumberType.VOIP: PhoneNumber.Kind.VOIP.value,
}
UNKNOWN = PhoneNumber.Kind.UNKNOWN.value


class InvalidContact(ValueError):
    """An email address or phone number that cannot be used, with a reason a person can act on."""


def normalize_email(value: str) -> str:
    address = value.strip().lower()
    if len(address) > 254:
        raise InvalidContact(_("Email address is longer than 254 characters."))
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidContact(_("“%(value)s” is not a valid email address.") % {"value": value.strip()[:80]}) from None
    return address


@lru_cache(maxsize=100_000)
def _nanp_exchange(exchange: str) -> tuple[bool, str]:
    """Validity and kind of a North American number, by its area code and exchange.

    NANP numbering rules depend only on those six digits, so one libphonenumber
    check per exchange serves every number in it: an import of a million phones
    pays for a few thousand parses, not a million.
    """
    parsed = phonenumbers.parse("+1" + exchange + "0100")
    if not phonenumbers.is_valid_number(parsed):
        return False, UNKNOWN
    return True, _KINDS.get(phonenumbers.number_type(parsed), UNKNOWN)


def normalize_phone(value: str, region: str = "US") -> tuple[str, str]:
    """(E.164 number, kind) for a phone number as people write it."""
    raw = value.strip()
    digits = _NON_DIGITS.sub("", raw)
    national: str | None = None
    if raw.startswith("+1") and len(digits) == 11:
        national = digits[1:]
    elif not raw.startswith("+") and region in {"US", "CA"}:
        national = digits[1:] if len(digits) == 11 and digits[0] == "1" else digits
    if national is not None and len(national) == 10:
        valid, kind = _nanp_exchange(national[:6])
        if not valid:
            raise InvalidContact(_("“%(value)s” is not a valid phone number.") % {"value": raw[:40]})
        return "+1" + national, kind
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidContact(_("“%(value)s” is not a phone number.") % {"value": raw[:40]}) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidContact(_("“%(value)s” is not a valid phone number.") % {"value": raw[:40]})
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, _KINDS.get(phonenumbers.number_type(parsed), UNKNOWN)


def format_phone(e164: str) -> str:
    """A number as people read it: (206) 555-0123 at home, +44 7911 123456 abroad."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)
