"""Protection for public forms: rate limits per IP address and per person (django-ratelimit on
the configured cache; with the embedded default's in-process cache each web worker counts on
its own), checked on every public submission."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from turnout.core.net import address_key


def _person_key(group: str, request: HttpRequest) -> str:
    """Whoever the form names: the email, else the phone, as typed (lower case, no spaces)."""
    named = request.POST.get("email") or request.POST.get("contact_email") or request.POST.get("phone") or ""
    return "".join(named.split()).lower() or "nobody"


def _address_key(group: str, request: HttpRequest) -> str:
    return address_key(request)


def too_many(request: HttpRequest) -> bool:
    """Count this public submission; True when its address or the person it names has sent too many lately."""
    by_ip = is_ratelimited(request, group="public-ip", key=_address_key, rate=settings.PUBLIC_FORM_RATE_PER_IP,
                           method="POST", increment=True)
    by_person = is_ratelimited(request, group="public-person", key=_person_key,
                               rate=settings.PUBLIC_FORM_RATE_PER_PERSON, method="POST", increment=True)
    return bool(by_ip or by_person)


def refused(request: HttpRequest, form: Any) -> bool:
    """For a public form's POST: True when it is over the limits, and then the form carries the
    reason and is shown again as typed. Anything but a POST is never counted."""
    if request.method != "POST" or not too_many(request):
        return False
    form.is_valid()
    form.add_error(None, _("Too many submissions from here just now. Please wait a few minutes and send again."))
    return True

